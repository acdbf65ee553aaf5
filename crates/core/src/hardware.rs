//! Hardware catalogs: CPUs (thermal design power) and accelerators (power, peak throughput,
//! memory, embodied carbon), each entry with its source.

use serde::{Deserialize, Serialize};

use crate::catalog::parse_csv;
use crate::error::{CoreError, Result};
use crate::suggest::close_matches;
use crate::units::{CarbonMass, Power};

/// The bundled CPU table (see `data/SOURCES.md`).
pub const BUNDLED_CPUS_CSV: &str = include_str!("../../../data/cpus.csv");
/// The bundled accelerator table (see `data/SOURCES.md`).
pub const BUNDLED_ACCELERATORS_CSV: &str = include_str!("../../../data/accelerators.csv");

/// A CPU model and its thermal design power per package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuRecord {
    /// Marketing name, such as `AMD EPYC 7B12`.
    pub model: String,
    /// Thermal design power of one package, W.
    pub tdp_w: f64,
    /// Where the figure comes from.
    pub source: String,
}

impl CpuRecord {
    /// The TDP as a typed power.
    pub fn tdp(&self) -> Power {
        Power::from_watts(self.tdp_w)
    }
}

/// Lower-cases a CPU name and drops trademark signs, clock speeds and filler words, leaving the
/// tokens that identify the model.
fn cpu_tokens(name: &str) -> Vec<String> {
    let cleaned = name
        .to_lowercase()
        .replace("(r)", " ")
        .replace("(tm)", " ")
        .replace(['®', '™', ','], " ");
    cleaned
        .split_whitespace()
        .filter(|t| {
            !matches!(
                *t,
                "cpu" | "processor" | "@" | "with" | "radeon" | "graphics"
            ) && !t.ends_with("ghz")
                && !t.ends_with("-core")
        })
        .map(str::to_string)
        .collect()
}

/// The catalog of CPU models.
#[derive(Debug, Clone)]
pub struct CpuCatalog {
    cpus: Vec<CpuRecord>,
    tokens: Vec<Vec<String>>,
}

impl CpuCatalog {
    /// The bundled catalog.
    pub fn bundled() -> Result<Self> {
        Self::from_csv("data/cpus.csv", BUNDLED_CPUS_CSV)
    }

    /// A catalog from CSV text (`model,tdp_w,source`).
    pub fn from_csv(table: &str, text: &str) -> Result<Self> {
        let cpus: Vec<CpuRecord> = parse_csv(table, text)?;
        for (i, c) in cpus.iter().enumerate() {
            if !(c.tdp_w.is_finite() && c.tdp_w > 0.0) {
                return Err(CoreError::Data {
                    table: table.into(),
                    line: i as u64 + 2,
                    message: format!("TDP of '{}' must be a positive number of watts", c.model),
                });
            }
        }
        let tokens = cpus.iter().map(|c| cpu_tokens(&c.model)).collect();
        Ok(Self { cpus, tokens })
    }

    /// Every CPU.
    pub fn cpus(&self) -> &[CpuRecord] {
        &self.cpus
    }

    /// The catalog entry for a model name as the OS reports it (for example
    /// `Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz`): the entry all of whose identifying
    /// tokens appear in the name, preferring the most specific such entry. `None` when no entry
    /// matches, in which case callers fall back to a documented default.
    pub fn match_model(&self, reported: &str) -> Option<&CpuRecord> {
        let query = cpu_tokens(reported);
        self.tokens
            .iter()
            .enumerate()
            .filter(|(_, toks)| {
                // A model number must be present: a bare vendor/family ("AMD EPYC") is no match.
                toks.iter().any(|t| t.chars().any(|c| c.is_ascii_digit()))
                    && toks.iter().all(|t| query.contains(t))
            })
            .max_by_key(|(_, toks)| (toks.len(), toks.iter().map(String::len).sum::<usize>()))
            .map(|(i, _)| &self.cpus[i])
    }
}

/// An accelerator (GPU or TPU) with its published figures. Peak throughputs are dense (no
/// sparsity), per device; an empty cell means the precision is not supported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceleratorRecord {
    /// Short id used on the command line, such as `a100-80gb`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// `gpu` or `tpu`.
    pub kind: String,
    /// Thermal design power (board power), W; empty when the vendor publishes none.
    #[serde(default)]
    pub tdp_w: Option<f64>,
    /// Typical average draw while training, W.
    #[serde(default)]
    pub typical_training_w: Option<f64>,
    /// Device memory, GB.
    #[serde(default)]
    pub memory_gb: Option<f64>,
    /// Device memory bandwidth, GB/s.
    #[serde(default)]
    pub memory_bw_gbps: Option<f64>,
    /// Peak FP32, TFLOP/s.
    #[serde(default)]
    pub fp32_tflops: Option<f64>,
    /// Peak TF32, TFLOP/s.
    #[serde(default)]
    pub tf32_tflops: Option<f64>,
    /// Peak BF16, TFLOP/s.
    #[serde(default)]
    pub bf16_tflops: Option<f64>,
    /// Peak FP16, TFLOP/s.
    #[serde(default)]
    pub fp16_tflops: Option<f64>,
    /// Peak FP8, TFLOP/s.
    #[serde(default)]
    pub fp8_tflops: Option<f64>,
    /// Peak INT8, TOP/s.
    #[serde(default)]
    pub int8_tops: Option<f64>,
    /// Typical model-FLOPs utilization in large training, 0..1.
    #[serde(default)]
    pub default_mfu: Option<f64>,
    /// Embodied emissions of one device, kgCO2e.
    #[serde(default)]
    pub embodied_kgco2e: Option<f64>,
    /// How the embodied figure was obtained.
    #[serde(default)]
    pub embodied_method: String,
    /// Amortization lifetime for embodied emissions, years.
    #[serde(default)]
    pub lifetime_years: Option<f64>,
    /// Where the figures come from.
    pub source: String,
}

impl AcceleratorRecord {
    /// Dense peak throughput at a precision (`fp32`, `tf32`, `bf16`, `fp16`, `fp8`, `int8`), in
    /// TFLOP/s (TOP/s for int8); `None` when the device lacks it.
    pub fn peak_tflops(&self, precision: &str) -> Option<f64> {
        match precision {
            "fp32" => self.fp32_tflops,
            "tf32" => self.tf32_tflops,
            "bf16" => self.bf16_tflops,
            "fp16" => self.fp16_tflops,
            "fp8" => self.fp8_tflops,
            "int8" => self.int8_tops,
            _ => None,
        }
    }

    /// The TDP as a typed power, when published.
    pub fn tdp(&self) -> Option<Power> {
        self.tdp_w.map(Power::from_watts)
    }
    /// Typical training draw: the documented figure, else the TDP.
    pub fn typical_training_power(&self) -> Option<Power> {
        self.typical_training_w
            .or(self.tdp_w)
            .map(Power::from_watts)
    }
    /// Embodied emissions of one device, when known.
    pub fn embodied(&self) -> Option<CarbonMass> {
        self.embodied_kgco2e.map(CarbonMass::from_kg)
    }
}

/// The catalog of accelerators.
#[derive(Debug, Clone)]
pub struct AcceleratorCatalog {
    devices: Vec<AcceleratorRecord>,
}

impl AcceleratorCatalog {
    /// The bundled catalog.
    pub fn bundled() -> Result<Self> {
        Self::from_csv("data/accelerators.csv", BUNDLED_ACCELERATORS_CSV)
    }

    /// A catalog from CSV text in the bundled format.
    pub fn from_csv(table: &str, text: &str) -> Result<Self> {
        let devices: Vec<AcceleratorRecord> = parse_csv(table, text)?;
        Ok(Self { devices })
    }

    /// Every device.
    pub fn devices(&self) -> &[AcceleratorRecord] {
        &self.devices
    }

    /// The device with this id (case-insensitive), or an error naming close matches.
    pub fn get(&self, id: &str) -> Result<&AcceleratorRecord> {
        self.devices
            .iter()
            .find(|d| d.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| CoreError::UnknownHardware {
                id: id.to_string(),
                suggestions: close_matches(id, self.devices.iter().map(|d| d.id.as_str())),
            })
    }

    /// The entry whose name best matches a driver-reported name such as
    /// `NVIDIA A100-SXM4-80GB` (used to label measured GPUs and to model absent counters).
    pub fn match_name(&self, reported: &str) -> Option<&AcceleratorRecord> {
        let r = reported.to_lowercase().replace(['-', '_'], " ");
        // Driver names that do not carry the form factor: the HBM3 H100 is the SXM part.
        if r.contains("h100") && r.contains("hbm3") {
            return self.get("h100-sxm").ok();
        }
        self.devices
            .iter()
            .filter(|d| {
                let n = d.name.to_lowercase().replace(['-', '_'], " ");
                let id = d.id.to_lowercase().replace('-', " ");
                id.split_whitespace().all(|t| r.contains(t)) || r.contains(&n)
            })
            .max_by_key(|d| d.id.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_names_as_reported_by_linux_match_the_catalog() {
        let cat = CpuCatalog::bundled().unwrap();
        assert!(cat.cpus().len() > 1000);
        let m = cat
            .match_model("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz")
            .unwrap();
        assert_eq!(m.model, "Intel Xeon Platinum 8375C");
        assert_eq!(m.tdp_w, 300.0);
        let m = cat
            .match_model("11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz")
            .unwrap();
        assert_eq!(m.model, "Intel Core i7-1185G7");
        assert!(cat.match_model("AMD EPYC").is_none());
        assert!(cat.match_model("").is_none());
    }

    #[test]
    fn cpu_catalog_rejects_non_positive_tdp() {
        let err = CpuCatalog::from_csv("t.csv", "model,tdp_w,source\nX 1,0,s\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("positive"), "{err}");
    }

    #[test]
    fn accelerators_have_the_required_ids() {
        let cat = AcceleratorCatalog::bundled().unwrap();
        for id in [
            "v100",
            "a100-40gb",
            "a100-80gb",
            "h100-sxm",
            "h100-pcie",
            "h200",
            "b200",
            "l4",
            "t4",
            "mi250x",
            "mi300x",
            "tpu-v2",
            "tpu-v3",
            "tpu-v4",
            "tpu-v5e",
            "tpu-v5p",
        ] {
            let d = cat.get(id).unwrap();
            assert!(d.tdp_w.is_none_or(|w| w > 0.0), "{id}");
            assert!(
                d.peak_tflops("bf16").is_some() || d.peak_tflops("fp16").is_some(),
                "{id}"
            );
            assert!(!d.source.is_empty(), "{id}");
        }
        assert_eq!(
            cat.match_name("NVIDIA A100-SXM4-80GB")
                .map(|d| d.id.as_str()),
            Some("a100-80gb")
        );
        assert_eq!(
            cat.match_name("NVIDIA H100 80GB HBM3")
                .map(|d| d.id.as_str()),
            Some("h100-sxm")
        );
        let err = cat.get("a100").unwrap_err().to_string();
        assert!(
            err.contains("a100-40gb") || err.contains("a100-80gb"),
            "{err}"
        );
    }
}

//! Serving footprint: a roofline model of LLM inference, calibrated on measured energy.
//!
//! Prefill is compute-bound; each decode step reads the active weights once and the batch's
//! KV cache, and does 2·N_a FLOPs per sequence, so it takes the longer of the memory time and the
//! compute time. Device power rises from an idle-like floor with compute utilization. The three
//! efficiency constants were fitted to the ML.ENERGY benchmark's measured energy per token
//! (`docs/methods/estimate-infer.md`).

use serde_json::{Value, json};
use sustain_core::hardware::AcceleratorRecord;
use sustain_core::units::{CarbonMass, Energy, Money, Power, Water};

use crate::error::{EstimateError, Result, invalid, non_negative, positive};
use crate::factors::{Factors, SiteOptions, count, currency};
use crate::inputs::{Inputs, Origin};
use crate::train::{Catalogs, HOURS_PER_YEAR, parse_number};

/// Achieved fraction of peak memory bandwidth in decode (fitted; see the method page).
pub const ETA_MEMORY: f64 = 0.35;
/// Achieved fraction of peak compute in prefill and decode (fitted).
pub const ETA_COMPUTE: f64 = 0.35;
/// Device power at zero compute utilization, as a fraction of TDP (fitted; measured decode draw
/// on H200 is 20-43 % of TDP, Ma et al. 2026).
pub const POWER_FLOOR: f64 = 0.35;
/// Memory overhead on the weights (activations, buffers): EcoLogits, after EleutherAI's
/// "Transformer Math 101".
pub const MEMORY_OVERHEAD: f64 = 1.2;
/// Default batch: EcoLogits fixes B = 64, the ML.ENERGY benchmark's common setting.
pub const DEFAULT_BATCH: f64 = 64.0;
/// Key/value width of a grouped-query-attention layer: 8 KV heads x 128 dims (Llama 3, Qwen 2.5/3,
/// Mistral).
pub const KV_WIDTH: f64 = 1024.0;
/// Batches shown in the batch-size table.
pub const BATCH_TABLE: &[f64] = &[1.0, 8.0, 32.0, 64.0, 128.0, 256.0];

/// An inference estimate request, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InferRequest {
    /// Total parameters.
    pub params: Option<f64>,
    /// Active parameters per token (mixture of experts).
    pub active_params: Option<f64>,
    /// Accelerator id.
    pub hardware: Option<String>,
    /// Devices serving one model replica.
    pub devices: Option<f64>,
    /// Concurrent sequences per replica.
    pub batch: Option<f64>,
    /// Number of requests.
    pub requests: Option<f64>,
    /// Input (prompt) tokens per request.
    pub tokens_in: Option<f64>,
    /// Output tokens per request.
    pub tokens_out: Option<f64>,
    /// Precision of weights and arithmetic.
    pub precision: Option<String>,
    /// Average draw per device, W, replacing the power model.
    pub power_w: Option<f64>,
    /// Site options.
    pub site: SiteOptions,
    /// Price per device-hour.
    pub price_per_device_hour: Option<f64>,
    /// Currency.
    pub currency: Option<String>,
}

/// The keys `set` accepts.
pub const INFER_KEYS: &[&str] = &[
    "params",
    "active-params",
    "hardware",
    "devices",
    "batch",
    "requests",
    "tokens-in",
    "tokens-out",
    "precision",
    "power-w",
    "pue",
    "site",
    "intensity",
    "market-intensity",
    "wue",
    "price-per-device-hour",
    "currency",
];

impl InferRequest {
    /// Sets an input by its flag name.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let num = || parse_number(key, value);
        match key {
            "params" => self.params = Some(num()?),
            "active-params" => self.active_params = Some(num()?),
            "hardware" => self.hardware = Some(value.to_string()),
            "devices" => self.devices = Some(num()?),
            "batch" => self.batch = Some(num()?),
            "requests" => self.requests = Some(num()?),
            "tokens-in" => self.tokens_in = Some(num()?),
            "tokens-out" => self.tokens_out = Some(num()?),
            "precision" => self.precision = Some(value.to_ascii_lowercase()),
            "power-w" => self.power_w = Some(num()?),
            "pue" => self.site.pue = Some(num()?),
            "site" => self.site.site = Some(value.to_string()),
            "intensity" => self.site.intensity = Some(num()?),
            "market-intensity" => self.site.market_intensity = Some(num()?),
            "wue" => self.site.wue = Some(num()?),
            "price-per-device-hour" => self.price_per_device_hour = Some(num()?),
            "currency" => self.currency = Some(value.to_string()),
            other => {
                return Err(EstimateError::Parse(format!(
                    "unknown input '{other}'; inputs are: {}",
                    INFER_KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Impacts of some amount of serving.
#[derive(Debug, Clone, PartialEq)]
pub struct Impact {
    /// IT energy.
    pub it_energy: Energy,
    /// Facility energy.
    pub energy: Energy,
    /// Location-based carbon.
    pub co2e_location: CarbonMass,
    /// Market-based carbon.
    pub co2e_market: Option<CarbonMass>,
    /// Amortized embodied carbon of the devices.
    pub embodied: Option<CarbonMass>,
    /// Water.
    pub water: Water,
    /// Cost.
    pub cost: Option<Money>,
}

impl Impact {
    fn to_json(&self) -> Value {
        json!({
            "it_energy_wh": self.it_energy.wh(),
            "energy_wh": self.energy.wh(),
            "co2e_g": {
                "location": self.co2e_location.grams(),
                "market": self.co2e_market.map(|m| m.grams()),
            },
            "embodied_co2e_g": self.embodied.map(|m| m.grams()),
            "water_l": self.water.litres(),
            "cost": {
                "amount": self.cost.as_ref().map(|c| c.amount),
                "currency": self.cost.as_ref().map(|c| c.currency.code().to_string()),
            },
        })
    }

    fn scaled(&self, k: f64) -> Impact {
        Impact {
            it_energy: self.it_energy * k,
            energy: self.energy * k,
            co2e_location: self.co2e_location * k,
            co2e_market: self.co2e_market.map(|m| m * k),
            embodied: self.embodied.map(|m| m * k),
            water: self.water * k,
            cost: self.cost.as_ref().map(|c| Money {
                amount: c.amount * k,
                currency: c.currency.clone(),
            }),
        }
    }
}

/// One row of the batch-size table.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    /// Batch.
    pub batch: f64,
    /// Devices needed at that batch.
    pub devices: u64,
    /// Facility energy per request.
    pub energy_per_request: Energy,
    /// Location-based carbon per request.
    pub co2e_per_request: CarbonMass,
    /// Time to generate one request's output, s.
    pub latency_s: f64,
}

/// An inference estimate.
#[derive(Debug, Clone)]
pub struct InferEstimate {
    /// Devices per replica used.
    pub devices: u64,
    /// Devices needed to hold the weights (and the batch's KV cache).
    pub devices_needed: u64,
    /// Batch used.
    pub batch: f64,
    /// Seconds to serve one request end to end (prefill + decode) at this batch.
    pub latency_s: f64,
    /// Average power per device while decoding, W.
    pub decode_power: Power,
    /// Whether decode is limited by memory bandwidth (else by compute).
    pub memory_bound: bool,
    /// Per request.
    pub per_request: Impact,
    /// Per 1,000 output tokens.
    pub per_1k_output_tokens: Impact,
    /// For all requests.
    pub total: Impact,
    /// Requests.
    pub requests: f64,
    /// Energy per request at other batch sizes.
    pub batch_table: Vec<BatchRow>,
    /// Every input with its origin.
    pub inputs: Inputs,
    /// Assumptions.
    pub assumptions: Vec<String>,
}

impl InferEstimate {
    /// The stable JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "devices": self.devices,
            "devices_needed": self.devices_needed,
            "batch": self.batch,
            "latency_s": self.latency_s,
            "decode_power_w": self.decode_power.watts(),
            "memory_bound": self.memory_bound,
            "requests": self.requests,
            "per_request": self.per_request.to_json(),
            "per_1k_output_tokens": self.per_1k_output_tokens.to_json(),
            "total": self.total.to_json(),
            "batch_sizes": self.batch_table.iter().map(|r| json!({
                "batch": r.batch,
                "devices": r.devices,
                "energy_wh_per_request": r.energy_per_request.wh(),
                "co2e_g_per_request": r.co2e_per_request.grams(),
                "latency_s": r.latency_s,
            })).collect::<Vec<_>>(),
            "inputs": self.inputs,
            "assumptions": self.assumptions,
        })
    }
}

fn bytes_per_param(precision: &str) -> f64 {
    match precision {
        "fp32" | "tf32" => 4.0,
        "fp8" | "int8" => 1.0,
        _ => 2.0,
    }
}

/// Transformer layers estimated from active parameters, fitted to the Llama 3 family
/// (8B: 32 layers, 70B: 80, 405B: 126): `16 x (N_a / 1e9)^(1/3)`.
pub fn layers(active_params: f64) -> f64 {
    16.0 * (active_params / 1e9).cbrt()
}

/// The physical model for one configuration.
struct Roofline {
    /// Bytes of all weights (memory footprint).
    weights_bytes: f64,
    /// Bytes of the active weights (read at every decode step).
    active_bytes: f64,
    /// Active parameters (FLOPs).
    active: f64,
    kv_per_token: f64,
    bw: f64,
    peak: f64,
    tdp: Option<f64>,
    power_w: Option<f64>,
    memory: f64,
    tokens_in: f64,
    tokens_out: f64,
}

struct Step {
    /// IT energy per request.
    energy: Energy,
    /// Device-seconds per request.
    device_seconds: f64,
    latency_s: f64,
    decode_power: Power,
    memory_bound: bool,
}

impl Roofline {
    fn devices_needed(&self, batch: f64) -> u64 {
        let kv = batch * (self.tokens_in + self.tokens_out) * self.kv_per_token;
        ((MEMORY_OVERHEAD * self.weights_bytes + kv) / self.memory)
            .ceil()
            .max(1.0) as u64
    }

    fn run(&self, batch: f64, devices: u64) -> Result<Step> {
        let d = devices as f64;
        let ctx = self.tokens_in + self.tokens_out / 2.0;
        let t_mem =
            (self.active_bytes + batch * ctx * self.kv_per_token) / (d * self.bw * ETA_MEMORY);
        let t_cmp = 2.0 * self.active * batch / (d * self.peak * ETA_COMPUTE);
        let t_dec = t_mem.max(t_cmp);
        let u = if t_dec > 0.0 { t_cmp / t_dec } else { 0.0 };
        let t_pre = 2.0 * self.active * self.tokens_in / (d * self.peak * ETA_COMPUTE);
        let (p_dec, p_pre) = match (self.power_w, self.tdp) {
            (Some(w), _) => (w, w),
            (None, Some(tdp)) => (tdp * (POWER_FLOOR + (1.0 - POWER_FLOOR) * u), tdp),
            (None, None) => {
                return Err(EstimateError::NoFigure(
                    "the catalog has no power figure for this device (its vendor publishes none); pass --power-w".into(),
                ));
            }
        };
        // Per request: its share of the batch's decode steps, and its own prefill.
        let decode_s = self.tokens_out * t_dec / batch;
        Ok(Step {
            energy: Energy::from_joules(d * (p_dec * decode_s + p_pre * t_pre)),
            device_seconds: d * (decode_s + t_pre),
            latency_s: t_pre + self.tokens_out * t_dec,
            decode_power: Power::from_watts(p_dec),
            memory_bound: t_mem >= t_cmp,
        })
    }
}

fn impact(
    it: Energy,
    device_seconds: f64,
    dev: &AcceleratorRecord,
    f: &Factors,
    rate: Option<&Money>,
) -> Impact {
    let energy = it * f.pue;
    let embodied = match (dev.embodied(), dev.lifetime_years) {
        (Some(e), Some(y)) => Some(e * (device_seconds / 3600.0 / (y * HOURS_PER_YEAR))),
        _ => None,
    };
    let cost = match rate {
        Some(r) => Some(Money {
            amount: r.amount * device_seconds / 3600.0,
            currency: r.currency.clone(),
        }),
        None => f.price.as_ref().map(|p| energy * p),
    };
    Impact {
        it_energy: it,
        energy,
        co2e_location: energy * f.intensity,
        co2e_market: f.market.map(|m| energy * m),
        embodied,
        water: it * f.wue + f.offsite_water.map(|w| energy * w).unwrap_or(Water::ZERO),
        cost,
    }
}

fn required(v: Option<f64>, what: &str, fix: &str) -> Result<f64> {
    let v = v.ok_or_else(|| EstimateError::Missing {
        what: what.into(),
        fix: fix.into(),
    })?;
    positive(what, v)
}

/// Estimates serving.
pub fn estimate_infer(req: &InferRequest, cat: Catalogs<'_>) -> Result<InferEstimate> {
    let mut inputs = Inputs::default();
    let mut assumptions = Vec::new();

    let hw_id = req
        .hardware
        .as_deref()
        .ok_or_else(|| EstimateError::Missing {
            what: "--hardware".into(),
            fix: "name an accelerator such as h100-sxm (list them with `sustain catalog hardware`)"
                .into(),
        })?;
    let dev = cat.hardware.get(hw_id)?;
    inputs.add(
        "hardware",
        dev.id.as_str(),
        "",
        Origin::Flag,
        dev.name.as_str(),
    );

    let params = required(
        req.params,
        "--params",
        "give the model's parameter count, such as --params 8B",
    )?;
    let active = crate::train::active_params(params, req.active_params, &mut inputs)?;
    let requests = required(
        req.requests,
        "--requests",
        "give the number of requests, such as --requests 1M",
    )?;
    let tokens_in = non_negative(
        "--tokens-in",
        req.tokens_in.ok_or_else(|| EstimateError::Missing {
            what: "--tokens-in".into(),
            fix: "give the prompt tokens per request, such as --tokens-in 500".into(),
        })?,
    )?;
    let tokens_out = required(
        req.tokens_out,
        "--tokens-out",
        "give the output tokens per request, such as --tokens-out 300",
    )?;
    inputs.add("requests", requests, "", Origin::Flag, "--requests");
    inputs.add(
        "tokens-in",
        tokens_in,
        "per request",
        Origin::Flag,
        "--tokens-in",
    );
    inputs.add(
        "tokens-out",
        tokens_out,
        "per request",
        Origin::Flag,
        "--tokens-out",
    );

    let (precision, peak_tflops) =
        crate::train::precision_of(dev, req.precision.as_deref(), &mut inputs)?;
    let peak = peak_tflops * 1e12;
    let bytes = bytes_per_param(&precision);
    let bw = dev.memory_bw_gbps.ok_or_else(|| {
        EstimateError::NoFigure(format!(
            "the catalog has no memory bandwidth for {}",
            dev.id
        ))
    })? * 1e9;
    let memory = dev.memory_gb.ok_or_else(|| {
        EstimateError::NoFigure(format!("the catalog has no memory size for {}", dev.id))
    })? * 1e9;
    inputs.add(
        "memory-bw-gbps",
        bw / 1e9,
        "GB/s",
        Origin::Catalog,
        format!("{}: {}", dev.id, dev.source),
    );
    inputs.add(
        "memory-gb",
        memory / 1e9,
        "GB",
        Origin::Catalog,
        format!("{}: {}", dev.id, dev.source),
    );

    let power_w = req.power_w.map(|w| positive("--power-w", w)).transpose()?;
    match power_w {
        Some(w) => inputs.add("power-w", w, "W", Origin::Flag, "--power-w"),
        None => {
            if let Some(tdp) = dev.tdp_w {
                inputs.add(
                    "tdp-w",
                    tdp,
                    "W",
                    Origin::Catalog,
                    format!("{}: {}", dev.id, dev.source),
                );
            }
            assumptions.push(format!(
                "device power: {}% of TDP plus the rest in proportion to compute utilization (decode), TDP in prefill; fitted to ML.ENERGY measurements",
                POWER_FLOOR * 100.0
            ));
        }
    }

    let kv_per_token = 2.0 * layers(active) * KV_WIDTH * 2.0;
    assumptions.push(format!(
        "KV cache: grouped-query attention with 8 KV heads of 128 dims in ≈{:.0} layers (16·(N_a/1e9)^(1/3)), bf16: {:.0} KB per token of context",
        layers(active),
        kv_per_token / 1e3
    ));
    let model = Roofline {
        weights_bytes: params * bytes,
        active_bytes: active * bytes,
        active,
        kv_per_token,
        bw,
        peak,
        tdp: dev.tdp_w,
        power_w,
        memory,
        tokens_in,
        tokens_out,
    };

    let batch = match req.batch {
        Some(b) => {
            let b = count("--batch", b)? as f64;
            inputs.add("batch", b, "", Origin::Flag, "--batch");
            b
        }
        None => {
            inputs.add(
                "batch",
                DEFAULT_BATCH,
                "",
                Origin::Default,
                "EcoLogits' fixed batch (B = 64), the ML.ENERGY benchmark's common setting",
            );
            DEFAULT_BATCH
        }
    };
    let devices_needed = model.devices_needed(batch);
    let devices = match req.devices {
        Some(d) => {
            let d = count("--devices", d)?;
            if d < devices_needed {
                return Err(invalid(
                    "--devices",
                    d,
                    &format!(
                        "at least {devices_needed}: {:.0} GB of weights (x{MEMORY_OVERHEAD} overhead) and the KV cache of a batch of {batch} do not fit in {d} x {:.0} GB; lower --batch or add devices",
                        params * bytes / 1e9,
                        memory / 1e9
                    ),
                ));
            }
            inputs.add("devices", d as f64, "", Origin::Flag, "--devices");
            d
        }
        None => {
            inputs.add(
                "devices",
                devices_needed as f64,
                "",
                Origin::Derived,
                "the fewest devices that hold the weights and the batch's KV cache",
            );
            devices_needed
        }
    };

    let f = req.site.resolve(cat.sites, &mut inputs, &mut assumptions)?;
    let rate = match req.price_per_device_hour {
        Some(p) => {
            let p = non_negative("--price-per-device-hour", p)?;
            let c = currency(req.currency.as_deref())?;
            inputs.add(
                "price-per-device-hour",
                p,
                c.code(),
                Origin::Flag,
                "--price-per-device-hour",
            );
            Some(Money {
                amount: p,
                currency: c,
            })
        }
        None => None,
    };
    assumptions.push("host CPUs, memory and network are not included; idle replicas and load imbalance are not counted (steady-state serving at the given batch)".into());

    let step = model.run(batch, devices)?;
    let per_request = impact(step.energy, step.device_seconds, dev, &f, rate.as_ref());
    let per_1k = per_request.scaled(1000.0 / tokens_out);
    let total = per_request.scaled(requests);

    let mut batch_table = Vec::new();
    for &b in BATCH_TABLE {
        let d = model
            .devices_needed(b)
            .max(req.devices.map(|d| d as u64).unwrap_or(0));
        let s = model.run(b, d)?;
        let imp = impact(s.energy, s.device_seconds, dev, &f, None);
        batch_table.push(BatchRow {
            batch: b,
            devices: d,
            energy_per_request: imp.energy,
            co2e_per_request: imp.co2e_location,
            latency_s: s.latency_s,
        });
    }

    crate::error::ensure_finite(&[
        step.latency_s,
        total.energy.joules(),
        total.co2e_location.grams(),
        total.water.litres(),
        total.embodied.map_or(0.0, |m| m.grams()),
        total.cost.as_ref().map_or(0.0, |c| c.amount),
    ])?;
    Ok(InferEstimate {
        devices,
        devices_needed,
        batch,
        latency_s: step.latency_s,
        decode_power: step.decode_power,
        memory_bound: step.memory_bound,
        per_request,
        per_1k_output_tokens: per_1k,
        total,
        requests,
        batch_table,
        inputs,
        assumptions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sustain_core::hardware::AcceleratorCatalog;
    use sustain_core::site::SiteCatalog;

    fn joules_per_output_token(params: f64, hw: &str, batch: f64, tokens_out: f64) -> f64 {
        let sites = SiteCatalog::bundled().unwrap();
        let hardware = AcceleratorCatalog::bundled().unwrap();
        let mut r = InferRequest::default();
        for (k, v) in [
            ("hardware", hw),
            ("requests", "1"),
            ("tokens-in", "512"),
            ("pue", "1"),
        ] {
            r.set(k, v).unwrap();
        }
        r.params = Some(params);
        r.batch = Some(batch);
        r.tokens_out = Some(tokens_out);
        let e = estimate_infer(
            &r,
            Catalogs {
                sites: &sites,
                hardware: &hardware,
            },
        )
        .unwrap();
        e.per_request.it_energy.joules() / tokens_out
    }

    /// The calibration points (ML.ENERGY benchmark, measured GPU energy per output token).
    #[test]
    fn calibration_points_within_ten_percent() {
        for (params, hw, batch, out, measured) in [
            (8e9, "h100-sxm", 64.0, 600.0, 0.12),
            (32e9, "b200", 128.0, 627.0, 0.209),
            (32e9, "b200", 512.0, 627.0, 0.151),
        ] {
            let j = joules_per_output_token(params, hw, batch, out);
            assert!(
                (j / measured - 1.0).abs() < 0.10,
                "{params} on {hw} at {batch}: {j} J vs {measured}"
            );
        }
    }

    #[test]
    fn bigger_batches_use_less_energy_per_request_until_compute_bound() {
        let small = joules_per_output_token(8e9, "h100-sxm", 1.0, 300.0);
        let large = joules_per_output_token(8e9, "h100-sxm", 64.0, 300.0);
        assert!(small > 5.0 * large, "{small} vs {large}");
    }
}

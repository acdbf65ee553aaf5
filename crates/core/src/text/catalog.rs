//! The catalogs for people: sites, accelerators and CPUs with their sources.

use super::{opt, right, table, user};
use crate::format::sig;
use crate::hardware::{AcceleratorRecord, CpuRecord};
use crate::site::Site;

/// The table of `sustain catalog sites`.
pub fn sites_table(sites: &[&Site]) -> String {
    let mut t = table();
    t.set_header(vec![
        "ID",
        "NAME",
        "KIND",
        "gCO2e/kWh",
        "YEAR",
        "PUE",
        "WUE L/kWh",
        "PRICE/kWh",
        "SOURCE",
    ]);
    for s in sites {
        let r = &s.record;
        let source: String = r.source.chars().take(60).collect();
        t.add_row(vec![
            user(&r.id),
            user(&r.name),
            user(&r.kind),
            right(sig(r.intensity_g_per_kwh)),
            right(r.year.map_or("-".into(), |y| y.to_string())),
            right(sig(r.pue)),
            right(sig(r.wue_l_per_kwh)),
            right(match (&r.price_per_kwh, &r.currency) {
                (Some(p), Some(c)) => format!("{} {c}", sig(*p)),
                _ => "-".into(),
            }),
            user(&if r.source.chars().count() > 60 {
                format!("{source}…")
            } else {
                source
            }),
        ]);
    }
    format!(
        "{t}\n{} sites. Full sources: --json, or docs/reference/sites.md.\n",
        sites.len()
    )
}

/// The accelerator table of `sustain catalog hardware`.
pub fn accelerators_table(devices: &[&AcceleratorRecord]) -> String {
    let mut t = table();
    t.set_header(vec![
        "ID",
        "NAME",
        "TDP W",
        "TRAIN W",
        "MEM GB",
        "FP32",
        "BF16",
        "FP16",
        "FP8",
        "EMBODIED kg",
    ]);
    for d in devices {
        t.add_row(vec![
            user(&d.id),
            user(&d.name),
            right(opt(d.tdp_w)),
            right(opt(d.typical_training_w)),
            right(opt(d.memory_gb)),
            right(opt(d.fp32_tflops)),
            right(opt(d.bf16_tflops)),
            right(opt(d.fp16_tflops)),
            right(opt(d.fp8_tflops)),
            right(opt(d.embodied_kgco2e)),
        ]);
    }
    format!(
        "{t}\nPeak throughput in dense TFLOP/s per device. Sources: --json, or docs/reference/accelerators.md.\n"
    )
}

/// The CPU table of `sustain catalog hardware --kind cpu`.
pub fn cpus_table(cpus: &[&CpuRecord]) -> String {
    let mut t = table();
    t.set_header(vec!["CPU MODEL", "TDP W", "SOURCE"]);
    for c in cpus {
        t.add_row(vec![user(&c.model), right(sig(c.tdp_w)), user(&c.source)]);
    }
    format!("{t}\n{} CPU models.\n", cpus.len())
}

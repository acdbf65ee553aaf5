//! `sustain catalog sites` and `sustain catalog hardware`.

use anyhow::Result;
use serde_json::json;
use sustain_core::hardware::{AcceleratorCatalog, CpuCatalog};

use sustain_core::catalog::HardwareKind;
use sustain_core::text;
use sustain_meter::Settings;

use super::out;
use crate::args::{CatalogCommand, HardwareArgs, SitesArgs};

fn matches(search: &Option<String>, fields: &[&str]) -> bool {
    match search {
        None => true,
        Some(s) => {
            let s = s.to_lowercase();
            fields.iter().any(|f| f.to_lowercase().contains(&s))
        }
    }
}

/// `sustain catalog ...`.
pub fn catalog(cmd: CatalogCommand, settings: &Settings) -> Result<()> {
    match cmd {
        CatalogCommand::Sites(args) => sites(args, settings),
        CatalogCommand::Hardware(args) => hardware(args),
    }
}

fn sites(args: SitesArgs, settings: &Settings) -> Result<()> {
    let sites: Vec<_> = settings
        .sites
        .sites()
        .iter()
        .filter(|s| args.kind.is_none_or(|k| s.record.kind == k.as_str()))
        .filter(|s| matches(&args.search, &[&s.record.id, &s.record.name]))
        .collect();
    if args.json {
        let arr: Vec<_> = sites.iter().map(|s| &s.record).collect();
        return out(&format!("{}\n", serde_json::to_string_pretty(&arr)?));
    }
    if sites.is_empty() {
        return out("No site matches. Try a shorter --search, or no --kind.\n");
    }
    out(&text::sites_table(&sites))
}

fn hardware(args: HardwareArgs) -> Result<()> {
    let acc = AcceleratorCatalog::bundled()?;
    let cpus = CpuCatalog::bundled()?;
    let want = |k: &str| args.kind.is_none_or(|x| x.as_str() == k);
    let devices: Vec<_> = acc
        .devices()
        .iter()
        .filter(|d| want(&d.kind))
        .filter(|d| matches(&args.search, &[&d.id, &d.name, &d.vendor]))
        .collect();
    let cpu_rows: Vec<_> = if want("cpu") {
        cpus.cpus()
            .iter()
            .filter(|c| matches(&args.search, &[&c.model]))
            .collect()
    } else {
        Vec::new()
    };
    if args.json {
        let mut arr: Vec<serde_json::Value> = devices
            .iter()
            .map(|d| serde_json::to_value(d).unwrap_or_default())
            .collect();
        arr.extend(cpu_rows.iter().map(|c| {
            json!({"kind": "cpu", "id": c.model, "name": c.model, "tdp_w": c.tdp_w, "source": c.source})
        }));
        return out(&format!("{}\n", serde_json::to_string_pretty(&arr)?));
    }
    let mut shown = String::new();
    if !devices.is_empty() {
        shown.push_str(&text::accelerators_table(&devices));
    }
    // Thousands of CPUs: list them only when asked for, or when a search narrows them.
    if args.kind == Some(HardwareKind::Cpu) || (args.search.is_some() && cpu_rows.len() <= 200) {
        if !cpu_rows.is_empty() {
            shown.push_str(&text::cpus_table(&cpu_rows));
        }
    } else if want("cpu") {
        shown.push_str(&format!(
            "\n{} CPU models with their TDP (CodeCarbon's table); list them with --kind cpu [--search TEXT].\n",
            cpu_rows.len()
        ));
    }
    if shown.is_empty() {
        shown = "No hardware matches. Try a shorter --search, or no --kind.\n".into();
    }
    out(&shown)
}

//! `sustain scenario`: levers applied to a period's accounts, beside the actual figures.

use std::path::Path;

use anyhow::{Context as _, Result};
use chrono::Utc;
use comfy_table::Table;
use sustain_core::business::SavedScenario;
use sustain_core::hardware::AcceleratorCatalog;
use sustain_ledger::Business;
use sustain_report::scenario::{self, Context, ScenarioFile};
use sustain_report::{Period, Scope};

use crate::args::ScenarioCommand;
use crate::exit::BadInput;
use sustain_meter::Settings;

use super::{open_ledger, out};

/// `sustain scenario ...`
pub fn scenario(cmd: ScenarioCommand, settings: &Settings) -> Result<()> {
    match cmd {
        ScenarioCommand::Run(a) => {
            let ledger = open_ledger(settings)?;
            let path = Path::new(&a.file);
            let (text, file) = if path.exists() {
                (ScenarioFile::read_text(path)?, Some(path))
            } else if a.file.ends_with(".toml") || a.file.contains('/') {
                return Err(BadInput(format!(
                    "scenario file {} does not exist; give a TOML file (see `sustain scenario run --help`) or the name of a saved scenario",
                    a.file
                ))
                .into());
            } else {
                let saved = ledger.scenarios()?;
                match saved.into_iter().find(|s| s.name == a.file) {
                    Some(s) => (s.body, None),
                    None => {
                        return Err(BadInput(format!(
                            "no file and no saved scenario named {:?}; `sustain scenario list` shows the saved ones",
                            a.file
                        ))
                        .into());
                    }
                }
            };
            let sc = ScenarioFile::parse(&text)?;
            let period_text = a
                .period
                .clone()
                .or_else(|| sc.period.clone())
                .unwrap_or_else(|| {
                    let d = Utc::now().date_naive();
                    format!(
                        "{}-Q{}",
                        d.format("%Y"),
                        (chrono::Datelike::month0(&d) / 3) + 1
                    )
                });
            let period = Period::parse(&period_text)?;
            let scope = Scope::parse(
                a.scope
                    .as_deref()
                    .or(sc.scope.as_deref())
                    .unwrap_or("company"),
            )?;
            let accelerators =
                AcceleratorCatalog::bundled().context("bundled accelerator catalog")?;
            let ctx = Context {
                sites: &settings.sites,
                accelerators: &accelerators,
                file,
            };
            let r = scenario::run(&ledger, &sc, &period, &scope, &ctx)?;
            if a.save {
                ledger.save_scenario(
                    &SavedScenario {
                        name: sc.name.clone(),
                        body: text,
                        recorded_at: Utc::now(),
                    },
                    &super::business::actor(),
                )?;
            }
            if a.json {
                out(&format!("{}\n", serde_json::to_string_pretty(&r)?))
            } else {
                let mut s = sustain_report::render::scenario_markdown(&r);
                if a.save {
                    s.push_str(&format!("\nSaved as scenario {:?}.\n", sc.name));
                }
                out(&s)
            }
        }
        ScenarioCommand::List(a) => {
            let ledger = open_ledger(settings)?;
            let saved = ledger.scenarios()?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&saved)?));
            }
            if saved.is_empty() {
                return out(
                    "No saved scenarios: `sustain scenario run FILE.toml --save` saves one.\n",
                );
            }
            let mut t = Table::new();
            t.load_preset("     ─             ");
            t.set_header(vec!["NAME", "LEVERS", "SAVED"]);
            for s in &saved {
                let levers = ScenarioFile::parse(&s.body)
                    .map(|f| {
                        f.levers
                            .iter()
                            .map(|l| l.kind().name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_else(|e| format!("(invalid: {e})"));
                t.add_row(vec![
                    s.name.clone(),
                    levers,
                    s.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                ]);
            }
            out(&format!("{t}\n"))
        }
    }
}

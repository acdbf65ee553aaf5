//! `sustain report`, `target` and `audit`: the accounts and the report (assembled once, in
//! `sustain_report::Report`, as the server does), the strategy's targets, and the audit log.

use anyhow::{Context, Result};
use chrono::Utc;
use sustain_core::business::{Goal, Target};
use sustain_core::text;
use sustain_core::time::parse_day;
use sustain_ledger::Business;
use sustain_meter::Settings;
use sustain_report::render::targets_markdown;
use sustain_report::targets;
use sustain_report::{Period, Scope};

use super::business::actor;
use super::{open_ledger, out};
use crate::args::{AuditArgs, ReportArgs, TargetCommand};

/// `sustain report`.
pub fn report(a: ReportArgs, settings: &Settings) -> Result<()> {
    let period = Period::parse(&a.period)?;
    let scope = Scope::parse(&a.scope)?;
    let format = a.format;
    let ledger = open_ledger(settings)?;
    let accelerators = sustain_core::hardware::AcceleratorCatalog::bundled()
        .context("bundled accelerator catalog")?;
    let ctx = sustain_report::scenario::Context {
        sites: &settings.sites,
        accelerators: &accelerators,
        file: None,
    };
    let text = sustain_report::Report::build(&ledger, &period, &scope, &ctx)?.render(format);
    match &a.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("writing the report to {}", path.display()))?;
            eprintln!("sustain: report written to {}", path.display());
            Ok(())
        }
        None => out(&text),
    }
}

/// `sustain target ...`
pub fn target(cmd: TargetCommand, settings: &Settings) -> Result<()> {
    let ledger = open_ledger(settings)?;
    match cmd {
        TargetCommand::Add(a) => {
            let t = Target {
                name: a.name,
                metric: a.metric,
                scope: a.scope,
                baseline: a.baseline,
                goal: Goal::parse(&a.goal)?,
                by: parse_day("--by", &a.by)?,
                recorded_at: Utc::now(),
            };
            targets::check(&t)?;
            ledger.add_target(&t, &actor())?;
            out(&format!(
                "target {} recorded: {} of {} from {} to {} by {}\n",
                t.name,
                t.metric,
                t.scope,
                t.baseline,
                t.goal.label(),
                t.by
            ))
        }
        TargetCommand::List(a) => {
            let given = a.period.as_deref().map(Period::parse).transpose()?;
            let progress = targets::all(&ledger, given.as_ref(), Utc::now().date_naive())?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&progress)?));
            }
            if progress.is_empty() {
                return out(
                    "No targets. Add one with `sustain target add NAME --metric ... --baseline ... --goal ... --by ...`.\n",
                );
            }
            out(&targets_markdown(&progress))
        }
    }
}

/// `sustain audit`.
pub fn audit(a: AuditArgs, settings: &Settings) -> Result<i32> {
    let ledger = open_ledger(settings)?;
    if a.verify {
        return match ledger.verify_audit() {
            Ok(n) => {
                out(&format!(
                    "audit log intact: {n} entries, hash chain verified\n"
                ))?;
                Ok(crate::exit::OK)
            }
            Err(e) => {
                eprintln!("sustain: {e}");
                Ok(crate::exit::ERROR)
            }
        };
    }
    let log = ledger.audit()?;
    if a.json {
        return out(&format!("{}\n", serde_json::to_string_pretty(&log)?)).map(|_| crate::exit::OK);
    }
    if log.is_empty() {
        out("The audit log is empty: no product, usage or cost line has been recorded.\n")?;
        return Ok(crate::exit::OK);
    }
    out(&text::audit_table(&log))?;
    Ok(crate::exit::OK)
}

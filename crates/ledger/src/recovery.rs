//! Finding runs whose meter died and recording them as `incomplete`.
//!
//! A `sustain run` that is killed (SIGKILL, out-of-memory, a machine that goes down) leaves a
//! start and some samples but no end. Any later `sustain` that opens the ledger asks the caller
//! whether each open run's meter is gone; for those that are, it appends an `incomplete` end
//! whose energy is the sum of the recorded samples. Nothing is rewritten, and a meter that does
//! finish later simply appends its own end, which supersedes this one.

use std::time::Duration;

use chrono::Utc;
use sustain_core::run::{EnergyBreakdown, RunEnd, RunStatus, RunView, end_figures};
use sustain_core::site::Site;
use sustain_core::units::{Currency, HourlyRate};

use crate::error::{LedgerError, Result};
use crate::ledger::Ledger;

/// Marks as incomplete every open run for which `is_gone` says its meter has stopped. Returns
/// the ids marked.
pub fn recover_incomplete<L, F>(ledger: &L, is_gone: F) -> Result<Vec<String>>
where
    L: Ledger + ?Sized,
    F: Fn(&RunView, Option<chrono::DateTime<Utc>>) -> bool,
{
    let mut marked = Vec::new();
    for view in ledger.open_runs()? {
        let samples = ledger.samples(&view.start.id)?;
        let last_at = samples.last().map(|s| s.at);
        if !is_gone(&view, last_at) {
            continue;
        }
        let start = &view.start;
        let mut energy = EnergyBreakdown::default();
        let mut cpu_time = Duration::ZERO;
        let mut peak = 0;
        for s in &samples {
            energy.accumulate(&s.energy);
            cpu_time += s.cpu_time;
            peak = peak.max(s.rss_bytes);
        }
        for (name, comp) in [
            ("cpu", &mut energy.cpu),
            ("gpu", &mut energy.gpu),
            ("ram", &mut energy.ram),
        ] {
            comp.method = start.methods.get(name).cloned().unwrap_or_default();
        }
        let ended_at = last_at.unwrap_or(start.started_at);
        let duration = (ended_at - start.started_at).to_std().unwrap_or_default();
        let site = Site::from_record(start.site.clone())
            .map_err(|e| LedgerError::Corrupt(format!("site snapshot of run {}: {e}", start.id)))?;
        let rate = start
            .hourly_rate
            .as_ref()
            .map(|(a, c)| Currency::new(c).and_then(|c| HourlyRate::per_hour(*a, c)))
            .transpose()
            .map_err(|e| LedgerError::Corrupt(e.to_string()))?;
        let mut notes = vec![format!(
            "the meter stopped without recording an end (killed, or the machine went down); figures cover the {} samples recorded up to {}",
            samples.len(),
            ended_at.to_rfc3339()
        )];
        let (impacts, embodied) = end_figures(
            &start.host,
            &energy,
            (duration, cpu_time),
            &site,
            rate.as_ref(),
            &mut notes,
        );
        let end = RunEnd {
            run_id: start.id.clone(),
            ended_at,
            status: RunStatus::Incomplete,
            exit_code: None,
            signal: None,
            duration,
            cpu_time,
            peak_rss_bytes: peak,
            energy,
            impacts,
            embodied,
            notes,
            outcomes: serde_json::Value::Object(Default::default()),
        };
        if ledger.finish_run_if_open(&end)? {
            marked.push(start.id.clone());
        }
    }
    Ok(marked)
}

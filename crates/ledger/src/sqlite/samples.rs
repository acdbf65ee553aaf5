//! Samples of a run: one row per sampling interval, checked against the core bounds before
//! they are written.

use rusqlite::params;
use sustain_core::run::{ComponentEnergy, EnergyBreakdown, EnergySource, Sample};
use sustain_core::units::Energy;

use super::query::Failure;
use super::{SqliteLedger, parse_ts, secs, ts};
use crate::error::{LedgerError, Result};

/// The `apportioned` flags of a breakdown as bits: 0 cpu, 1 gpu, 2 ram.
pub(super) fn apportioned_bits(e: &EnergyBreakdown) -> i64 {
    i64::from(e.cpu.apportioned)
        | (i64::from(e.gpu.apportioned) << 1)
        | (i64::from(e.ram.apportioned) << 2)
}

/// A stored energy source.
pub(super) fn source(s: &str) -> Result<EnergySource> {
    s.parse()
        .map_err(|e: sustain_core::CoreError| LedgerError::Corrupt(e.to_string()))
}

/// Appends `samples` of `run_id` in the transaction `tx`.
pub(super) fn insert(
    tx: &rusqlite::Transaction<'_>,
    run_id: &str,
    samples: &[Sample],
) -> std::result::Result<(), Failure> {
    for (i, s) in samples.iter().enumerate() {
        s.validate(&format!("samples[{i}]"))
            .map_err(|e| LedgerError::Rejected(e.into()))?;
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO samples (run_id, seq, at, interval_s, cpu_j, gpu_j, ram_j, cpu_source,
            gpu_source, ram_source, apportioned, cpu_s, rss_bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for s in samples {
        let e = &s.energy;
        stmt.execute(params![
            run_id,
            s.seq,
            ts(&s.at),
            s.interval.as_secs_f64(),
            e.cpu.energy.joules(),
            e.gpu.energy.joules(),
            e.ram.energy.joules(),
            e.cpu.source.as_str(),
            e.gpu.source.as_str(),
            e.ram.source.as_str(),
            apportioned_bits(e),
            s.cpu_time.as_secs_f64(),
            s.rss_bytes as i64,
        ])?;
    }
    Ok(())
}

/// The samples of `run_id`, in order.
pub(super) fn read(l: &SqliteLedger, run_id: &str) -> Result<Vec<Sample>> {
    let rows = l.rows(
        "SELECT * FROM samples WHERE run_id = ?1 ORDER BY seq",
        [run_id],
        |r| {
            Ok((
                r.get::<_, u32>("seq")?,
                r.get::<_, String>("at")?,
                r.get::<_, f64>("interval_s")?,
                [r.get::<_, f64>("cpu_j")?, r.get("gpu_j")?, r.get("ram_j")?],
                [
                    r.get::<_, String>("cpu_source")?,
                    r.get("gpu_source")?,
                    r.get("ram_source")?,
                ],
                r.get::<_, i64>("apportioned")?,
                r.get::<_, f64>("cpu_s")?,
                r.get::<_, i64>("rss_bytes")?,
            ))
        },
    )?;
    rows.into_iter()
        .map(|(seq, at, interval, j, src, app, cpu_s, rss)| {
            let comp = |i: usize| -> Result<ComponentEnergy> {
                Ok(ComponentEnergy {
                    energy: Energy::from_joules(j[i]),
                    source: source(&src[i])?,
                    apportioned: app & (1 << i) != 0,
                    method: String::new(),
                })
            };
            Ok(Sample {
                seq,
                at: parse_ts(&at)?,
                interval: secs(interval),
                energy: EnergyBreakdown {
                    cpu: comp(0)?,
                    gpu: comp(1)?,
                    ram: comp(2)?,
                },
                cpu_time: secs(cpu_s),
                rss_bytes: rss.max(0) as u64,
            })
        })
        .collect()
}

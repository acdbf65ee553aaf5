//! `sustain schedule run` and `sustain schedule release`: plan, then hand the plan to an
//! executor (sustain-sched's `exec`), and print what was handed over.

use anyhow::{Context, Result};
use serde_json::json;
use sustain_core::text::{table, user};
use sustain_sched::exec::Executor;
use sustain_sched::exec::kubernetes::{self, K8sOptions, Kubectl};
use sustain_sched::exec::slurm::{self, Sbatch, SlurmOptions};
use sustain_sched::forecast::ForecastUse;
use sustain_sched::sim::plan;
use sustain_sched::time::{format_timestamp, parse_timestamp};

use sustain_ledger::{Business, Ledger};
use sustain_meter::Settings;
use sustain_sched::exec::local::{self, LocalOptions, SettingsRecorder, SystemClock};

use crate::args::{ReleaseArgs, ScheduleRunArgs};

use super::business::actor;
use super::schedule::{inputs, record, tags};
use super::{open_ledger, out};

/// `sustain schedule run`; returns the exit code.
pub fn run(args: ScheduleRunArgs, settings: &Settings) -> Result<i32> {
    let job_tags = tags(&args.tags)?;
    let loaded = inputs(&args.inputs)?.load()?;
    let p = plan(&loaded.grid, &loaded.jobs, args.policy, ForecastUse::Raw);
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    if args.executor == Executor::Local {
        return run_local(&args, &p, &job_tags, settings);
    }
    if !args.dry_run {
        record(settings, &p.to_record(ForecastUse::Raw, &job_tags))?;
    }
    // (job id, what it became, where it is written)
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let what = match args.executor {
        Executor::Slurm => {
            let partitions = args
                .partition
                .iter()
                .map(|s| slurm::parse_partition(s))
                .collect::<Result<_, _>>()?;
            let opts = SlurmOptions {
                priority: args.slurm_priority,
                partitions,
                output_dir: Some(std::path::absolute(&args.dir).unwrap_or(args.dir.clone())),
                ..SlurmOptions::default()
            };
            let scripts = slurm::scripts(&p, &opts)?;
            if args.dry_run {
                let paths = slurm::write(&scripts, &args.dir)?;
                for (s, path) in scripts.iter().zip(paths) {
                    rows.push((
                        s.job_id.clone(),
                        "written".into(),
                        path.display().to_string(),
                    ));
                }
                "batch scripts written (not submitted: --dry-run)"
            } else {
                for s in slurm::submit(&scripts, &args.dir, &Sbatch::default())? {
                    rows.push((
                        s.job_id,
                        format!("slurm job {}", s.slurm_id),
                        s.script_path.display().to_string(),
                    ));
                }
                "submitted to Slurm"
            }
        }
        Executor::Kubernetes => {
            let opts = K8sOptions {
                image: args.image.clone(),
                node_label: args.node_label.clone(),
                namespace: args.namespace.clone(),
                ..K8sOptions::default()
            };
            let manifests = kubernetes::manifests(&p, &opts)?;
            let paths = kubernetes::write(&manifests, &args.dir)?;
            for (m, path) in manifests.iter().zip(paths) {
                rows.push((
                    m.job_id.clone(),
                    format!("Job {} (suspended)", m.name),
                    path.display().to_string(),
                ));
            }
            if args.dry_run {
                "manifests written (not applied: --dry-run)"
            } else {
                kubernetes::apply(&args.dir, &Kubectl::default())?;
                "applied to Kubernetes, suspended until `sustain schedule release`"
            }
        }
        Executor::Local => unreachable!("run_local above"),
    };
    if args.json {
        let jobs: Vec<_> = rows
            .iter()
            .zip(&p.jobs)
            .map(|((id, became, file), pj)| {
                json!({"job": id, "site": pj.site, "start": format_timestamp(pj.start()), "end": format_timestamp(pj.end()),
                       "predicted_co2e_g": pj.predicted_co2e_g, "baseline_co2e_g": pj.baseline_co2e_g, "late": pj.late,
                       "handed_over": became, "file": file})
            })
            .collect();
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &json!({"executor": format!("{:?}", args.executor).to_lowercase(),
                "dir": args.dir.display().to_string(), "dry_run": args.dry_run, "jobs": jobs})
            )?
        ))?;
        return Ok(crate::exit::OK);
    }
    let mut t = table();
    t.set_header(vec!["job", "site", "start", "handed over", "file"]);
    for ((id, became, file), pj) in rows.iter().zip(&p.jobs) {
        t.add_row(vec![
            user(id),
            user(&pj.site),
            comfy_table::Cell::new(format_timestamp(pj.start())),
            user(became),
            user(file),
        ]);
    }
    out(&format!("{} jobs {what}:\n{t}\n", rows.len()))?;
    Ok(crate::exit::OK)
}

/// `--executor local`: record the plan, run each job metered at its slots, record each job's
/// outcome from the energy its run measured.
fn run_local(
    args: &ScheduleRunArgs,
    p: &sustain_sched::plan::Plan,
    job_tags: &sustain_sched::record::Tags,
    settings: &Settings,
) -> Result<i32> {
    let plan_id = record(settings, &p.to_record(ForecastUse::Raw, job_tags))?;
    let options = LocalOptions {
        plan_id: Some(plan_id.clone()),
        tags: job_tags.clone(),
        output_dir: Some(args.dir.clone()),
        kill_at_deadline: args.kill_at_deadline,
        ..LocalOptions::default()
    };
    let mut recorder = SettingsRecorder::new(settings, |_job| {
        let ledger = open_ledger(settings).map_err(sustain_core::sink::SinkError::from)?;
        Ok(Box::new(ledger) as Box<dyn sustain_core::sink::RunSink + Send>)
    });
    let outcomes = local::run(p, &options, &SystemClock::utc(), &mut recorder)?;
    // Each job that ran and was recorded gets its outcome: the plan's figures per kWh times
    // the energy its run measured.
    let ledger = open_ledger(settings)?;
    for o in &outcomes {
        let (Some(run_id), Some(planned)) =
            (&o.run_id, p.jobs.iter().find(|j| j.job.id == o.job_id))
        else {
            continue;
        };
        let Ok(view) = ledger.run(run_id) else {
            continue;
        };
        let Some(end) = &view.end else { continue };
        let outcome =
            sustain_sched::record::outcome_of(&plan_id, planned, run_id, end.energy.total().kwh())?;
        ledger.record_schedule_outcome(&outcome, &actor())?;
    }
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"plan": plan_id, "jobs": outcomes}))?
        ))?;
    } else {
        out(&local::render(&outcomes))?;
    }
    Ok(local::exit_code(&outcomes))
}

/// `sustain schedule release`.
pub fn release(args: ReleaseArgs) -> Result<()> {
    let now = match &args.now {
        Some(t) => parse_timestamp("--now", t)?,
        None => chrono::Utc::now().naive_utc(),
    };
    let manifests = kubernetes::read(&args.dir)?;
    let due = kubernetes::due(&manifests, now);
    let released: Vec<(String, String)> = if args.dry_run {
        due.iter()
            .map(|m| (m.job_id.clone(), m.name.clone()))
            .collect()
    } else {
        kubernetes::release(&due, &Kubectl::default())?
            .into_iter()
            .map(|r| (r.job_id, r.name))
            .collect()
    };
    if args.json {
        let list: Vec<_> = released
            .iter()
            .map(|(j, n)| json!({"job": j, "name": n}))
            .collect();
        return out(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &json!({"now": format_timestamp(now), "dry_run": args.dry_run,
                "released": list, "waiting": manifests.len() - released.len()})
            )?
        ));
    }
    let mut t = table();
    t.set_header(vec!["job", "Kubernetes Job"]);
    for (j, n) in &released {
        t.add_row(vec![user(j), user(n)]);
    }
    out(&format!(
        "{} of {} jobs {} at {}:\n{t}\n",
        released.len(),
        manifests.len(),
        if args.dry_run { "due" } else { "released" },
        format_timestamp(now)
    ))
}

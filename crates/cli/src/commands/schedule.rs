//! `sustain schedule ...`: parse, call sustain-sched, print.

use anyhow::{Context, Result};
use sustain_sched::SchedError;
use sustain_sched::input::{Inputs, parse_site_capacity, parse_site_file};
use sustain_sched::series::Series;
use sustain_sched::sim::{SimOptions, plan, simulate};
use sustain_sched::time::{parse_duration_min, parse_timestamp};
use sustain_sched::workload::{MlWorkload, to_csv};
use sustain_sched::{best, svg, text};

use sustain_ledger::Business;
use sustain_meter::Settings;
use sustain_sched::record::Tags;

use crate::args::{BestArgs, JobsArgs, PlanArgs, ScheduleCommand, ScheduleInputs, SimulateArgs};

use super::business::actor;
use super::{open_ledger, out};

/// `sustain schedule ...`; returns the exit code.
pub fn schedule(cmd: ScheduleCommand, settings: &Settings) -> Result<i32> {
    let ok = |r: Result<()>| r.map(|_| crate::exit::OK);
    match cmd {
        ScheduleCommand::Simulate(args) => ok(simulate_cmd(args, settings)),
        ScheduleCommand::Plan(args) => ok(plan_cmd(args, settings)),
        ScheduleCommand::Best(args) => ok(best_cmd(args)),
        ScheduleCommand::Jobs(args) => ok(jobs_cmd(args)),
        ScheduleCommand::Run(args) => super::schedule_run::run(args, settings),
        ScheduleCommand::Release(args) => ok(super::schedule_run::release(args)),
    }
}

/// `--tag KEY=VALUE` flags as the tags of every job's record.
pub(super) fn tags(flags: &[String]) -> Result<Tags> {
    flags
        .iter()
        .map(|t| sustain_core::run::parse_tag(t).map_err(Into::into))
        .collect()
}

/// Records a schedule in the ledger and says so on stderr; returns its id.
pub(super) fn record(
    settings: &Settings,
    rec: &sustain_core::schedule::ScheduleRecord,
) -> Result<String> {
    let ledger = open_ledger(settings)?;
    let id = ledger.record_schedule(rec, &actor())?;
    eprintln!(
        "sustain: recorded {} {id} ({} jobs) in {}",
        rec.plan.mode.as_str(),
        rec.jobs.len(),
        settings.ledger_path.display()
    );
    Ok(id)
}

pub(super) fn inputs(args: &ScheduleInputs) -> Result<Inputs, SchedError> {
    Ok(Inputs {
        jobs: args.jobs.clone(),
        intensity: args
            .intensity
            .iter()
            .map(|s| parse_site_file(s))
            .collect::<Result<_, _>>()?,
        capacity: args
            .capacity
            .iter()
            .map(|s| parse_site_capacity(s))
            .collect::<Result<_, _>>()?,
        inventory: args.inventory.clone(),
        step_min: args.step,
    })
}

fn simulate_cmd(args: SimulateArgs, settings: &Settings) -> Result<()> {
    let job_tags = tags(&args.tags)?;
    let options = SimOptions {
        policy: args.policy,
        forecast_error: args.forecast_error,
        seeds: args.seeds,
        forecast_use: args.forecast_use,
    };
    options.validate()?;
    let loaded = inputs(&args.inputs)?.load()?;
    let sim = simulate(&loaded.grid, &loaded.jobs, options);
    if args.record {
        record(
            settings,
            &sim.to_record(&loaded.grid, &loaded.jobs, &job_tags),
        )?;
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, svg::chart(&loaded.grid, &sim))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        return out(&format!("{}\n", serde_json::to_string_pretty(&sim)?));
    }
    out(&text::simulation(&sim))
}

fn plan_cmd(args: PlanArgs, settings: &Settings) -> Result<()> {
    let job_tags = tags(&args.tags)?;
    let loaded = inputs(&args.inputs)?.load()?;
    let use_ = sustain_sched::forecast::ForecastUse::Raw;
    let p = plan(&loaded.grid, &loaded.jobs, args.policy, use_);
    if args.record {
        record(settings, &p.to_record(use_, &job_tags))?;
    }
    if args.json {
        return out(&format!("{}\n", serde_json::to_string_pretty(&p)?));
    }
    out(&text::plan(&p))
}

fn best_cmd(args: BestArgs) -> Result<()> {
    let duration = parse_duration_min("--duration", &args.duration)?;
    let by = parse_timestamp("--by", &args.by)?;
    let after = match &args.after {
        Some(t) => parse_timestamp("--after", t)?,
        None => chrono::Utc::now().naive_utc(),
    };
    let mut sites = Vec::with_capacity(args.intensity.len());
    for s in &args.intensity {
        let (site, path) = parse_site_file(s)?;
        sites.push((site, Series::read(&path, args.step)?));
    }
    let windows = best::best(&sites, duration, after, by)?;
    if args.json {
        return out(&format!("{}\n", serde_json::to_string_pretty(&windows)?));
    }
    out(&text::best(&windows))
}

fn jobs_cmd(args: JobsArgs) -> Result<()> {
    let workload = MlWorkload {
        jobs: args.count,
        year: args.year,
        interruptible: args.interruptible,
        site: args.site,
        sites: args.sites,
        rule: args.deadline,
        seed: args.seed,
    };
    out(&to_csv(&workload.generate()?))
}

//! `sustain schedule ...`: parse, call sustain-sched, print.

use anyhow::{Context, Result};
use sustain_sched::SchedError;
use sustain_sched::input::{Inputs, parse_site_capacity, parse_site_file};
use sustain_sched::series::Series;
use sustain_sched::sim::{SimOptions, plan, simulate};
use sustain_sched::time::{parse_duration_min, parse_timestamp};
use sustain_sched::workload::{MlWorkload, to_csv};
use sustain_sched::{best, svg, text};

use crate::args::{BestArgs, JobsArgs, PlanArgs, ScheduleCommand, ScheduleInputs, SimulateArgs};

use super::out;

/// `sustain schedule ...`.
pub fn schedule(cmd: ScheduleCommand) -> Result<()> {
    match cmd {
        ScheduleCommand::Simulate(args) => simulate_cmd(args),
        ScheduleCommand::Plan(args) => plan_cmd(args),
        ScheduleCommand::Best(args) => best_cmd(args),
        ScheduleCommand::Jobs(args) => jobs_cmd(args),
        ScheduleCommand::Run(args) => super::schedule_run::run(args),
        ScheduleCommand::Release(args) => super::schedule_run::release(args),
    }
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

fn simulate_cmd(args: SimulateArgs) -> Result<()> {
    if !(args.forecast_error.is_finite() && (0.0..=1.0).contains(&args.forecast_error)) {
        return Err(SchedError::Invalid {
            what: "--forecast-error".into(),
            value: args.forecast_error.to_string(),
            expected: "σ as a fraction of the series' mean, 0 to 1 (0.05 = 5 %)".into(),
        }
        .into());
    }
    if !(1..=1000).contains(&args.seeds) {
        return Err(SchedError::Invalid {
            what: "--seeds".into(),
            value: args.seeds.to_string(),
            expected: "1 to 1000 draws".into(),
        }
        .into());
    }
    let loaded = inputs(&args.inputs)?.load()?;
    let sim = simulate(
        &loaded.grid,
        &loaded.jobs,
        SimOptions {
            policy: args.policy,
            forecast_error: args.forecast_error,
            seeds: args.seeds,
            forecast_use: args.forecast_use,
        },
    );
    if let Some(path) = &args.svg {
        std::fs::write(path, svg::chart(&loaded.grid, &sim))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        return out(&format!("{}\n", serde_json::to_string_pretty(&sim)?));
    }
    out(&text::simulation(&sim))
}

fn plan_cmd(args: PlanArgs) -> Result<()> {
    let loaded = inputs(&args.inputs)?.load()?;
    let p = plan(
        &loaded.grid,
        &loaded.jobs,
        args.policy,
        sustain_sched::forecast::ForecastUse::Raw,
    );
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
    if args.count == 0 || args.count > 10_000_000 {
        return Err(SchedError::Invalid {
            what: "--count".into(),
            value: args.count.to_string(),
            expected: "1 to 10000000 jobs".into(),
        }
        .into());
    }
    for s in std::iter::once(&args.site).chain(&args.sites) {
        parse_site_capacity(&format!("{s}=1"))?;
    }
    let jobs = MlWorkload {
        jobs: args.count,
        year: args.year,
        interruptible: args.interruptible,
        site: args.site,
        sites: args.sites,
        rule: args.deadline,
        seed: args.seed,
    }
    .generate();
    out(&to_csv(&jobs))
}

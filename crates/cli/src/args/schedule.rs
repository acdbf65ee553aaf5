//! `sustain schedule simulate|plan|best|jobs`: carbon-aware scheduling (sustain-sched).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sustain_sched::exec::Executor;
use sustain_sched::exec::slurm::SlurmPriority;
use sustain_sched::forecast::ForecastUse;
use sustain_sched::policy::PolicyKind;
use sustain_sched::workload::DeadlineRule;

pub(super) const SCHEDULE_HELP: &str = "\
Examples:
  S=../shared/data/carbon-intensity
  sustain schedule jobs --count 3387 --site gb > jobs.csv           ML-training-like jobs
  sustain schedule simulate --jobs jobs.csv --intensity gb=$S/gb_2020.csv
  sustain schedule simulate --jobs jobs.csv --intensity gb=$S/gb_2020.csv \\
      --forecast-error 0.05 --seeds 10 --json | jq .saved_pct
  sustain schedule plan --jobs jobs.csv --intensity gb=$S/gb_2020.csv
  sustain schedule best --duration 4h --after \"2020-03-02 09:00\" --by \"2020-03-03 09:00\" \\
      --intensity gb=$S/gb_2020.csv

Jobs (CSV or TOML): id, submit, duration_min, deadline required; interruptible, power_kw (or gpus
and device; with params and tokens instead of duration_min, the duration and draw of `sustain
estimate train`), priority, site (home), sites (allowed, ';'-separated), command optional. Decisions
use the forecast, never the truth; carbon is accounted on the true series. Method and
validation: docs/methods/scheduling.md.";

/// `sustain schedule ...`
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Replay jobs under a policy and under fifo; carbon, energy, savings, misses, waits.
    #[command(after_help = SIMULATE_HELP)]
    Simulate(SimulateArgs),
    /// Where and when each job runs under a policy, with its predicted carbon.
    #[command(
        after_help = "Examples:\n  sustain schedule plan --jobs jobs.csv --intensity gb=gb_2020.csv\n  sustain schedule plan --jobs jobs.csv --intensity gb=gb.csv --intensity fr=fr.csv --capacity gb=4 --json\n\nThe series given are taken as the forecast: the plan is as good as they are."
    )]
    Plan(PlanArgs),
    /// The best start for one job within a deadline (the Carbon Aware SDK's look-up).
    #[command(
        after_help = "Examples:\n  sustain schedule best --duration 4h --by \"2026-12-01 09:00\" --intensity gb=forecast.json\n  sustain schedule best --duration 90min --after \"2020-03-02 09:00\" --by \"2020-03-02 18:00\" \\\n      --intensity gb=gb_2020.csv --intensity fr=fr_2020.csv --json\n\nEach site's best window, best first. --after defaults to now."
    )]
    Best(BestArgs),
    /// Plan the jobs and carry the plan out: here (metered), on Slurm, or on Kubernetes.
    #[command(after_help = SCHEDULE_RUN_HELP)]
    Run(ScheduleRunArgs),
    /// Kubernetes: unsuspend each Job written by `schedule run` whose slot has come.
    #[command(
        after_help = "Examples:\n  sustain schedule release --dir sustain-schedule\n  sustain schedule release --dir sustain-schedule --now \"2026-12-01 02:00\" --json\n  */5 * * * * sustain schedule release --dir /srv/plans/today     (from cron)\n\nRuns `kubectl patch job NAME --type=merge -p '{\"spec\":{\"suspend\":false}}'` for each Job whose\nplanned start is at or before now (UTC, the plan's clock). Releasing a Job twice changes nothing."
    )]
    Release(ReleaseArgs),
    /// Write a job list of the kind Wiesner et al. evaluate (CSV on stdout).
    #[command(
        after_help = "Examples:\n  sustain schedule jobs > jobs.csv\n  sustain schedule jobs --count 500 --site gb --sites gb,fr,de --interruptible --seed 7\n\nJobs submitted on workdays between 09:00 and 16:30, 4 h to 89.5 h long, due the next workday\nat 09:00 after they would have finished (Wiesner et al., \"Let's Wait Awhile\", Middleware '21)."
    )]
    Jobs(JobsArgs),
}

pub(super) const SIMULATE_HELP: &str = "\
Examples:
  sustain schedule simulate --jobs jobs.csv --intensity gb=gb_2020.csv
  sustain schedule simulate --jobs jobs.csv --intensity gb=gb_2020.csv --forecast-error 0.05 --seeds 10
  sustain schedule simulate --jobs jobs.csv --intensity gb=gb.csv --intensity fr=fr.csv \\
      --intensity de=de.csv --capacity gb=20 --policy carbon --svg schedule.svg --json

--json prints jobs, baseline.co2e_g, policy.co2e_g, saved_pct, deadline_misses (the worst seed),
mean_wait_min, moved_jobs, per_site and each seed. A site without a series takes its catalog's
yearly figure (flagged). Exit codes: 0 done (late jobs are reported, not an error), 2 bad input.";

/// The inputs every schedule command reads.
#[derive(Debug, Args)]
pub struct ScheduleInputs {
    /// Jobs file: CSV with a header, or TOML with `[[job]]` tables.
    #[arg(long, value_name = "FILE")]
    pub jobs: PathBuf,
    /// A site's carbon-intensity series (repeatable): Time,Carbon Intensity / time,gco2_per_kwh
    /// CSV, Electricity Maps' CSV export or the UK Carbon Intensity API's JSON.
    #[arg(long, value_name = "SITE=FILE")]
    pub intensity: Vec<String>,
    /// Concurrent jobs a site can run (repeatable; default unlimited).
    #[arg(long, value_name = "SITE=N")]
    pub capacity: Vec<String>,
    /// Cluster inventory CSV (`site,nodes[,hardware]`): each site's capacity is its nodes.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Minutes per slot; series are resampled to it.
    #[arg(long, default_value_t = sustain_sched::input::DEFAULT_STEP_MIN, value_name = "MIN")]
    pub step: u32,
}

/// Options of `sustain schedule simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// What to schedule, where.
    #[command(flatten)]
    pub inputs: ScheduleInputs,
    /// The policy compared with fifo.
    #[arg(long, value_enum, default_value_t = PolicyKind::Carbon)]
    pub policy: PolicyKind,
    /// Forecast error: σ as a fraction of each series' mean (0.05 = 5 %); 0 = perfect forecast.
    #[arg(long, default_value_t = 0.0, value_name = "E")]
    pub forecast_error: f64,
    /// Draws of the forecast error (seeds 0..N-1); results are the mean.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub seeds: u32,
    /// How the carbon policy uses the forecast: raw, or smoothed when it is noisy.
    #[arg(long, value_enum, default_value_t = ForecastUse::Smoothed)]
    pub forecast_use: ForecastUse,
    /// Record it in the ledger (listed by the ledger; a simulation is never counted in the accounts).
    #[arg(long)]
    pub record: bool,
    /// A tag of every job's record (repeatable): the scope its avoided carbon counts in.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Write a chart of intensity, baseline load and planned load (SVG).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain schedule plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// What to schedule, where.
    #[command(flatten)]
    pub inputs: ScheduleInputs,
    /// The policy.
    #[arg(long, value_enum, default_value_t = PolicyKind::Carbon)]
    pub policy: PolicyKind,
    /// Record the plan in the ledger: its avoided carbon counts in the accounts of the period
    /// of each job's planned start.
    #[arg(long)]
    pub record: bool,
    /// A tag of every job's record (repeatable): the scope its avoided carbon counts in.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain schedule best`.
#[derive(Debug, Args)]
pub struct BestArgs {
    /// How long the job runs: 4h, 90min, 1h30m, 2d or minutes.
    #[arg(long, value_name = "DURATION")]
    pub duration: String,
    /// When it must have finished.
    #[arg(long, value_name = "TIME")]
    pub by: String,
    /// The earliest start (default: now).
    #[arg(long, value_name = "TIME")]
    pub after: Option<String>,
    /// A site's series (repeatable), as for simulate.
    #[arg(long, value_name = "SITE=FILE", required = true)]
    pub intensity: Vec<String>,
    /// Minutes per slot.
    #[arg(long, default_value_t = sustain_sched::input::DEFAULT_STEP_MIN, value_name = "MIN")]
    pub step: u32,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain schedule jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// How many jobs.
    #[arg(long, default_value_t = 3387)]
    pub count: usize,
    /// The year they are submitted in.
    #[arg(long, default_value_t = 2020)]
    pub year: i32,
    /// Home site of every job.
    #[arg(long, default_value = "site")]
    pub site: String,
    /// Sites they may run at, comma-separated (default: the home site only).
    #[arg(long, value_delimiter = ',')]
    pub sites: Vec<String>,
    /// Jobs may be suspended and resumed.
    #[arg(long)]
    pub interruptible: bool,
    /// When they are due.
    #[arg(long, value_enum, default_value_t = DeadlineRule::NextWorkday)]
    pub deadline: DeadlineRule,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub(super) const SCHEDULE_RUN_HELP: &str = "\
Examples:
  sustain schedule run --jobs jobs.csv --intensity gb=forecast.json --executor local --tag product=chat
  sustain schedule run --jobs jobs.csv --intensity gb=forecast.json --executor slurm
  sustain schedule run --jobs jobs.csv --intensity gb=forecast.json --executor slurm --dry-run --dir plan/
  sustain schedule run --jobs jobs.csv --intensity gb=gb.json --executor kubernetes --image python:3.12
  sustain schedule release --dir sustain-schedule          (then, at each slot, from cron)

The plan is recorded in the ledger (its avoided carbon counts in the accounts); local runs are
recorded as `schedule` runs tagged with their plan, and each job that ran gets an outcome.
local: each job waits for its slots and runs metered here like `sustain run` (an interruptible
job is stopped with SIGSTOP between its stretches and resumed with SIGCONT); plan times are UTC.
slurm: one batch script per job (--begin at the planned start, --deadline, --time, --nice from
the priority, the site as partition), submitted with sbatch; submissions are listed in
DIR/submitted.tsv as they are made. kubernetes: one batch/v1 Job per job, created suspended with
the site as a node selector, applied with kubectl; `schedule release` starts each at its slot.
--dry-run writes the scripts or manifests without running sbatch or kubectl. Jobs need a
`command` column. See docs/methods/scheduling-executors.md.";

/// Options of `sustain schedule run`.
#[derive(Debug, Args)]
pub struct ScheduleRunArgs {
    /// What to schedule, where.
    #[command(flatten)]
    pub inputs: ScheduleInputs,
    /// The policy that plans.
    #[arg(long, value_enum, default_value_t = PolicyKind::Carbon)]
    pub policy: PolicyKind,
    /// Where the plan is carried out.
    #[arg(long, value_enum)]
    pub executor: Executor,
    /// Where scripts, manifests and job output go.
    #[arg(long, default_value = "sustain-schedule", value_name = "DIR")]
    pub dir: PathBuf,
    /// Write the scripts or manifests only; run neither sbatch nor kubectl.
    #[arg(long)]
    pub dry_run: bool,
    /// Slurm: how priorities are written (nice works for every user; priority needs an operator).
    #[arg(long, value_enum, default_value_t = SlurmPriority::Nice)]
    pub slurm_priority: SlurmPriority,
    /// Slurm: the partition of a site not named after it (repeatable).
    #[arg(long, value_name = "SITE=PARTITION")]
    pub partition: Vec<String>,
    /// A tag of every job's record and local run (repeatable): the scope it counts in.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Local: stop a job still running at its deadline (SIGTERM, then SIGKILL after 10 s).
    #[arg(long)]
    pub kill_at_deadline: bool,
    /// Kubernetes: the container image the jobs' commands run in.
    #[arg(long, default_value = "busybox:1.36")]
    pub image: String,
    /// Kubernetes: the node label that names a site.
    #[arg(long, default_value = "topology.kubernetes.io/region")]
    pub node_label: String,
    /// Kubernetes: the namespace of the Jobs.
    #[arg(long)]
    pub namespace: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain schedule release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The directory `schedule run --executor kubernetes` wrote.
    #[arg(long, default_value = "sustain-schedule", value_name = "DIR")]
    pub dir: PathBuf,
    /// The time to release up to (default: now, UTC).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Write nothing, run nothing: list the Jobs whose slot has come.
    #[arg(long)]
    pub dry_run: bool,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

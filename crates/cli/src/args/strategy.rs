//! `sustain scenario`, `report`, `audit` and `target`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sustain_report::Format;

use super::{Choice, JsonArg};

pub(super) const SCENARIO_HELP: &str = "\
Examples:
  sustain scenario run scenarios/move-to-france.toml --period 2026-Q3
  sustain scenario run plan.toml --period 2026-Q3 --scope product:chat --json
  sustain scenario run plan.toml --period 2026-Q3 --save
  sustain scenario list

A scenario file names levers, applied in order to the period's runs, usage and costs:

  name = \"greener-q3\"
  [[lever]]
  type = \"move-site\"        # move workloads to another site
  from = \"DE\"               # optional: only runs at this site
  to = \"FR\"
  share = 1.0                 # optional: the share of their energy moved
  [[lever]]
  type = \"shift-hours\"      # run in the lowest-carbon hours of a window
  series = \"../shared/data/carbon-intensity/ger_2020.csv\"
  window_hours = 24
  kinds = [\"train\"]

Other levers: hardware (from/to accelerator ids, or energy_factor), quantize and prune
(energy_factor, or the effect measured by optimization runs), pue, contractual-power (share and
g/kWh; market-based only), energy-price, price and volume (per product, \"+10%\"). Filters on any
lever: kinds, site, product, model. The result shows each figure actual and with the scenario,
and what each lever moved. Method: docs/methods/scenarios.md.";

/// `sustain scenario ...`
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Apply a scenario file's levers to a period's accounts.
    #[command(after_help = SCENARIO_HELP)]
    Run(ScenarioRunArgs),
    /// List the saved scenarios.
    #[command(after_help = "Examples:\n  sustain scenario list\n  sustain scenario list --json")]
    List(JsonArg),
}

/// Options of `sustain scenario run`.
#[derive(Debug, Args)]
pub struct ScenarioRunArgs {
    /// The scenario file (TOML), or the name of a saved scenario.
    #[arg(value_name = "FILE.toml|NAME")]
    pub file: String,
    /// Period: 2026, 2026-Q3, 2026-09, ... (default: the file's `period`, else this quarter).
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Scope (default: the file's `scope`, else company).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Save the scenario in the ledger under its name (reports list saved scenarios).
    #[arg(long)]
    pub save: bool,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub(super) const REPORT_HELP: &str = "\
Examples:
  sustain report --period 2026-Q3
  sustain report --period 2026-Q3 --scope product:chat --format json
  sustain report --period 2026-07-01..2026-09-30 --scope team:vision --format csv --output q3.csv
  sustain report --period 2026-Q3 --format html --output q3.html

Periods: a year (2026), a quarter (2026-Q3), a month (2026-09), a day, or a range of days; runs
count in the period they started in (UTC). Scopes: company (default), product:NAME, model:NAME,
team:NAME (runs' tags), site:ID, kind:KIND, tag:KEY=VALUE. Each figure is compared with the previous
period of the same length. Location- and market-based carbon are reported apart. Methods:
docs/methods/accounts.md.";

/// Options of `sustain report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Period: 2026, 2026-Q3, 2026-09, 2026-09-14 or 2026-07-01..2026-09-30.
    #[arg(long, value_name = "PERIOD")]
    pub period: String,
    /// Scope: company, product:NAME, model:NAME, team:NAME, site:ID, kind:KIND, tag:KEY=VALUE.
    #[arg(long, default_value = "company", value_name = "SCOPE")]
    pub scope: String,
    /// Format (html: one self-contained file with charts).
    #[arg(long, default_value = "md", value_name = "FORMAT", value_parser = Choice::<Format>::new())]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options of `sustain audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Recompute the hash chain and report whether it holds.
    #[arg(long)]
    pub verify: bool,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub(super) const TARGET_HELP: &str = "\
Examples:
  sustain target add chat-carbon --metric co2e_per_1k_requests --scope product:chat --baseline 2026-Q1 --goal -30% --by 2027-12-31
  sustain target add energy-cap --metric energy_wh --baseline 2026 --goal 5000000 --by 2027-12-31
  sustain target list
  sustain target list --period 2026-Q3 --json

A target runs in a straight line from its baseline value (the metric over the baseline period)
to its goal on its deadline; a period is on track when its value is at or beyond that line at the
period's end. Without --period, targets are judged on the period of the baseline's kind that
contains today. Metrics: energy_wh, co2e_location_g, co2e_market_g, co2e_embodied_g, water_l,
co2e_per_1k_requests, sci_per_1k_requests, sci_per_training_run, wh_per_1k_requests,
co2e_per_revenue, cost, cost_per_1k_requests, revenue, profit, margin, measured_share, requests,
social_index, demographic_parity_difference, equalized_odds_difference.";

/// `sustain target ...`
#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Add a target, or supersede one of the same name.
    Add(TargetAddArgs),
    /// Targets with their progress and verdict.
    List(TargetListArgs),
}

/// Options of `sustain target add`.
#[derive(Debug, Args)]
pub struct TargetAddArgs {
    /// Name of the target.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The account metric (see `sustain target --help`).
    #[arg(long, value_name = "METRIC")]
    pub metric: String,
    /// Scope: company, product:NAME, model:NAME, team:NAME, site:ID, kind:KIND, tag:KEY=VALUE.
    #[arg(long, default_value = "company", value_name = "SCOPE")]
    pub scope: String,
    /// Baseline period, such as 2026-Q1.
    #[arg(long, value_name = "PERIOD")]
    pub baseline: String,
    /// Goal: a change from the baseline (-30%) or a value (1200).
    #[arg(long, value_name = "GOAL", allow_hyphen_values = true)]
    pub goal: String,
    /// Deadline.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub by: String,
}

/// Options of `sustain target list`.
#[derive(Debug, Args)]
pub struct TargetListArgs {
    /// Judge the targets on this period (default: the period of the baseline's kind that contains today).
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

//! `sustain run`, `sustain runs`, `sustain catalog` and `sustain export`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sustain_core::catalog::{HardwareKind, SiteKind};
use sustain_core::embodied::ResourceShare;
use sustain_core::run::{RunKind, RunStatus};
use sustain_report::export::ExportFormat;

use super::Choice;

pub(super) const RUN_HELP: &str = "\
Examples:
  sustain run -- python train.py --epochs 3
  sustain run --site gcp:europe-west1 --name nightly --tag team=nlp --tag stage=pretrain -- ./train.sh
  sustain run --interval 0.5 --json -- make -j8 2> summary.json
  sustain run --remote http://ledger.internal:8080 --token $TOKEN -- ./train.sh   record on a server
  sustain run --kind train --tag product=chat --tag model=chat-v3 -- python train.py   a training run of a product
  sustain run --embodied-share whole --host-embodied-kg 2500 -- ./train.sh   a dedicated node's embodied carbon

The command's stdin, stdout and stderr pass through; SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to
Sustain are forwarded to it. Energy is sampled every interval and attributed to the command's whole
process tree. The summary goes to stderr. Sustain exits with the command's exit code (128+N if it
was killed by signal N; 126 if it cannot be executed; 127 if it is not found; 125 if Sustain fails).
With --remote (or SUSTAIN_REMOTE), the server and token are checked before the command starts and
the finished run is pushed to the server; if the push fails, the run is kept in the local ledger.
Embodied carbon (modelled): the machine's embodied emissions x run time / lifetime x its share, plus
the catalog's figure for each GPU the run used; see docs/methods/embodied.md.";

/// Options of `sustain run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Site where the command runs (see `sustain catalog sites`). Default: config `site`, else WORLD.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// Name of the run. Default: the program's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A tag KEY=VALUE; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Sampling interval in seconds (0.05 to 3600). Default: config `interval_s`, else 1.
    #[arg(long, env = "SUSTAIN_INTERVAL", value_name = "SECS")]
    pub interval: Option<String>,
    /// What the command is: command (default), train, eval, infer, serve or data. A training
    /// script run as `--kind train` counts in the SCI per training run of its product.
    #[arg(long, value_name = "KIND", value_enum, default_value_t = RunKind::Command)]
    pub kind: RunKind,
    /// Print the run record as JSON on stderr instead of the human summary.
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
    /// Print no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Embodied emissions of this machine without its GPUs, kgCO2e, amortized over its lifetime
    /// into the run's embodied carbon. Default: SUSTAIN_HOST_EMBODIED_KG, config
    /// `[embodied] host_kgco2e`, else 1230.3 (the SCI Guide's server).
    #[arg(long, value_name = "KG")]
    pub host_embodied_kg: Option<f64>,
    /// How much of the machine the run is charged for: `used` (its share of the CPUs) or
    /// `whole` (it has the machine to itself). Default: SUSTAIN_EMBODIED_SHARE, config
    /// `[embodied] share`, else used.
    #[arg(long, value_name = "SHARE", value_enum)]
    pub embodied_share: Option<ResourceShare>,
    /// Push the run to this `sustain serve` instead of the local ledger (http://host:port).
    #[arg(long, env = "SUSTAIN_REMOTE", value_name = "URL")]
    pub remote: Option<String>,
    /// Token (editor or admin) for --remote.
    #[arg(
        long,
        env = "SUSTAIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `sustain runs ...`
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    #[command(
        after_help = "Examples:\n  sustain runs list\n  sustain runs list --limit 50 --status failed\n  sustain runs list --since 2026-01-01 --json | jq '.[].co2e.location_g'"
    )]
    List(ListArgs),
    /// Show one run in full.
    #[command(
        after_help = "Examples:\n  sustain runs show 3f2a9c1e\n  sustain runs show 3f2a --json"
    )]
    Show(ShowArgs),
    /// Software Carbon Intensity of a recorded run, per functional unit.
    #[command(after_help = RUNS_SCI_HELP)]
    Sci(RunsSciArgs),
}

pub(super) const RUNS_SCI_HELP: &str = "\
Examples:
  sustain runs sci 3f2a --per request --units 12000
  sustain runs sci 3f2a --per training-run --embodied-g 850 --json

E is the run's facility energy, I the location-based intensity of its site snapshot, M the
embodied carbon the run recorded (or --embodied-g), R the number of units it produced.";

/// Options of `sustain runs list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// At most this many runs.
    #[arg(long, short = 'n', default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Only runs started at or after this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only runs with this status.
    #[arg(long, value_enum)]
    pub status: Option<RunStatus>,
    /// JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain runs show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Run id or a unique prefix of it.
    #[arg(value_name = "ID")]
    pub id: String,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain runs sci`.
#[derive(Debug, Args)]
pub struct RunsSciArgs {
    /// Run id or a unique prefix of it.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Name of the functional unit (request, 1k-tokens, training-run, ...).
    #[arg(long, value_name = "UNIT")]
    pub per: String,
    /// Number of functional units the run produced (default 1).
    #[arg(long, value_name = "R", default_value = "1")]
    pub units: String,
    /// Embodied emissions allocated to the run, gCO2e. Default: the embodied carbon the run
    /// recorded; 0 (said so) for runs that recorded none.
    #[arg(long, value_name = "G")]
    pub embodied_g: Option<String>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `sustain catalog ...`
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Grid regions, cloud regions and configured sites, with their factors and sources.
    #[command(
        after_help = "Examples:\n  sustain catalog sites\n  sustain catalog sites --kind cloud\n  sustain catalog sites --search germany --json"
    )]
    Sites(SitesArgs),
    /// Accelerators (GPUs, TPUs) and CPUs, with their figures and sources.
    #[command(
        after_help = "Examples:\n  sustain catalog hardware\n  sustain catalog hardware --kind cpu --search epyc\n  sustain catalog hardware --json"
    )]
    Hardware(HardwareArgs),
}

/// Options of `sustain catalog sites`.
#[derive(Debug, Args)]
pub struct SitesArgs {
    /// Only sites of this kind.
    #[arg(long, value_parser = Choice::<SiteKind>::new())]
    pub kind: Option<SiteKind>,
    /// Only entries whose id or name contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain catalog hardware`.
#[derive(Debug, Args)]
pub struct HardwareArgs {
    /// Only hardware of this kind.
    #[arg(long, value_parser = Choice::<HardwareKind>::new())]
    pub kind: Option<HardwareKind>,
    /// Only entries whose id or name contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub(super) const EXPORT_HELP: &str = "\
Examples:
  sustain export --format codecarbon > emissions.csv
  sustain export --format json --since 2026-07-01
  sustain export --format csv --output runs.csv

`codecarbon` writes the columns of CodeCarbon's emissions.csv (energy in kWh, emissions in kg) so
dashboards built for CodeCarbon read Sustain's data; runs still in progress are left out.";

/// Options of `sustain export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, short, value_enum)]
    pub format: ExportFormat,
    /// Only runs started at or after this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

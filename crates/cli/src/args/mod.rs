//! The command line as typed: parsed and validated here with no I/O, one module per group of
//! commands; `commands` builds live objects from it. Closed sets are the library crates' enums
//! (tasks, optimizers, losses, formats, roles, kinds...), with their defaults from there.

mod business;
mod estimate;
mod optimize;
mod runs;
mod schedule;
mod serve;
mod serve_model;
mod strategy;
mod train;

use std::marker::PhantomData;
use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

pub use business::*;
pub use estimate::*;
pub use optimize::*;
pub use runs::*;
pub use schedule::*;
pub use serve::*;
pub use serve_model::*;
pub use strategy::*;
pub use train::*;

/// Parses a closed set with its library's own `FromStr` (so an unknown value gets that crate's
/// message: "tasks are ...", "higher or lower"), while `--help` and completions list the
/// values from its `ValueEnum`.
#[derive(Debug)]
pub struct Choice<T>(PhantomData<fn() -> T>);

impl<T> Choice<T> {
    /// The parser.
    pub fn new() -> Self {
        Choice(PhantomData)
    }
}

impl<T> Clone for Choice<T> {
    fn clone(&self) -> Self {
        Choice(PhantomData)
    }
}

impl<T> TypedValueParser for Choice<T>
where
    T: ValueEnum + std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Display,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        value.to_string_lossy().trim().parse::<T>().map_err(|e| {
            let flag = arg.map(ToString::to_string).unwrap_or_default();
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value for {flag}: {e}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            T::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

const ABOUT: &str = "Sustain measures the energy, carbon, water and cost of AI workloads and keeps them in an append-only ledger.";

pub(super) const AFTER_HELP: &str = "\
Examples:
  sustain run -- python train.py --epochs 3       meter a command, record it, print a summary
  sustain run --site FR --tag team=vision -- make   the same, at a chosen site, with a tag
  sustain runs list                                the latest runs
  sustain runs show 3f2a                           one run, by id prefix
  sustain catalog sites --search california        the reference data, with sources
  sustain export --format codecarbon > emissions.csv

Settings come from flags, then environment variables (SUSTAIN_LEDGER, SUSTAIN_SITE, ...), then the
config file (SUSTAIN_CONFIG, default ~/.config/sustain/config.toml); see docs/configuration.md.

Exit codes: 0 success; 1 a runtime error (ledger, I/O); 2 bad input. `sustain run` exits with its
command's code, 128+N when the command was killed by signal N, 126 when the command cannot be
executed, 127 when it is not found, and 125 when Sustain itself fails.";

/// The `sustain` command.
#[derive(Debug, Parser)]
#[command(name = "sustain", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Ledger file (SQLite). Default: the user's data directory, e.g. ~/.local/share/sustain/ledger.sqlite.
    #[arg(long, global = true, env = "SUSTAIN_LEDGER", value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// Config file (TOML). Default: ~/.config/sustain/config.toml when it exists.
    #[arg(long, global = true, env = "SUSTAIN_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// More logging on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command, meter its energy, record it in the ledger, and print its footprint.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// List and inspect recorded runs.
    #[command(
        subcommand,
        after_help = "Examples:\n  sustain runs list\n  sustain runs show 3f2a\n  sustain runs sci 3f2a --per request --units 1000"
    )]
    Runs(RunsCommand),
    /// Show the bundled reference data (sites, hardware) with sources.
    #[command(
        subcommand,
        after_help = "Examples:\n  sustain catalog sites --search germany\n  sustain catalog hardware --kind gpu"
    )]
    Catalog(CatalogCommand),
    /// Export runs as CSV, JSON, or CodeCarbon's emissions.csv.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// Train a built-in model, metered and recorded in the ledger.
    #[command(after_help = TRAIN_HELP)]
    Train(Box<TrainArgs>),
    /// Evaluate a trained model on a dataset, metered and recorded.
    #[command(
        after_help = "Examples:\n  sustain eval --model runs/tabular-mlp\n  sustain eval --model runs/tabular-mlp --dataset new-patients.csv --label diagnosis --json\n  sustain train tabular-mlp --dataset german-credit --out runs/credit\n  sustain eval --model runs/credit --sensitive sex --positive good\n\nWith --sensitive, the fairness metrics (Fairlearn's definitions, with 95% intervals and\nsmall-group flags) are printed and recorded in the eval run's outcomes; the social account of\n`sustain report` shows them. Method: docs/methods/fairness.md."
    )]
    Eval(EvalArgs),
    /// Predict with a trained model, metered and recorded as an `infer` run.
    #[command(
        after_help = "Examples:\n  sustain predict --model runs/tabular-mlp 17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189\n  sustain predict --model runs/digits-cnn new-digits.csv --json\n  sustain predict --model runs/text-lstm \"A moving, funny film.\" \"Tedious and overlong.\"\n\nFor tabular and image models each INPUT is one row of comma-separated feature values, or a CSV\nfile of such rows (a header row of names is allowed; no label column); features are standardized\nas in training. For text-lstm each INPUT is a text, or a .txt file with one text per line."
    )]
    Predict(PredictArgs),
    /// Generate text with a trained char-gpt model, metered and recorded as an `infer` run.
    #[command(
        after_help = "Examples:\n  sustain generate --model runs/char-gpt --prompt \"And God said\"\n  sustain generate --model runs/char-gpt --prompt \"In the beginning\" --length 400 --temperature 0.6 --seed 7 --json\n\nThe model continues the prompt one character at a time, sampling each from its softmax at\n--temperature (0 always takes the likeliest character); the same seed gives the same text."
    )]
    Generate(GenerateArgs),
    /// Make a trained model cheaper to run: prune or quantize it into a new, measured model.
    #[command(subcommand, after_help = OPTIMIZE_HELP)]
    Optimize(OptimizeCommand),
    /// Reuse a trained model on new data (transfer learning), metered and recorded.
    #[command(after_help = FINETUNE_HELP)]
    Finetune(Box<FinetuneArgs>),
    /// Compare models side by side: accuracy, size, latency, energy and carbon per 1,000
    /// inferences.
    #[command(after_help = COMPARE_HELP)]
    Compare(CompareArgs),
    /// Serve a trained model over HTTP with micro-batching, metered as one `serve` run.
    #[command(after_help = SERVE_MODEL_HELP)]
    ServeModel(ServeModelArgs),
    /// Products: what the company sells, with its functional unit and prices.
    #[command(
        subcommand,
        after_help = "Examples:\n  sustain product add chat --unit request --price-per-1k-requests 2.50 --currency USD\n  sustain product list --json\n\nRuns belong to a product through their tag: sustain run --tag product=chat -- ..."
    )]
    Product(ProductCommand),
    /// Usage of products (requests, tokens, revenue), by hand or from a CSV file.
    #[command(subcommand, after_help = USAGE_HELP)]
    Usage(UsageCommand),
    /// Cost lines the meter cannot see: storage, staff, licences.
    #[command(
        subcommand,
        after_help = "Examples:\n  sustain cost add --amount 1200 --currency USD --category storage --date 2026-08-01\n  sustain cost add --amount 300 --currency USD --category staff --scope product:chat\n  sustain cost list --period 2026-Q3"
    )]
    Cost(CostCommand),
    /// Social indicators (training hours, education investment, community programmes) and the
    /// weights of the social index.
    #[command(subcommand, after_help = INDICATOR_HELP)]
    Indicator(IndicatorCommand),
    /// Scenarios: levers applied to a period's accounts, shown beside the actual figures.
    #[command(subcommand, after_help = SCENARIO_HELP)]
    Scenario(ScenarioCommand),
    /// Strategy targets: a metric of a scope, from a baseline to a goal by a deadline.
    #[command(subcommand, after_help = TARGET_HELP)]
    Target(TargetCommand),
    /// The accounts of a period and scope: environmental, economic, social.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// The audit log of products, usage and cost lines, and its hash-chain check.
    #[command(
        after_help = "Examples:\n  sustain audit\n  sustain audit --verify\n  sustain audit --json | jq '.[-1]'"
    )]
    Audit(AuditArgs),
    /// Estimate footprints before the fact: training, serving, SCI.
    #[command(
        subcommand,
        after_help = "Examples:\n  sustain estimate train --params 70B --tokens 2T --hardware a100-80gb --devices 2048\n  sustain estimate infer --params 8B --hardware h100-sxm --requests 1M --tokens-in 500 --tokens-out 300\n  sustain estimate sci --energy-kwh 1.2 --site FR --units 1000 --per request"
    )]
    Estimate(EstimateCommand),
    /// Carbon-aware scheduling: simulate, plan and look up low-carbon hours and sites.
    #[command(subcommand, after_help = SCHEDULE_HELP)]
    Schedule(ScheduleCommand),
    /// Serve the ledger over HTTP: JSON API, Prometheus metrics, web pages (token needed).
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// API tokens of `sustain serve`: create (the secret is shown once), list, revoke.
    #[command(subcommand, after_help = TOKEN_HELP)]
    Token(TokenCommand),
}

/// `--json` alone.
#[derive(Debug, Args)]
pub struct JsonArg {
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

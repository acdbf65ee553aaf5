//! The command line as typed: parsed and validated here with no I/O; `commands` builds live
//! objects from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sustain_core::run::{RunKind, RunStatus};
use sustain_report::export::ExportFormat;
use sustain_train::config::{DeviceSpec, Loss, Optimizer};
use sustain_train::gpt::GptShape;
use sustain_train::jobs;
use sustain_train::task::Task;

const ABOUT: &str = "Sustain measures the energy, carbon, water and cost of AI workloads and keeps them in an append-only ledger.";

const AFTER_HELP: &str = "\
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
    /// Serve the ledger over HTTP: JSON API, Prometheus metrics, web pages (token needed).
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// API tokens of `sustain serve`: create (the secret is shown once), list, revoke.
    #[command(subcommand, after_help = TOKEN_HELP)]
    Token(TokenCommand),
}

const SERVE_HELP: &str = "\
Examples:
  sustain token create --role admin --name me     make a token first (shown once)
  sustain serve                                   http://127.0.0.1:8080: pages, /api/v1, /metrics
  sustain serve --addr 0.0.0.0:8080 -v            every address, with a log line per request
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/api/v1/overview

Every page and API route that shows data needs a token: reads a viewer's, writes an editor's,
token administration an admin's. Browsers log in with a token at /login (an HttpOnly,
SameSite=Strict cookie); scripts send `Authorization: Bearer <token>`. The API is described at
/openapi.json; /metrics is in the Prometheus text format. Runs are pushed by
`sustain run --remote URL --token T -- CMD`. Serve plain HTTP on loopback, or put a TLS proxy in
front: tokens travel in every request. Ctrl-C (SIGINT) or SIGTERM stops the server. See
docs/serve.md.";

/// Options of `sustain serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "SUSTAIN_ADDR",
        default_value = "127.0.0.1:8080",
        value_name = "HOST:PORT"
    )]
    pub addr: String,
}

const TOKEN_HELP: &str = "\
Examples:
  sustain token create --role viewer --name dashboard
  TOKEN=$(sustain token create --role editor --name ci)      the secret alone on stdout
  sustain token create --role admin --json
  sustain token list
  sustain token revoke ci                                     by name or id

Roles: viewer (read everything), editor (also write products, usage, cost lines, targets and push
runs), admin (also manage tokens over the API). A token is printed once; the ledger keeps only
its SHA-256. Creating and revoking tokens is written to the audit log (`sustain audit`).";

/// `sustain token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (once).
    #[command(
        after_help = "Examples:\n  sustain token create --role viewer --name dashboard\n  TOKEN=$(sustain token create --role editor --name ci)\n  sustain token create --role admin --json\n\nThe secret goes alone to stdout (the rest to stderr); it is never shown again: the ledger\nkeeps only its SHA-256."
    )]
    Create(TokenCreateArgs),
    /// List tokens (never their secrets).
    #[command(after_help = "Examples:\n  sustain token list\n  sustain token list --json")]
    List(JsonArg),
    /// Revoke a token by id or name.
    #[command(
        after_help = "Examples:\n  sustain token revoke ci\n  sustain token revoke 3f2a9c1e0b4d --json\n\nA revoked token is refused from the next request on; the revocation is in the audit log."
    )]
    Revoke(TokenRevokeArgs),
}

/// Options of `sustain token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Role: viewer, editor or admin.
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// A name for who or what uses it (default: ROLE-DATE-TIME).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// JSON on stdout (with the secret).
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id or the name of an active token.
    #[arg(value_name = "ID|NAME")]
    pub token: String,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `sustain estimate ...`
#[derive(Debug, Subcommand)]
pub enum EstimateCommand {
    /// Training: device-hours, energy, carbon (operational and embodied), water, cost.
    #[command(after_help = ESTIMATE_TRAIN_HELP)]
    Train(Box<EstimateTrainArgs>),
    /// Serving: energy, carbon, water and cost per request, per 1,000 output tokens and in total.
    #[command(after_help = ESTIMATE_INFER_HELP)]
    Infer(Box<EstimateInferArgs>),
    /// Software Carbon Intensity: (E x I + M) per R.
    #[command(after_help = ESTIMATE_SCI_HELP)]
    Sci(EstimateSciArgs),
}

const ESTIMATE_INFER_HELP: &str = "\
Examples:
  sustain estimate infer --params 8B --hardware h100-sxm --requests 1M --tokens-in 500 --tokens-out 300
  sustain estimate infer --params 70B --hardware a100-80gb --batch 16 --requests 10k --tokens-in 2000 --tokens-out 500 --site FR --json
  sustain estimate infer --params 47B --active-params 13B --hardware h100-sxm --devices 2 --requests 1 --tokens-in 100 --tokens-out 100
  sustain estimate infer --params 8B --requests 1M --tokens-in 500 --tokens-out 300 --hardware h100-sxm \\
      --sweep hardware=a100-80gb,h100-sxm,l4 --sweep batch=8,64 --sweep site=FR,US-CA --svg serving.svg

Tokens are per request. Devices default to the fewest that hold the weights and the batch's KV
cache. The model is a roofline (prefill compute-bound, decode memory-bound then compute-bound)
calibrated on the ML.ENERGY benchmark; a table shows how batch size changes the answer. See
docs/methods/estimate-infer.md.";

/// Options of `sustain estimate infer`.
#[derive(Debug, Args)]
pub struct EstimateInferArgs {
    /// Total parameters (e.g. 8B).
    #[arg(long, value_name = "N")]
    pub params: Option<String>,
    /// Active parameters per token, for mixtures of experts.
    #[arg(long, value_name = "N")]
    pub active_params: Option<String>,
    /// Accelerator id (see `sustain catalog hardware`).
    #[arg(long, value_name = "ID")]
    pub hardware: Option<String>,
    /// Devices per model replica (default: the fewest that hold it).
    #[arg(long, value_name = "N")]
    pub devices: Option<String>,
    /// Concurrent sequences per replica (default 64).
    #[arg(long, value_name = "B")]
    pub batch: Option<String>,
    /// Number of requests.
    #[arg(long, value_name = "R")]
    pub requests: Option<String>,
    /// Prompt tokens per request.
    #[arg(long, value_name = "T")]
    pub tokens_in: Option<String>,
    /// Output tokens per request.
    #[arg(long, value_name = "T")]
    pub tokens_out: Option<String>,
    /// Precision of weights and arithmetic: bf16, fp16, fp8, int8, fp32.
    #[arg(long, value_name = "P")]
    pub precision: Option<String>,
    /// Average draw per device in watts, replacing the power model.
    #[arg(long, value_name = "W")]
    pub power_w: Option<String>,
    /// Power usage effectiveness of the facility.
    #[arg(long, value_name = "P")]
    pub pue: Option<String>,
    /// Site (see `sustain catalog sites`); default: config `site`.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// Grid intensity in gCO2e/kWh, replacing the site's.
    #[arg(long, value_name = "G_PER_KWH")]
    pub intensity: Option<String>,
    /// Market-based (contractual) factor in gCO2e/kWh.
    #[arg(long, value_name = "G_PER_KWH")]
    pub market_intensity: Option<String>,
    /// On-site water usage effectiveness in L/kWh.
    #[arg(long, value_name = "L_PER_KWH")]
    pub wue: Option<String>,
    /// Price per device-hour.
    #[arg(long, value_name = "AMOUNT")]
    pub price_per_device_hour: Option<String>,
    /// Currency of the price (default USD).
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Sweep an input over values: KEY=V1,V2,... (repeat for a grid).
    #[arg(long = "sweep", value_name = "KEY=V1,V2")]
    pub sweeps: Vec<String>,
    /// Sort a sweep by carbon (location-based plus embodied, all requests) or cost.
    #[arg(long, value_enum, default_value_t = SortArg::Carbon)]
    pub sort: SortArg,
    /// Rows of a sweep to print (JSON has them all).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,
    /// Draw a sweep as an SVG bar chart into this file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

const ESTIMATE_TRAIN_HELP: &str = "\
Examples:
  sustain estimate train --params 70B --tokens 2T --hardware a100-80gb --devices 2048 --site US-OR
  sustain estimate train --hardware h100-sxm --devices 512 --days 30 --site gcp:europe-west1 --json
  sustain estimate train --device-hours 1720320 --hardware a100-80gb --devices 2048 --power-w 400 --pue 1 --intensity 423.5
  sustain estimate train --params 7B --tokens 1T --hardware h100-sxm --devices 64 \\
      --sweep site=FR,DE,US-CA,gcp:europe-west1 --sweep hardware=a100-80gb,h100-sxm --svg options.svg

Two ways in: the schedule (--days, --hours or --device-hours) or the model (--params and --tokens,
or --flops); training FLOPs = 6 x active parameters x tokens, time = FLOPs / (devices x peak x
efficiency). Numbers accept suffixes: 70B, 2T, 300k. Every input is listed with where it came from
(flag, site, catalog, default) and every assumption is stated; see docs/methods/estimate-train.md.";

const ESTIMATE_SCI_HELP: &str = "\
Examples:
  sustain estimate sci --energy-kwh 1.2 --site FR --units 1000 --per request
  sustain estimate sci --energy-kwh 688128 --intensity 423.5 --embodied-kg 5400 --units 1 --per training-run --json

SCI (ISO/IEC 21031, Green Software Foundation) = (E x I + M) / R with E the energy, I the
location-based grid intensity, M the embodied emissions allocated to the software, R the number
of functional units. For a recorded run: `sustain runs sci ID --per request --units N`.";

/// Options of `sustain estimate train`. Numbers are parsed by the estimator, so that `70B`,
/// `2T` and `1e12` all work and errors name the input.
#[derive(Debug, Args)]
pub struct EstimateTrainArgs {
    /// Accelerator id (see `sustain catalog hardware`).
    #[arg(long, value_name = "ID")]
    pub hardware: Option<String>,
    /// Number of accelerators.
    #[arg(long, value_name = "N")]
    pub devices: Option<String>,
    /// Wall-clock days of training.
    #[arg(long, value_name = "D")]
    pub days: Option<String>,
    /// Wall-clock hours of training.
    #[arg(long, value_name = "H")]
    pub hours: Option<String>,
    /// Device-hours (GPU-hours, TPU-chip-hours).
    #[arg(long, value_name = "G")]
    pub device_hours: Option<String>,
    /// Total parameters (e.g. 70B).
    #[arg(long, value_name = "N")]
    pub params: Option<String>,
    /// Active parameters per token, for mixtures of experts.
    #[arg(long, value_name = "N")]
    pub active_params: Option<String>,
    /// Training tokens (e.g. 2T).
    #[arg(long, value_name = "D")]
    pub tokens: Option<String>,
    /// Training FLOPs, instead of --params and --tokens.
    #[arg(long, value_name = "F")]
    pub flops: Option<String>,
    /// Achieved over peak throughput (MFU), in (0, 1]. Default: the catalog's cited value.
    #[arg(long, value_name = "E")]
    pub efficiency: Option<String>,
    /// Precision: bf16, fp16, fp32, tf32, fp8, int8. Default: the first of bf16, fp16, fp32 supported.
    #[arg(long, value_name = "P")]
    pub precision: Option<String>,
    /// Average draw per device in watts (including its share of host and network if you have it).
    #[arg(long, value_name = "W")]
    pub power_w: Option<String>,
    /// Power usage effectiveness of the facility.
    #[arg(long, value_name = "P")]
    pub pue: Option<String>,
    /// Site (see `sustain catalog sites`); default: config `site`.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// Grid intensity in gCO2e/kWh, replacing the site's.
    #[arg(long, value_name = "G_PER_KWH")]
    pub intensity: Option<String>,
    /// Market-based (contractual) factor in gCO2e/kWh.
    #[arg(long, value_name = "G_PER_KWH")]
    pub market_intensity: Option<String>,
    /// On-site water usage effectiveness in L/kWh.
    #[arg(long, value_name = "L_PER_KWH")]
    pub wue: Option<String>,
    /// Lifetime over which embodied carbon is amortized, in years.
    #[arg(long, value_name = "Y")]
    pub lifetime_years: Option<String>,
    /// Price per device-hour (a cloud price, or your rate card).
    #[arg(long, value_name = "AMOUNT")]
    pub price_per_device_hour: Option<String>,
    /// Currency of the price (default USD).
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Sweep an input over values: KEY=V1,V2,... (repeat for a grid).
    #[arg(long = "sweep", value_name = "KEY=V1,V2")]
    pub sweeps: Vec<String>,
    /// Sort a sweep by carbon (location-based plus embodied) or cost.
    #[arg(long, value_enum, default_value_t = SortArg::Carbon)]
    pub sort: SortArg,
    /// Rows of a sweep to print (JSON has them all).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,
    /// Draw a sweep as an SVG bar chart into this file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Sort order of sweeps.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    /// Location-based operational plus embodied carbon.
    Carbon,
    /// Cost.
    Cost,
}

/// Options of `sustain estimate sci`.
#[derive(Debug, Args)]
pub struct EstimateSciArgs {
    /// Energy E in kWh.
    #[arg(long, value_name = "KWH")]
    pub energy_kwh: String,
    /// Grid intensity I in gCO2e/kWh (or --site).
    #[arg(long, value_name = "G_PER_KWH")]
    pub intensity: Option<String>,
    /// Site whose grid intensity is I.
    #[arg(long, value_name = "ID", conflicts_with = "intensity")]
    pub site: Option<String>,
    /// Embodied emissions M allocated to the software, kgCO2e (default 0, said so).
    #[arg(long, value_name = "KG")]
    pub embodied_kg: Option<String>,
    /// Number R of functional units.
    #[arg(long, value_name = "R")]
    pub units: String,
    /// Name of the functional unit (request, 1k-tokens, training-run, ...).
    #[arg(long, value_name = "UNIT")]
    pub per: String,
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

const RUN_HELP: &str = "\
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
    #[arg(long, value_name = "SHARE", value_parser = ["used", "whole"])]
    pub embodied_share: Option<String>,
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

const RUNS_SCI_HELP: &str = "\
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

/// `sustain catalog ...`
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Grid regions, cloud regions and configured sites, with their factors and sources.
    #[command(
        after_help = "Examples:\n  sustain catalog sites\n  sustain catalog sites --kind cloud\n  sustain catalog sites --search germany --json"
    )]
    Sites(CatalogArgs),
    /// Accelerators (GPUs, TPUs) and CPUs, with their figures and sources.
    #[command(
        after_help = "Examples:\n  sustain catalog hardware\n  sustain catalog hardware --kind cpu --search epyc\n  sustain catalog hardware --json"
    )]
    Hardware(CatalogArgs),
}

/// Options of the catalog listings.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Only entries of this kind (sites: world, country, us-state, cn-province, ca-province, grid-zone, cloud, custom; hardware: gpu, tpu, cpu).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only entries whose id or name contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

const EXPORT_HELP: &str = "\
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

const TRAIN_HELP: &str = "\
Examples:
  sustain train tabular-mlp
  sustain train tabular-mlp --epochs 50 --batch-size 16 --optimizer sgd-momentum --lr 0.01 --out models/bc
  sustain train tabular-mlp --dataset patients.csv --label diagnosis --json
  sustain train digits-cnn --epochs 15
  sustain train digits-cnn --dataset mnist-5k --epochs 10 --out models/mnist
  sustain train text-lstm --out models/reviews
  sustain train text-lstm --dataset tickets.jsonl --text-column body --label team
  sustain train char-gpt --epochs 3 --out models/kjv
  sustain train char-gpt --dataset my-book.txt --context 128 --layers 4 --d-model 128

Tasks:
  tabular-mlp  an MLP on the UCI breast cancer data, or any CSV with a label column
  digits-cnn   a small CNN on the UCI 8x8 digits; --dataset mnist-5k for 5,000 MNIST digits, or
               MNIST IDX files
  text-lstm    word embeddings and an LSTM on 12,808 Rotten Tomatoes snippets (fresh/rotten;
               extracted at set-up by scripts/fetch-datasets.sh), or a CSV/JSONL file of texts and
               labels
  char-gpt     a character-level decoder-only transformer on the King James Pentateuch, or any
               UTF-8 text file; prints samples at the end (see also `sustain generate`)
Splits (70/15/15; char-gpt: 90/5/5 by position), initialization and batch order follow --seed:
the same seed, data and machine give the same weights and metrics. A batch size of at least the training set is full-batch
gradient descent; 1 is per-sample SGD. The run is metered like `sustain run` and recorded as kind
`train` with its metrics, the dataset's SHA-256 and the model's path.";

/// Parses a task as clap's `ValueEnum` does (its possible values show in `--help`), with the
/// task crate's own message for an unknown one ("tasks are ...").
#[derive(Debug, Clone, Copy)]
struct TaskParser;

impl clap::builder::TypedValueParser for TaskParser {
    type Value = Task;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Task, clap::Error> {
        value
            .to_string_lossy()
            .parse::<Task>()
            .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{e}\n")).with_cmd(cmd))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            Task::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// Options of `sustain train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The task.
    #[arg(value_name = "TASK", value_parser = TaskParser)]
    pub task: Task,
    /// Dataset: breast-cancer, german-credit, digits, mnist-5k, rotten-tomatoes, kjv-pentateuch, a CSV file with a header row, a JSONL file of texts, MNIST IDX images, or a text file (char-gpt).
    #[arg(long, value_name = "NAME|PATH")]
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset (default: `label`, else for tables the last column).
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Text column of a text-lstm dataset (default: `text`).
    #[arg(long, value_name = "COLUMN")]
    pub text_column: Option<String>,
    /// char-gpt: characters of context.
    #[arg(long, value_name = "N", default_value_t = GptShape::default().context)]
    pub context: usize,
    /// char-gpt: width of embeddings and attention (a multiple of --heads).
    #[arg(long, value_name = "N", default_value_t = GptShape::default().d_model)]
    pub d_model: usize,
    /// char-gpt: transformer blocks.
    #[arg(long, value_name = "N", default_value_t = GptShape::default().layers)]
    pub layers: usize,
    /// char-gpt: attention heads.
    #[arg(long, value_name = "N", default_value_t = GptShape::default().heads)]
    pub heads: usize,
    /// Epochs (default: 30 for tabular-mlp, 20 for digits-cnn, 3 for text-lstm, 2 for char-gpt).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Batch size.
    #[arg(long, default_value_t = jobs::DEFAULT_BATCH_SIZE, value_name = "N")]
    pub batch_size: usize,
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = Optimizer::Adam, value_name = "NAME")]
    pub optimizer: Optimizer,
    /// Learning rate (default for adam and adamw: 0.001, 0.003 for digits-cnn, text-lstm and char-gpt; 0.05 for sgd, 0.01 for sgd-momentum).
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
    /// Loss (bce: two classes only).
    #[arg(long, value_enum, default_value_t = Loss::CrossEntropy, value_name = "NAME")]
    pub loss: Loss,
    /// Seed of splits, initialization and batch order.
    #[arg(long, default_value_t = jobs::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,
    /// Device: cpu, or cuda / cuda:N in a build with the `cuda` feature.
    #[arg(long, default_value_t = DeviceSpec::Cpu, value_name = "DEVICE")]
    pub device: DeviceSpec,
    /// Directory for the weights, config and metrics (default: runs/TASK-RUNID).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint; default: config `site`, else WORLD.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout instead of the log and tables.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A directory written by `sustain train --out`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Dataset (default: the test split of the model's own dataset).
    #[arg(long, value_name = "NAME|PATH")]
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset.
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Text column of a text dataset (default: `text`).
    #[arg(long, value_name = "COLUMN")]
    pub text_column: Option<String>,
    /// Protected attribute to measure fairness over (a CSV column, e.g. `sex`): per-group
    /// selection rate, TPR and FPR, demographic parity and equalized odds differences.
    #[arg(long, value_name = "COLUMN")]
    pub sensitive: Option<String>,
    /// The favourable class for the fairness metrics (default: the second class, as Fairlearn's
    /// `pos_label=1`; required with more than two classes).
    #[arg(long, value_name = "CLASS", requires = "sensitive")]
    pub positive: Option<String>,
    /// Groups with fewer rows are flagged as too small for their rates to be reliable.
    #[arg(long, value_name = "N", default_value_t = jobs::DEFAULT_MIN_GROUP_SIZE, requires = "sensitive")]
    pub min_group_size: u64,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A directory written by `sustain train --out`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Rows of features (comma-separated) or CSV files of rows; for text-lstm, texts or .txt files (one text per line).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A directory written by `sustain train char-gpt --out`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Text to continue.
    #[arg(long, value_name = "TEXT")]
    pub prompt: String,
    /// Characters to generate (1 to 100000).
    #[arg(long, default_value_t = jobs::DEFAULT_LENGTH, value_name = "N")]
    pub length: usize,
    /// Sampling temperature (0 takes the likeliest character; 1 samples the model as it is).
    #[arg(
        long,
        default_value_t = jobs::DEFAULT_TEMPERATURE,
        value_name = "T",
        allow_negative_numbers = true
    )]
    pub temperature: f64,
    /// Seed of the sampling.
    #[arg(long, default_value_t = jobs::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `sustain product ...`
#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Add a product, or supersede one with new prices.
    #[command(
        after_help = "Examples:\n  sustain product add chat --unit request --price-per-1k-requests 2.50 --currency USD\n  sustain product add embed --unit \"1k tokens\" --price-per-1m-tokens 0.10 --currency EUR"
    )]
    Add(ProductAddArgs),
    /// List the current products.
    #[command(after_help = "Examples:\n  sustain product list\n  sustain product list --json")]
    List(JsonArg),
}

/// `--json` alone.
#[derive(Debug, Args)]
pub struct JsonArg {
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain product add`.
#[derive(Debug, Args)]
pub struct ProductAddArgs {
    /// Product name; runs carry it as the tag product=NAME.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Functional unit for per-unit figures (SCI).
    #[arg(long, default_value = "request", value_name = "UNIT")]
    pub unit: String,
    /// Price per 1,000 requests.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub price_per_1k_requests: Option<f64>,
    /// Price per 1,000,000 tokens.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub price_per_1m_tokens: Option<f64>,
    /// Currency of the prices (ISO 4217).
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Free text.
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub description: String,
}

const USAGE_HELP: &str = "\
Examples:
  sustain usage add --product chat --requests 120000 --tokens 36000000 --date 2026-07-10
  sustain usage add --product chat --requests 5000 --revenue 14.20 --currency USD
  sustain usage import usage.csv

Revenue is --revenue when given, else the product's prices times the requests and tokens.
`usage import` reads a CSV file with a header: date,product,requests[,tokens][,revenue,currency];
every row is checked before any is written, and the whole file is one audited entry.";

/// `sustain usage ...`
#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Record one day's usage of a product.
    Add(UsageAddArgs),
    /// Record usage from a CSV file with the header `date,product,requests[,tokens][,revenue,currency]`.
    Import(UsageImportArgs),
}

/// Options of `sustain usage add`.
#[derive(Debug, Args)]
pub struct UsageAddArgs {
    /// The product.
    #[arg(long, value_name = "NAME")]
    pub product: String,
    /// Requests served.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub requests: u64,
    /// Tokens served.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub tokens: u64,
    /// Revenue (default: from the product's prices).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub revenue: Option<f64>,
    /// Currency of --revenue (default: the product's).
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Day the usage is booked on (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain usage import`.
#[derive(Debug, Args)]
pub struct UsageImportArgs {
    /// The CSV file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `sustain cost ...`
#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// Record a cost line.
    Add(CostAddArgs),
    /// List cost lines of a period.
    List(CostListArgs),
}

/// Options of `sustain cost add`.
#[derive(Debug, Args)]
pub struct CostAddArgs {
    /// Amount.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub amount: f64,
    /// Currency (ISO 4217).
    #[arg(long, value_name = "CODE")]
    pub currency: String,
    /// Category, such as storage, staff or licences.
    #[arg(long, value_name = "NAME")]
    pub category: String,
    /// Scope it is booked on: company, product:NAME, team:NAME, model:NAME or site:ID.
    #[arg(long, default_value = "company", value_name = "SCOPE")]
    pub scope: String,
    /// Day it is booked on (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Free text.
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub description: String,
}

/// `sustain indicator ...`
#[derive(Debug, Subcommand)]
pub enum IndicatorCommand {
    /// Record an amount of a social indicator.
    #[command(after_help = INDICATOR_HELP)]
    Add(IndicatorAddArgs),
    /// List the indicators of a period.
    #[command(after_help = INDICATOR_HELP)]
    List(CostListArgs),
    /// Set an indicator's weight in the social index.
    #[command(after_help = INDICATOR_HELP)]
    Weight(IndicatorWeightArgs),
    /// List the weights of the social index.
    #[command(after_help = INDICATOR_HELP)]
    Weights(JsonArgs),
}

/// Options of `sustain indicator add`.
#[derive(Debug, Args)]
pub struct IndicatorAddArgs {
    /// Indicator name, such as training_hours or community_people.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The amount.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub value: f64,
    /// Its unit (h, USD, people).
    #[arg(long, value_name = "UNIT")]
    pub unit: String,
    /// Scope: company, product:NAME, team:NAME, model:NAME or site:ID.
    #[arg(long, default_value = "company", value_name = "SCOPE")]
    pub scope: String,
    /// Day it belongs to (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// Free text.
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub description: String,
}

/// Options of `sustain indicator weight`.
#[derive(Debug, Args)]
pub struct IndicatorWeightArgs {
    /// Indicator name (yours, or fairness.demographic_parity_difference,
    /// fairness.equalized_odds_difference).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Weight (>= 0; 0 takes it out of the index).
    #[arg(long, value_name = "W")]
    pub weight: f64,
    /// Which way is better: higher or lower.
    #[arg(long, value_name = "higher|lower")]
    pub direction: String,
    /// The value that scores 100.
    #[arg(long, value_name = "X")]
    pub reference: f64,
}

/// Just `--json`.
#[derive(Debug, Args)]
pub struct JsonArgs {
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `sustain scenario ...`
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Apply a scenario file's levers to a period's accounts.
    #[command(after_help = SCENARIO_HELP)]
    Run(ScenarioRunArgs),
    /// List the saved scenarios.
    #[command(after_help = "Examples:\n  sustain scenario list\n  sustain scenario list --json")]
    List(JsonArgs),
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

/// Options of `sustain cost list`.
#[derive(Debug, Args)]
pub struct CostListArgs {
    /// Period: 2026, 2026-Q3, 2026-09, 2026-09-14 or 2026-07-01..2026-09-30.
    #[arg(long, value_name = "PERIOD")]
    pub period: String,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

const INDICATOR_HELP: &str = "\
Examples:
  sustain indicator add training_hours --value 120 --unit h --date 2026-07-15
  sustain indicator add education_investment --value 5000 --unit USD --scope team:vision
  sustain indicator weight training_hours --weight 1 --direction higher --reference 400
  sustain indicator weight fairness.demographic_parity_difference --weight 2 --direction lower --reference 0.05
  sustain indicator list --period 2026-Q3
  sustain indicator weights --json

An indicator's amounts in a report's period are summed. The social index is the weighted mean of
the scores (0-100) of the weighted indicators that have data: a `higher` indicator scores
100 x value / reference (capped at 100), a `lower` one 100 x reference / value (capped). Besides
your own indicators, the index can weigh fairness.demographic_parity_difference and
fairness.equalized_odds_difference: the worst of the period's evaluations (`sustain eval
--sensitive`). Weight 0 takes an indicator out. Method: docs/methods/social.md.";

const SCENARIO_HELP: &str = "\
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

const REPORT_HELP: &str = "\
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
    /// Format: md, html (one self-contained file with charts), json or csv.
    #[arg(long, default_value = "md", value_name = "FORMAT")]
    pub format: String,
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

const TARGET_HELP: &str = "\
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

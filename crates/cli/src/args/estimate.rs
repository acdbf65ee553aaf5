//! `sustain estimate train|infer|sci`. Numbers are strings here: the estimator parses them, so
//! that `70B`, `2T` and `1e12` all work and errors name the input.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sustain_estimate::sweep::SortBy;

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

pub(super) const ESTIMATE_INFER_HELP: &str = "\
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
    /// Sweeps, their order and output.
    #[command(flatten)]
    pub out: SweepArgs,
}

pub(super) const ESTIMATE_TRAIN_HELP: &str = "\
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

pub(super) const ESTIMATE_SCI_HELP: &str = "\
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
    /// Sweeps, their order and output.
    #[command(flatten)]
    pub out: SweepArgs,
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

/// What `sustain estimate train` and `infer` share: sweeps, their order, and the output.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep an input over values: KEY=V1,V2,... (repeat for a grid).
    #[arg(long = "sweep", value_name = "KEY=V1,V2")]
    pub sweeps: Vec<String>,
    /// Sort a sweep by carbon (location-based plus embodied; for serving, all requests) or
    /// cost.
    #[arg(long, value_enum, default_value_t = SortBy::Carbon)]
    pub sort: SortBy,
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

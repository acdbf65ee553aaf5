//! `sustain product`, `usage`, `cost` and `indicator`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sustain_core::business::Direction;

use super::{Choice, JsonArg};

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

pub(super) const USAGE_HELP: &str = "\
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

pub(super) const INDICATOR_HELP: &str = "\
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
    Weights(JsonArg),
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
    /// Which way is better.
    #[arg(long, value_name = "higher|lower", value_parser = Choice::<Direction>::new())]
    pub direction: Direction,
    /// The value that scores 100.
    #[arg(long, value_name = "X")]
    pub reference: f64,
}

//! The economic records of the ledger: products (what is sold, and its functional unit), usage
//! (how much of a product was used on a day, and the revenue it earned) and cost lines (costs
//! the meter cannot see, such as storage or staff). Like runs, they are appended and never
//! rewritten: a product added again with the same name supersedes the earlier entry.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::units::Currency;

fn invalid(what: &str, value: impl ToString, expected: &str) -> CoreError {
    CoreError::InvalidValue {
        what: what.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// Checks a record name (product, scope value): 1 to 64 characters of letters, digits, `-`,
/// `_`, `.` or `/`.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            what,
            name,
            "1 to 64 letters, digits, '-', '_', '.' or '/', such as chat or search-v2",
        ))
    }
}

fn check_amount(what: &str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(what, v, "a finite amount >= 0"))
    }
}

/// A product: something the company sells, whose runs carry the tag `product=NAME`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    /// Name, also the value of the runs' `product` tag.
    pub name: String,
    /// Its functional unit for SCI and per-unit figures (`request`, `1k tokens`, ...).
    pub unit: String,
    /// Price per 1,000 requests, if requests are billed.
    pub price_per_1k_requests: Option<f64>,
    /// Price per 1,000,000 tokens, if tokens are billed.
    pub price_per_1m_tokens: Option<f64>,
    /// Currency of the prices.
    pub currency: Option<String>,
    /// Free text.
    pub description: String,
    /// When this entry was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl Product {
    /// Checks names, prices and the currency.
    pub fn validate(&self) -> Result<()> {
        check_name("product", &self.name)?;
        if self.unit.trim().is_empty() {
            return Err(invalid("--unit", "", "a functional unit such as request"));
        }
        for (what, p) in [
            ("--price-per-1k-requests", self.price_per_1k_requests),
            ("--price-per-1m-tokens", self.price_per_1m_tokens),
        ] {
            if let Some(p) = p {
                check_amount(what, p)?;
            }
        }
        match (
            &self.currency,
            self.price_per_1k_requests.or(self.price_per_1m_tokens),
        ) {
            (Some(c), _) => Currency::new(c).map(|_| ()),
            (None, Some(_)) => Err(invalid(
                "--currency",
                "(none)",
                "the currency of the prices, such as EUR",
            )),
            (None, None) => Ok(()),
        }
    }

    /// Revenue of `requests` and `tokens` at this product's prices.
    pub fn revenue(&self, requests: u64, tokens: u64) -> f64 {
        self.price_per_1k_requests.unwrap_or(0.0) * requests as f64 / 1e3
            + self.price_per_1m_tokens.unwrap_or(0.0) * tokens as f64 / 1e6
    }
}

/// Usage of a product on one day, and the revenue it earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    /// The product.
    pub product: String,
    /// The day the usage is booked on (UTC).
    pub day: NaiveDate,
    /// Requests served.
    pub requests: u64,
    /// Tokens served (input and output).
    pub tokens: u64,
    /// Revenue earned.
    pub revenue: f64,
    /// Its currency.
    pub currency: String,
    /// Where the figures come from (`cli`, `import FILE`, `api`).
    pub source: String,
}

impl Usage {
    /// Checks the product name, the revenue and the currency.
    pub fn validate(&self) -> Result<()> {
        check_name("--product", &self.product)?;
        check_amount("revenue", self.revenue)?;
        Currency::new(&self.currency).map(|_| ())
    }
}

/// A cost the meter cannot see (storage, staff, licences), booked on a day and a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CostLine {
    /// The day it is booked on.
    pub day: NaiveDate,
    /// `company`, or `product:NAME`, `team:NAME`, `model:NAME`, `site:ID`.
    pub scope: String,
    /// Category, such as `storage` or `staff`.
    pub category: String,
    /// Amount.
    pub amount: f64,
    /// Currency.
    pub currency: String,
    /// Free text.
    pub description: String,
}

impl CostLine {
    /// Checks the scope, category, amount and currency.
    pub fn validate(&self) -> Result<()> {
        check_amount("--amount", self.amount)?;
        Currency::new(&self.currency)?;
        check_name("--category", &self.category)?;
        if self.scope != "company" {
            let (kind, name) = self.scope.split_once(':').ok_or_else(|| {
                invalid(
                    "--scope",
                    &self.scope,
                    "company, or product:NAME, team:NAME, model:NAME or site:ID",
                )
            })?;
            if !matches!(kind, "product" | "team" | "model" | "site") {
                return Err(invalid(
                    "--scope",
                    &self.scope,
                    "company, or product:NAME, team:NAME, model:NAME or site:ID",
                ));
            }
            check_name("--scope", name)?;
        }
        Ok(())
    }
}

/// The goal of a target: a change relative to the baseline (-0.30 is 30 % less), or a value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Goal {
    /// A fraction of change from the baseline value.
    Relative(f64),
    /// An absolute value of the metric.
    Absolute(f64),
}

impl Goal {
    /// Parses `-30%` (relative) or `1200` (absolute).
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        let bad = || {
            invalid(
                "--goal",
                s,
                "a change such as -30% or +10%, or a value such as 1200",
            )
        };
        if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p.trim().parse().map_err(|_| bad())?;
            if !v.is_finite() || v < -100.0 {
                return Err(invalid("--goal", s, "a change of at least -100%"));
            }
            Ok(Goal::Relative(v / 100.0))
        } else {
            let v: f64 = t.parse().map_err(|_| bad())?;
            if !v.is_finite() {
                return Err(bad());
            }
            Ok(Goal::Absolute(v))
        }
    }

    /// The goal value for a baseline value.
    pub fn value(self, baseline: f64) -> f64 {
        match self {
            Goal::Relative(f) => baseline * (1.0 + f),
            Goal::Absolute(v) => v,
        }
    }

    /// As written.
    pub fn label(self) -> String {
        match self {
            Goal::Relative(f) => format!("{:+}%", (f * 1e6).round() / 1e4),
            Goal::Absolute(v) => format!("{v}"),
        }
    }
}

/// A strategy target: a metric of a scope's accounts, from a baseline period to a goal by a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Target {
    /// Name (unique; adding it again supersedes).
    pub name: String,
    /// The account metric (`co2e_per_1k_requests`, ...).
    pub metric: String,
    /// The scope (`company`, `product:chat`, ...).
    pub scope: String,
    /// The baseline period (`2026-Q1`).
    pub baseline: String,
    /// The goal.
    pub goal: Goal,
    /// The deadline.
    pub by: NaiveDate,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// An entry of the audit log: who changed which business record, chained by hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`cli:USER`, `api:TOKEN-NAME`).
    pub actor: String,
    /// What (`product.add`, `usage.add`, `usage.import`, `cost.add`, `target.add`).
    pub action: String,
    /// The record, as JSON.
    pub detail: serde_json::Value,
    /// Hash of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash`, `at`, `actor`, `action` and `detail`.
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_parse_relative_and_absolute() {
        assert_eq!(Goal::parse("-30%").unwrap(), Goal::Relative(-0.3));
        assert_eq!(Goal::parse("+10 %").unwrap(), Goal::Relative(0.1));
        assert_eq!(Goal::parse("1200").unwrap(), Goal::Absolute(1200.0));
        assert!((Goal::Relative(-0.3).value(200.0) - 140.0).abs() < 1e-12);
        assert_eq!(Goal::Relative(-0.3).label(), "-30%");
        for bad in ["-30", "x%", "-150%", "", "NaN"] {
            let g = Goal::parse(bad);
            if bad == "-30" {
                assert_eq!(g.unwrap(), Goal::Absolute(-30.0));
            } else {
                assert!(g.unwrap_err().to_string().contains("--goal"), "{bad}");
            }
        }
    }

    #[test]
    fn records_are_validated_with_the_fix_named() {
        let p = Product {
            name: "chat".into(),
            unit: "request".into(),
            price_per_1k_requests: Some(2.0),
            price_per_1m_tokens: Some(0.5),
            currency: Some("EUR".into()),
            description: String::new(),
            recorded_at: Utc::now(),
        };
        p.validate().unwrap();
        assert!((p.revenue(10_000, 4_000_000) - (20.0 + 2.0)).abs() < 1e-12);
        let no_currency = Product {
            currency: None,
            ..p.clone()
        };
        assert!(
            no_currency
                .validate()
                .unwrap_err()
                .to_string()
                .contains("--currency")
        );
        let bad_name = Product {
            name: "chat bot".into(),
            ..p
        };
        assert!(
            bad_name
                .validate()
                .unwrap_err()
                .to_string()
                .contains("letters, digits")
        );
        let c = CostLine {
            day: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            scope: "product:chat".into(),
            category: "storage".into(),
            amount: 120.0,
            currency: "EUR".into(),
            description: String::new(),
        };
        c.validate().unwrap();
        for scope in ["chat", "region:eu", "product:"] {
            let bad = CostLine {
                scope: scope.into(),
                ..c.clone()
            };
            assert!(bad.validate().is_err(), "{scope}");
        }
        let neg = CostLine { amount: -1.0, ..c };
        assert!(neg.validate().unwrap_err().to_string().contains(">= 0"));
    }
}

/// A social indicator entered by a user: an amount of something over a day or period, such as
/// staff training hours, education investment or people reached by a community programme.
/// Amounts in a report's period are summed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Indicator {
    /// Name (`training_hours`, `education_investment`, ...).
    pub name: String,
    /// The day the amount belongs to.
    pub day: NaiveDate,
    /// Scope: `company`, `product:P`, `team:T`, `site:S`.
    pub scope: String,
    /// The amount.
    pub value: f64,
    /// Its unit (`h`, `USD`, `people`).
    pub unit: String,
    /// Free text.
    pub description: String,
    /// When this entry was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl Indicator {
    /// Checks the name, the scope and the amount.
    pub fn validate(&self) -> Result<()> {
        check_name("indicator", &self.name)?;
        if self.name.starts_with("fairness.") {
            return Err(invalid(
                "indicator",
                &self.name,
                "a name outside fairness.*, which Sustain computes from evaluations",
            ));
        }
        check_scope(&self.scope)?;
        if !self.value.is_finite() {
            return Err(invalid("--value", self.value, "a finite number"));
        }
        if self.unit.trim().is_empty() {
            return Err(invalid("--unit", "", "a unit such as h, USD or people"));
        }
        Ok(())
    }
}

/// Checks a record scope: `company`, or `product:`/`team:`/`site:`/`model:` and a name.
pub fn check_scope(scope: &str) -> Result<()> {
    if scope == "company" {
        return Ok(());
    }
    match scope.split_once(':') {
        Some(("product" | "team" | "site" | "model", name)) => check_name("scope", name),
        _ => Err(invalid(
            "--scope",
            scope,
            "company, product:NAME, team:NAME, site:ID or model:NAME",
        )),
    }
}

/// Which way an indicator is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// More is better (training hours).
    Higher,
    /// Less is better (a fairness difference).
    Lower,
}

impl Direction {
    /// Parses `higher` or `lower`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "higher" => Ok(Direction::Higher),
            "lower" => Ok(Direction::Lower),
            other => Err(invalid("--direction", other, "higher or lower")),
        }
    }

    /// The word.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }
}

/// How an indicator enters the social index: its weight, its direction, and the reference
/// value that scores 100 (a target amount, or for `lower` indicators the level at or below
/// which it scores 100).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndexWeight {
    /// The indicator (a user indicator, or `fairness.demographic_parity_difference` /
    /// `fairness.equalized_odds_difference`).
    pub indicator: String,
    /// Weight (>= 0; 0 removes the indicator from the index).
    pub weight: f64,
    /// Which way is better.
    pub direction: Direction,
    /// The value that scores 100 (> 0).
    pub reference: f64,
    /// When this entry was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl IndexWeight {
    /// Checks the name, the weight and the reference.
    pub fn validate(&self) -> Result<()> {
        check_name("indicator", &self.indicator)?;
        if !(self.weight.is_finite() && self.weight >= 0.0) {
            return Err(invalid("--weight", self.weight, "a finite weight >= 0"));
        }
        if !(self.reference.is_finite() && self.reference > 0.0) {
            return Err(invalid(
                "--reference",
                self.reference,
                "a finite value > 0: the amount that scores 100",
            ));
        }
        Ok(())
    }

    /// The score of `value` on 0..=100: `value / reference` (higher) or `reference / value`
    /// (lower), capped at 100.
    pub fn score(&self, value: f64) -> f64 {
        let s = match self.direction {
            Direction::Higher => value / self.reference,
            Direction::Lower if value <= 0.0 => 1.0,
            Direction::Lower => self.reference / value,
        };
        (s.clamp(0.0, 1.0)) * 100.0
    }
}

/// A scenario saved in the ledger: its TOML text as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedScenario {
    /// Name.
    pub name: String,
    /// The TOML text.
    pub body: String,
    /// When it was saved.
    pub recorded_at: DateTime<Utc>,
}

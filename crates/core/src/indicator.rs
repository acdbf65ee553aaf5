//! Social indicators users enter (training hours, education investment, people reached) and
//! the weights that make them a social index. Appended like every business record; kept apart
//! from products, usage and costs because they are read by the social account only.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::bounds;
use crate::error::{CoreError, Result};
use crate::name::{check_name, invalid};

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
    /// An indicator as a user gives it (`sustain indicator add`, `POST /api/v1/indicators`),
    /// recorded now, checked.
    pub fn new(
        name: String,
        day: NaiveDate,
        scope: String,
        value: f64,
        unit: String,
        description: String,
    ) -> Result<Self> {
        let i = Indicator {
            name,
            day,
            scope,
            value,
            unit,
            description,
            recorded_at: Utc::now(),
        };
        i.validate()?;
        Ok(i)
    }

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
        self.check_bounds()?;
        if self.unit.trim().is_empty() {
            return Err(invalid("--unit", "", "a unit such as h, USD or people"));
        }
        Ok(())
    }
}

impl Indicator {
    /// Checks the value and day against their plausible bounds only: what the ledger's read
    /// side also holds stored indicators to.
    pub fn check_bounds(&self) -> Result<(), bounds::BoundsError> {
        bounds::INDICATOR.check("--value", self.value)?;
        bounds::check_day("--date", self.day)
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
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// More is better (training hours).
    Higher,
    /// Less is better (a fairness difference).
    Lower,
}

impl std::str::FromStr for Direction {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        Direction::parse(s)
    }
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
    /// A weight as a user gives it (`sustain indicator weight`, `POST /api/v1/index-weights`),
    /// recorded now: the direction parsed, then every field checked.
    pub fn new(indicator: String, weight: f64, direction: &str, reference: f64) -> Result<Self> {
        let w = IndexWeight {
            indicator,
            weight,
            direction: Direction::parse(direction)?,
            reference,
            recorded_at: Utc::now(),
        };
        w.validate()?;
        Ok(w)
    }

    /// Checks the name, the weight and the reference.
    pub fn validate(&self) -> Result<()> {
        check_name("indicator", &self.indicator)?;
        bounds::INDEX_WEIGHT.check("--weight", self.weight)?;
        bounds::INDEX_REFERENCE.check("--reference", self.reference)?;
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

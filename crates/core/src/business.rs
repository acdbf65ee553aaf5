//! The economic records of the ledger: products (what is sold, and its functional unit), usage
//! (how much of a product was used on a day, and the revenue it earned) and cost lines (costs
//! the meter cannot see, such as storage or staff). Like runs, they are appended and never
//! rewritten: a product added again with the same name supersedes the earlier entry.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::bounds;
use crate::error::{CoreError, Result};
use crate::units::Currency;

pub use crate::indicator::{Direction, IndexWeight, Indicator, check_scope};
pub use crate::name::check_name;
use crate::name::invalid;

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
    /// A product as a user gives it (`sustain product add`, `POST /api/v1/products`), recorded
    /// now: the currency trimmed and upper-cased, then every field checked.
    pub fn new(
        name: String,
        unit: String,
        price_per_1k_requests: Option<f64>,
        price_per_1m_tokens: Option<f64>,
        currency: Option<String>,
        description: String,
    ) -> Result<Self> {
        let p = Product {
            name,
            unit,
            price_per_1k_requests,
            price_per_1m_tokens,
            currency: currency.map(|c| c.trim().to_ascii_uppercase()),
            description,
            recorded_at: Utc::now(),
        };
        p.validate()?;
        Ok(p)
    }

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
            bounds::PRICE.check_opt(what, p)?;
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
    /// Checks the product name, the counts, the revenue, the day and the currency.
    pub fn validate(&self) -> Result<()> {
        check_name("--product", &self.product)?;
        self.check_bounds()?;
        Currency::new(&self.currency).map(|_| ())
    }

    /// Checks the figures against their plausible bounds only: what the ledger's read side
    /// also holds stored rows to.
    pub fn check_bounds(&self) -> Result<(), bounds::BoundsError> {
        bounds::REQUESTS.check_count("--requests", self.requests)?;
        bounds::TOKENS.check_count("--tokens", self.tokens)?;
        bounds::MONEY.check("--revenue", self.revenue)?;
        bounds::check_day("--date", self.day)
    }

    /// The one way a usage row is made from what a user gave (`sustain usage add`, a line of
    /// `sustain usage import`, `POST /api/v1/usage`): the revenue as given (in the given
    /// currency, else the product's), or else computed from the product's prices; then checked.
    pub fn from_input(products: &[Product], input: UsageInput) -> Result<Usage> {
        let UsageInput {
            product,
            day,
            requests,
            tokens,
            revenue,
            currency,
            source,
        } = input;
        let p = products.iter().find(|p| p.name == product).ok_or_else(|| {
            CoreError::UnknownProduct {
                name: product.clone(),
                known: products.iter().map(|p| p.name.clone()).collect(),
            }
        })?;
        let (revenue, currency) = match (revenue, currency) {
            (None, Some(c)) => {
                return Err(invalid(
                    "--currency",
                    c,
                    "no currency without --revenue: without a revenue the product's prices and currency are used",
                ));
            }
            (Some(r), given) => {
                let currency = given.or_else(|| p.currency.clone()).ok_or_else(|| {
                    invalid(
                        "--currency",
                        "(none)",
                        &format!(
                            "the currency of the revenue: product {product} has none, so give --currency"
                        ),
                    )
                })?;
                (r, currency)
            }
            (None, None) => match &p.currency {
                Some(c) => (p.revenue(requests, tokens), c.clone()),
                None => {
                    return Err(invalid(
                        "--revenue",
                        "(none)",
                        &format!(
                            "a revenue and its currency: product {product} has no prices, so the revenue cannot be computed (or add prices to the product)"
                        ),
                    ));
                }
            },
        };
        let u = Usage {
            product,
            day,
            requests,
            tokens,
            revenue,
            currency: currency.trim().to_ascii_uppercase(),
            source,
        };
        u.validate()?;
        Ok(u)
    }
}

/// Usage as a user gives it, before [`Usage::from_input`] completes and checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageInput {
    /// The product's name.
    pub product: String,
    /// The day.
    pub day: NaiveDate,
    /// Requests served.
    pub requests: u64,
    /// Tokens served.
    pub tokens: u64,
    /// Revenue, when given (else computed from the product's prices).
    pub revenue: Option<f64>,
    /// Currency of the revenue, when given (else the product's).
    pub currency: Option<String>,
    /// Where the figures come from (`cli`, `import FILE`, `api`).
    pub source: String,
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
    /// A cost line as a user gives it (`sustain cost add`, `POST /api/v1/costs`): the currency
    /// trimmed and upper-cased, then every field checked.
    pub fn new(
        day: NaiveDate,
        scope: String,
        category: String,
        amount: f64,
        currency: &str,
        description: String,
    ) -> Result<Self> {
        let c = CostLine {
            day,
            scope,
            category,
            amount,
            currency: currency.trim().to_ascii_uppercase(),
            description,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks the scope, category, amount, day and currency.
    pub fn validate(&self) -> Result<()> {
        self.check_bounds()?;
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

impl CostLine {
    /// Checks the figures against their plausible bounds only: what the ledger's read side
    /// also holds stored lines to.
    pub fn check_bounds(&self) -> Result<(), bounds::BoundsError> {
        bounds::MONEY.check("--amount", self.amount)?;
        bounds::check_day("--date", self.day)
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
            let g = Goal::Relative(v / 100.0);
            g.check_bounds()?;
            Ok(g)
        } else {
            let v: f64 = t.parse().map_err(|_| bad())?;
            if !v.is_finite() {
                return Err(bad());
            }
            let g = Goal::Absolute(v);
            g.check_bounds()?;
            Ok(g)
        }
    }

    /// Checks the change or value against its plausible bound.
    pub fn check_bounds(self) -> Result<(), bounds::BoundsError> {
        match self {
            Goal::Relative(f) => bounds::GOAL_FRACTION.check("--goal", f).map(|_| ()),
            Goal::Absolute(v) => bounds::GOAL_VALUE.check("--goal", v).map(|_| ()),
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

impl Target {
    /// Checks the name, the goal and the deadline (the metric and scope are the report's to
    /// check: `sustain_report::targets::check`).
    pub fn validate(&self) -> Result<()> {
        check_name("target", &self.name)?;
        self.goal.check_bounds()?;
        bounds::check_day("--by", self.by)?;
        Ok(())
    }
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
    fn usage_rows_are_made_in_one_place_and_refused_out_of_bounds() {
        let chat = Product {
            name: "chat".into(),
            unit: "request".into(),
            price_per_1k_requests: Some(2.0),
            price_per_1m_tokens: None,
            currency: Some("eur".into()),
            description: String::new(),
            recorded_at: Utc::now(),
        };
        let free = Product {
            name: "free".into(),
            price_per_1k_requests: None,
            currency: None,
            ..chat.clone()
        };
        let products = [chat, free];
        let input = UsageInput {
            product: "chat".into(),
            day: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            requests: 10_000,
            tokens: 0,
            revenue: None,
            currency: None,
            source: "cli".into(),
        };
        let u = Usage::from_input(&products, input.clone()).unwrap();
        assert_eq!((u.revenue, u.currency.as_str()), (20.0, "EUR"));
        let given = Usage::from_input(
            &products,
            UsageInput {
                revenue: Some(3.5),
                currency: Some("usd".into()),
                ..input.clone()
            },
        )
        .unwrap();
        assert_eq!((given.revenue, given.currency.as_str()), (3.5, "USD"));
        let err = |i: UsageInput| Usage::from_input(&products, i).unwrap_err();
        let e = err(UsageInput {
            product: "video".into(),
            ..input.clone()
        });
        assert!(matches!(e, CoreError::UnknownProduct { .. }));
        assert!(
            e.to_string().contains("unknown product 'video'")
                && e.to_string().contains("chat, free")
        );
        let e = err(UsageInput {
            currency: Some("USD".into()),
            ..input.clone()
        });
        assert!(e.to_string().contains("--currency"), "{e}");
        let e = err(UsageInput {
            product: "free".into(),
            ..input.clone()
        });
        assert!(e.to_string().contains("no prices"), "{e}");
        // The clamped value of the bug report is refused, not stored as i64::MAX.
        let e = err(UsageInput {
            requests: u64::MAX,
            ..input.clone()
        });
        assert!(
            e.to_string()
                .starts_with("--requests = 18446744073709551615 is out of bounds"),
            "{e}"
        );
        for bad in [
            UsageInput {
                tokens: 1u64 << 60,
                ..input.clone()
            },
            UsageInput {
                revenue: Some(1e308),
                ..input.clone()
            },
            UsageInput {
                day: NaiveDate::from_ymd_opt(9999, 1, 1).unwrap(),
                ..input.clone()
            },
        ] {
            assert!(matches!(err(bad), CoreError::OutOfBounds(_)));
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
        let neg = CostLine {
            amount: -1.0,
            ..c.clone()
        };
        assert!(neg.validate().unwrap_err().to_string().contains(">= 0"));
        let huge = CostLine {
            amount: 1e308,
            ..c.clone()
        };
        assert!(
            huge.validate()
                .unwrap_err()
                .to_string()
                .contains("--amount = ")
        );
        let i = Indicator {
            name: "training_hours".into(),
            day: c.day,
            scope: "company".into(),
            value: -1e308,
            unit: "h".into(),
            description: String::new(),
            recorded_at: Utc::now(),
        };
        assert!(i.validate().unwrap_err().to_string().contains("--value"));
        assert!(
            Goal::parse("1e300")
                .unwrap_err()
                .to_string()
                .contains("--goal")
        );
        assert!(Goal::parse("+1e9%").is_err());
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

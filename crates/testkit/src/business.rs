//! Business records with fixed defaults, for the suites that record a month of a product's
//! economics: the product `chat` at 2.50 USD per 1,000 requests, its usage, a storage cost line,
//! a training-hours indicator.

use chrono::{NaiveDate, Utc};
use sustain_core::business::{CostLine, Indicator, Product, Usage};

/// The product `chat`: unit `request`, 2.50 USD per 1,000 requests, no token price.
pub fn chat() -> Product {
    Product {
        name: "chat".into(),
        unit: "request".into(),
        price_per_1k_requests: Some(2.5),
        price_per_1m_tokens: None,
        currency: Some("USD".into()),
        description: String::new(),
        recorded_at: Utc::now(),
    }
}

/// A usage row of `chat` on `day`: `requests` and `tokens`, 30 USD of revenue, source `test`.
pub fn chat_usage(day: NaiveDate, requests: u64, tokens: u64) -> Usage {
    Usage {
        product: "chat".into(),
        day,
        requests,
        tokens,
        revenue: 30.0,
        currency: "USD".into(),
        source: "test".into(),
    }
}

/// A storage cost line of 12.50 USD on `day`, booked on the company.
pub fn storage_cost(day: NaiveDate) -> CostLine {
    CostLine {
        day,
        scope: "company".into(),
        category: "storage".into(),
        amount: 12.5,
        currency: "USD".into(),
        description: String::new(),
    }
}

/// 40 hours of `training_hours` on `day`, for the company.
pub fn training_hours(day: NaiveDate) -> Indicator {
    Indicator {
        name: "training_hours".into(),
        day,
        scope: "company".into(),
        value: 40.0,
        unit: "h".into(),
        description: String::new(),
        recorded_at: Utc::now(),
    }
}

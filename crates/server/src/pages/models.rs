//! `/models` (model versions and datasets) and `/products` (what the company sells and this
//! month's usage).

use axum::extract::State;
use maud::html;
use sustain_core::format::si;
use sustain_ledger::{Business, Views};

use super::{PageResult, PageUser, page, percent_encode};
use crate::state::AppState;

fn short(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}

pub(super) async fn models(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let (models, datasets) = state
        .ledger(|l| Ok((l.models(200)?, l.datasets()?)))
        .await?;
    let main = html! {
        h1 { "Models" }
        p.sub {
            "Model versions that " code { "sustain train" }
            " produced (by the SHA-256 of their weights), with their test metrics and the footprint of their training."
        }
        div.panel {
            @if models.is_empty() {
                p.empty { "No trained models yet: " code { "sustain train tabular-mlp" } " makes one." }
            } @else {
                table {
                    tr {
                        th { "trained (UTC)" } th.l { "task" } th.l { "version" } th.l { "dataset" }
                        th { "test accuracy" } th { "test F1" } th { "energy" } th { "CO2e" }
                        th.l { "site" } th.l { "path" }
                    }
                    @for m in &models {
                        @let metric = |k: &str| m.metrics["test"][k].as_f64().map_or("—".into(), |v| format!("{v:.3}"));
                        tr {
                            td { (m.trained_at.format("%Y-%m-%d %H:%M")) }
                            td.l { (m.name) }
                            td.l { code { (short(&m.sha256)) } }
                            td.l { code { (m.dataset_sha256.as_deref().map_or("—", short)) } }
                            td { (metric("accuracy")) }
                            td { (metric("f1")) }
                            td { (si(m.energy_wh, "Wh")) }
                            td { (si(m.co2e_location_g, "g")) }
                            td.l { (m.site) }
                            td.l { (m.path.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        }
        h2 { "Datasets" }
        div.panel {
            @if datasets.is_empty() {
                p.empty { "No datasets yet." }
            } @else {
                table {
                    tr {
                        th.l { "version" } th.l { "used by" } th { "trainings" } th { "first" }
                        th { "latest" } th { "CO2e of the trainings" }
                    }
                    @for d in &datasets {
                        tr {
                            td.l { code { (short(&d.sha256)) } }
                            td.l { (d.names.join(", ")) }
                            td { (d.runs) }
                            td { (d.first_used.format("%Y-%m-%d")) }
                            td { (d.last_used.format("%Y-%m-%d")) }
                            td { (si(d.co2e_location_g, "g")) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&state, "/models", Some(&who), "Models", main))
}

pub(super) async fn products(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let month = crate::api::this_month()?;
    let (from, to) = (month.from, month.to);
    let (products, usage) = state
        .ledger(move |l| Ok((l.products()?, l.usage_totals(from, to)?)))
        .await?;
    let price = |p: Option<f64>| p.map_or("—".into(), |v| format!("{v}"));
    let main = html! {
        h1 { "Products" }
        p.sub { "What the company sells; runs belong to a product through the tag " code { "product=NAME" } "." }
        div.panel {
            @if products.is_empty() {
                p.empty {
                    "No products: " code { "sustain product add NAME" } " or " code { "POST /api/v1/products" } "."
                }
            } @else {
                table {
                    tr {
                        th.l { "product" } th.l { "unit" } th { "per 1k requests" } th { "per 1M tokens" }
                        th.l { "currency" } th.l { "since" } th.l { "description" }
                    }
                    @for p in &products {
                        tr {
                            td.l { a href={ "/accounts?scope=product:" (percent_encode(&p.name)) } { (p.name) } }
                            td.l { (p.unit) }
                            td { (price(p.price_per_1k_requests)) }
                            td { (price(p.price_per_1m_tokens)) }
                            td.l { (p.currency.as_deref().unwrap_or("")) }
                            td.l { (p.recorded_at.format("%Y-%m-%d")) }
                            td.l { (p.description) }
                        }
                    }
                }
            }
        }
        h2 { "Usage in " (month.label) }
        div.panel {
            @if usage.is_empty() {
                p.empty { "No usage recorded this month." }
            } @else {
                table {
                    tr { th.l { "product" } th { "requests" } th { "tokens" } th { "revenue" } th { "entries" } }
                    @for u in &usage {
                        tr {
                            td.l { (u.product) }
                            td { (u.requests) }
                            td { (u.tokens) }
                            td { (format!("{:.2} ", u.revenue)) (u.currency) }
                            td { (u.entries) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&state, "/products", Some(&who), "Products", main))
}

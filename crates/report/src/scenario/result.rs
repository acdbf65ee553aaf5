//! What a scenario gives: the figures it compares (actual and with the levers), each lever's
//! marginal effect, and the result as a whole.

use std::collections::BTreeMap;

use serde::Serialize;

/// Totals of cells and usage: the figures a scenario compares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Runs.
    pub runs: u64,
    /// IT energy, Wh.
    pub it_wh: f64,
    /// Facility energy, Wh.
    pub facility_wh: f64,
    /// Location-based carbon, g.
    pub co2e_location_g: f64,
    /// Market-based carbon of cells with a contractual factor, g.
    pub co2e_market_g: Option<f64>,
    /// Embodied carbon the runs recorded, g (modelled; moved by `volume` only).
    pub embodied_co2e_g: f64,
    /// Water, L.
    pub water_l: f64,
    /// Total cost (runs and cost lines), by currency.
    pub cost: BTreeMap<String, f64>,
    /// Revenue, by currency.
    pub revenue: BTreeMap<String, f64>,
    /// Profit, by currency.
    pub profit: BTreeMap<String, f64>,
    /// Requests.
    pub requests: f64,
    /// Tokens.
    pub tokens: f64,
    /// Location-based carbon per 1,000 requests, g.
    pub co2e_g_per_1k_requests: Option<f64>,
}

/// What one lever moved (its marginal effect, after the levers before it).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeverEffect {
    /// 1-based position in the file.
    pub index: usize,
    /// Type and settings.
    pub label: String,
    /// Cells (site, kind, product, model, hour) it changed.
    pub cells: u64,
    /// Change of location-based carbon, g.
    pub co2e_location_g: f64,
    /// Change of market-based carbon, g.
    pub co2e_market_g: f64,
    /// Change of facility energy, Wh.
    pub facility_wh: f64,
    /// Change of water, L.
    pub water_l: f64,
    /// Change of total cost, by currency.
    pub cost: BTreeMap<String, f64>,
    /// Change of revenue, by currency.
    pub revenue: BTreeMap<String, f64>,
    /// How the effect was obtained (factor, source).
    pub basis: String,
}

/// A scenario's result.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScenarioResult {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Period.
    pub period: String,
    /// Scope.
    pub scope: String,
    /// The actual figures.
    pub actual: Figures,
    /// With the levers.
    pub scenario: Figures,
    /// Each lever's effect, in order.
    pub levers: Vec<LeverEffect>,
    /// Caveats.
    pub notes: Vec<String>,
}

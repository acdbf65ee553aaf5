//! The period's runs as cells (site, kind, product, model, hour of start), each with its
//! recorded IT energy and the per-kWh factors its recorded figures imply, so that with no lever
//! the cells sum to the accounts exactly; and the state the levers change (cells, usage, cost
//! lines) with the figures it sums to.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use sustain_core::site::SiteCatalog;
use sustain_ledger::{Group, RunTotals, TotalsQuery, UsageTotal};

use super::lever::Selection;
use super::result::Figures;
use crate::period::Period;
use crate::scope::Scope;

const J_PER_WH: f64 = 3600.0;

/// One cell of the period's runs with the factors its recorded figures imply.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub(crate) site: String,
    pub(crate) kind: String,
    pub(crate) product: String,
    pub(crate) model: String,
    pub(crate) hour: Option<NaiveDateTime>,
    pub(crate) runs: u64,
    /// IT energy, Wh.
    pub(crate) it_wh: f64,
    pub(crate) pue: f64,
    /// Location-based g per facility kWh.
    pub(crate) intensity: f64,
    /// Multiplier of `intensity` from shifting hours.
    pub(crate) shift: f64,
    /// Litres per facility kWh.
    pub(crate) water: f64,
    /// Market-based g per facility kWh, where the site has a contractual factor.
    pub(crate) market: Option<f64>,
    /// Energy price per facility kWh.
    pub(crate) price: Option<(String, f64)>,
    /// Cost that is not energy (hardware-hours), by currency.
    pub(crate) fixed: BTreeMap<String, f64>,
    /// Embodied carbon the runs recorded, g: it follows the cell's runs (a split, a volume
    /// change), not its energy.
    pub(crate) embodied_g: f64,
    /// The runs' mean wall-clock duration, minutes (a share of the cell keeps it: its runs are
    /// as long).
    pub(crate) run_min: f64,
}

/// The runs of `scope` over `period`, by cell.
pub(crate) fn query(period: &Period, scope: &Scope) -> TotalsQuery {
    TotalsQuery {
        group: Group::Cell,
        ..crate::accounts::query(period, scope)
    }
}

/// A cell from its totals, with the factors they imply (the site's, where it has no energy).
pub(crate) fn cell(t: &RunTotals, sites: &SiteCatalog) -> Cell {
    let mut parts = t.group.split('\t');
    let mut next = || parts.next().unwrap_or("(none)").to_string();
    let (site, kind, product, model, hour) = (next(), next(), next(), next(), next());
    let hour = NaiveDateTime::parse_from_str(&format!("{hour}:00:00"), "%Y-%m-%dT%H:%M:%S").ok();
    let it_wh = (t.cpu_j + t.gpu_j + t.ram_j) / J_PER_WH;
    let facility_wh = t.facility_j / J_PER_WH;
    let known = sites.get(&site).ok();
    let pue = if it_wh > 0.0 {
        facility_wh / it_wh
    } else {
        known.map_or(1.0, |s| s.pue.value())
    };
    let per_kwh = |v: f64, fallback: f64| {
        if facility_wh > 0.0 {
            v / (facility_wh / 1e3)
        } else {
            fallback
        }
    };
    let intensity = per_kwh(
        t.co2e_location_g,
        known.map_or(0.0, |s| s.intensity.g_per_kwh()),
    );
    let water = per_kwh(t.water_l, 0.0);
    let market = (t.market_runs > 0).then(|| per_kwh(t.co2e_market_g, 0.0));
    let price = known
        .and_then(|s| s.price.as_ref())
        .map(|p| (p.currency().code().to_string(), p.amount_per_kwh()));
    // What the runs cost beyond their energy at the site's price: hardware-hours.
    let mut fixed = t.cost.clone();
    if let Some((c, p)) = &price {
        if let Some(v) = fixed.get_mut(c) {
            *v = (*v - facility_wh / 1e3 * p).max(0.0);
        }
    }
    Cell {
        site,
        kind,
        product,
        model,
        hour,
        runs: t.runs,
        it_wh,
        pue,
        intensity,
        shift: 1.0,
        water,
        market,
        // Runs without a recorded cost stay without one.
        price: if t.cost.is_empty() { None } else { price },
        fixed,
        embodied_g: t.embodied_g,
        run_min: if t.runs > 0 {
            t.duration_s / 60.0 / t.runs as f64
        } else {
            0.0
        },
    }
}

impl Cell {
    pub(crate) fn facility_wh(&self) -> f64 {
        self.it_wh * self.pue
    }
    pub(crate) fn location_g(&self) -> f64 {
        self.facility_wh() / 1e3 * self.intensity * self.shift
    }
    pub(crate) fn market_g(&self) -> Option<f64> {
        self.market.map(|m| self.facility_wh() / 1e3 * m)
    }
    pub(crate) fn scaled(&self, share: f64) -> Cell {
        let mut c = self.clone();
        c.it_wh *= share;
        c.fixed.values_mut().for_each(|v| *v *= share);
        c.embodied_g *= share;
        c
    }
}

/// The cells, usage and cost lines the levers change.
pub(crate) struct State {
    pub(crate) cells: Vec<Cell>,
    pub(crate) usage: Vec<UsageTotal>,
    pub(crate) cost_lines: BTreeMap<String, f64>,
}

impl State {
    pub(crate) fn figures(&self) -> Figures {
        let mut f = Figures::default();
        let mut market: Option<f64> = None;
        for c in &self.cells {
            f.runs += c.runs;
            f.it_wh += c.it_wh;
            f.facility_wh += c.facility_wh();
            f.co2e_location_g += c.location_g();
            if let Some(m) = c.market_g() {
                *market.get_or_insert(0.0) += m;
            }
            f.water_l += c.facility_wh() / 1e3 * c.water;
            f.embodied_co2e_g += c.embodied_g;
            for (cur, v) in &c.fixed {
                *f.cost.entry(cur.clone()).or_default() += v;
            }
            if let Some((cur, p)) = &c.price {
                *f.cost.entry(cur.clone()).or_default() += c.facility_wh() / 1e3 * p;
            }
        }
        f.co2e_market_g = market;
        for (cur, v) in &self.cost_lines {
            *f.cost.entry(cur.clone()).or_default() += v;
        }
        for u in &self.usage {
            *f.revenue.entry(u.currency.clone()).or_default() += u.revenue;
            f.requests += u.requests as f64;
            f.tokens += u.tokens as f64;
        }
        let currencies: std::collections::BTreeSet<&String> =
            f.cost.keys().chain(f.revenue.keys()).collect();
        f.profit = currencies
            .into_iter()
            .map(|c| {
                (
                    c.clone(),
                    f.revenue.get(c).copied().unwrap_or(0.0)
                        - f.cost.get(c).copied().unwrap_or(0.0),
                )
            })
            .collect();
        f.co2e_g_per_1k_requests = (f.requests > 0.0).then(|| f.co2e_location_g * 1e3 / f.requests);
        f
    }
}

/// Whether `s` selects cell `c`.
pub(crate) fn selects(s: &Selection<'_>, c: &Cell) -> bool {
    s.kinds.is_none_or(|k| k.contains(&c.kind))
        && s.site.is_none_or(|x| x == c.site)
        && s.product.is_none_or(|p| p == c.product)
        && s.model.is_none_or(|m| m == c.model)
}

/// `b - a` per key, without the zeros.
pub(crate) fn diff(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    a.keys()
        .chain(b.keys())
        .map(|k| {
            (
                k.clone(),
                b.get(k).copied().unwrap_or(0.0) - a.get(k).copied().unwrap_or(0.0),
            )
        })
        .filter(|(_, v)| *v != 0.0)
        .collect()
}

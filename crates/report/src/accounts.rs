//! The accounts of a period and a scope, computed from the ledger by SQL aggregates (never by
//! loading runs): environmental (energy by component, carbon location- and market-based kept
//! apart, water; beside them, never subtracted, the carbon avoided by scheduling), economic
//! (run cost, cost lines, revenue from usage, profit, margin, per-unit figures) and social
//! (fairness of evaluations, user indicators, the social index).

use std::collections::BTreeMap;

use serde::Serialize;
use sustain_core::business::CostLine;
use sustain_ledger::{
    AvoidedTotals, Business, Group, InvalidRecord, RecordKind, RunTotals, TotalsQuery, UsageTotal,
};

use crate::error::{ReportError, Result};
use crate::period::Period;
use crate::scope::Scope;
pub use crate::social::Social;

const J_PER_WH: f64 = 3600.0;

/// Totals of a group of runs (a site, a kind, a month, a product).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Breakdown {
    /// The group.
    pub group: String,
    /// Runs.
    pub runs: u64,
    /// IT energy, Wh.
    pub energy_wh: f64,
    /// Facility energy (IT x PUE), Wh.
    pub facility_wh: f64,
    /// Location-based carbon, g.
    pub co2e_location_g: f64,
    /// Embodied carbon of the group's runs that recorded one, g.
    pub embodied_co2e_g: f64,
    /// Water, L.
    pub water_l: f64,
}

impl From<&RunTotals> for Breakdown {
    fn from(t: &RunTotals) -> Self {
        Breakdown {
            group: t.group.clone(),
            runs: t.runs,
            energy_wh: (t.cpu_j + t.gpu_j + t.ram_j) / J_PER_WH,
            facility_wh: t.facility_j / J_PER_WH,
            co2e_location_g: t.co2e_location_g,
            embodied_co2e_g: t.embodied_g,
            water_l: t.water_l,
        }
    }
}

/// Energy by component, Wh.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EnergyWh {
    /// CPU.
    pub cpu: f64,
    /// GPU.
    pub gpu: f64,
    /// Memory.
    pub ram: f64,
    /// IT: CPU + GPU + memory.
    pub it: f64,
    /// Facility: IT x PUE of each run's site.
    pub facility: f64,
}

/// Per functional unit of a product. The SCI is `(E x I + M) / R`: location-based operational
/// carbon plus the embodied carbon the runs recorded, per unit.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProductUnit {
    /// Product.
    pub product: String,
    /// Its runs in the period.
    pub runs: u64,
    /// Of those, training runs.
    pub training_runs: u64,
    /// Requests served.
    pub requests: u64,
    /// Tokens served.
    pub tokens: u64,
    /// Facility energy per 1,000 requests, Wh (none without requests).
    pub wh_per_1k_requests: Option<f64>,
    /// Location-based carbon per 1,000 requests, g: the SCI per 1,000 requests.
    pub co2e_g_per_1k_requests: Option<f64>,
    /// Location-based carbon per 1,000 tokens, g.
    pub co2e_g_per_1k_tokens: Option<f64>,
    /// SCI per 1,000 requests, g: operational plus embodied carbon of all the product's runs.
    pub sci_g_per_1k_requests: Option<f64>,
    /// SCI per 1,000 tokens, g.
    pub sci_g_per_1k_tokens: Option<f64>,
    /// SCI per training run, g: the product's training runs' operational plus embodied carbon
    /// over their number (none without training runs).
    pub sci_g_per_training_run: Option<f64>,
}

/// Carbon avoided by scheduling over a period and scope
/// (`docs/methods/avoided-carbon.md`): the jobs of plans for execution that start in it, each
/// against the same job under `fifo` on the true series.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Avoided {
    /// How the figures are obtained: "modelled against fifo on the true series".
    pub method: String,
    /// All the jobs counted.
    pub total: AvoidedTotals,
    /// By the site each job runs at.
    pub by_site: Vec<AvoidedTotals>,
    /// By month of the planned start.
    pub by_month: Vec<AvoidedTotals>,
}

/// The environmental account.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Environmental {
    /// Ended runs started in the period.
    pub runs: u64,
    /// Energy by component.
    pub energy_wh: EnergyWh,
    /// Share of the IT energy measured by hardware counters (the rest is modelled).
    pub measured_share: f64,
    /// Location-based carbon, g.
    pub co2e_location_g: f64,
    /// Market-based carbon of the runs whose site has a contractual factor, g (never added to
    /// the location-based figure); none when no run has one.
    pub co2e_market_g: Option<f64>,
    /// Runs with a market-based figure.
    pub market_runs: u64,
    /// Embodied carbon of the runs that recorded one, g (none when no run did; never added to
    /// the operational figures).
    pub embodied_co2e_g: Option<f64>,
    /// Runs with an embodied figure.
    pub embodied_runs: u64,
    /// Water, L.
    pub water_l: f64,
    /// Carbon avoided by carbon-aware scheduling, g: modelled against `fifo` on the true
    /// series, reported beside the actual carbon and never subtracted from it. Absent when no
    /// job of a plan for execution starts in the period and scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avoided_co2e_g: Option<f64>,
    /// What the avoided carbon is made of: the jobs, by site and by month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avoided: Option<Avoided>,
    /// Renewable share of the electricity, weighted by facility energy, over the sites whose
    /// grid mix is known (none when no site's is).
    pub renewable_share: Option<f64>,
    /// Share of the facility energy at sites with a known renewable share.
    pub renewable_coverage: f64,
    /// By site.
    pub by_site: Vec<Breakdown>,
    /// By kind of run.
    pub by_kind: Vec<Breakdown>,
    /// By month of the start.
    pub by_month: Vec<Breakdown>,
    /// By model (the runs' `model` tag).
    pub by_model: Vec<Breakdown>,
    /// Per functional unit of each product with usage.
    pub per_product: Vec<ProductUnit>,
}

/// The economic account. Amounts are per currency: nothing is converted.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Economic {
    /// Cost of runs (energy x price, hardware-hours x rate), by currency.
    pub run_cost: BTreeMap<String, f64>,
    /// Runs whose site has no price (their cost is unknown, not zero).
    pub runs_without_cost: u64,
    /// Cost lines entered by users.
    pub cost_lines: Vec<CostLine>,
    /// Cost lines by category and currency.
    pub cost_lines_by_category: BTreeMap<String, BTreeMap<String, f64>>,
    /// Run cost plus cost lines, by currency.
    pub total_cost: BTreeMap<String, f64>,
    /// Revenue from usage, by currency.
    pub revenue: BTreeMap<String, f64>,
    /// Revenue minus total cost, by currency.
    pub profit: BTreeMap<String, f64>,
    /// Profit / revenue, by currency (none without revenue).
    pub margin: BTreeMap<String, Option<f64>>,
    /// Requests served.
    pub requests: u64,
    /// Tokens served.
    pub tokens: u64,
    /// Usage by product and currency.
    pub usage: Vec<UsageTotal>,
    /// Total cost per 1,000 requests, by currency.
    pub cost_per_1k_requests: BTreeMap<String, Option<f64>>,
    /// Location-based carbon per unit of revenue, g per currency unit.
    pub co2e_g_per_revenue: BTreeMap<String, Option<f64>>,
}

/// The headline figures, for the change against the previous period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Headline {
    /// The period.
    pub period: String,
    /// Runs.
    pub runs: u64,
    /// Facility energy, Wh.
    pub energy_wh: f64,
    /// Location-based carbon, g.
    pub co2e_location_g: f64,
    /// Embodied carbon of the runs that recorded one, g (none when none did).
    pub embodied_co2e_g: Option<f64>,
    /// Carbon avoided by scheduling, g (modelled; absent when no scheduled job counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avoided_co2e_g: Option<f64>,
    /// Water, L.
    pub water_l: f64,
    /// Total cost, by currency.
    pub cost: BTreeMap<String, f64>,
    /// Revenue, by currency.
    pub revenue: BTreeMap<String, f64>,
    /// Requests.
    pub requests: u64,
}

/// The accounts of one period and scope.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Accounts {
    /// The period.
    pub period: Period,
    /// The scope.
    pub scope: String,
    /// Whether the period and scope hold any runs, usage or cost lines.
    pub has_data: bool,
    /// This period's headline.
    pub headline: Headline,
    /// The previous period's headline.
    pub previous: Headline,
    /// Environmental.
    pub environmental: Environmental,
    /// Economic.
    pub economic: Economic,
    /// Social.
    pub social: Social,
    /// Caveats: runs without prices, partial market coverage, scopes without revenue.
    pub notes: Vec<String>,
    /// Records of the period and scope left out of every figure because one of their figures
    /// is outside its plausible bounds (`sustain_core::bounds`): only a ledger written before
    /// the bounds existed holds them. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<InvalidRecord>,
}

/// The period's records left out of the sums, in `scope`: runs are already in it; usage rows
/// by their product, cost lines by their scope; indicators are the company's.
fn excluded(ledger: &impl Business, period: &Period, scope: &Scope) -> Result<Vec<InvalidRecord>> {
    Ok(ledger
        .invalid_records(&query(period, scope))?
        .into_iter()
        .filter(|r| match r.kind {
            RecordKind::Run
            | RecordKind::Indicator
            | RecordKind::ScheduleJob
            | RecordKind::ScheduleOutcome => true,
            RecordKind::Usage => scope.covers_product(&r.subject),
            RecordKind::CostLine => scope.covers_cost_scope(&r.subject),
        })
        .collect())
}

/// The runs of `scope` over `period`, as one group.
pub(crate) fn query(period: &Period, scope: &Scope) -> TotalsQuery {
    let (site, kind) = match scope {
        Scope::Site(s) => (Some(s.clone()), None),
        Scope::Kind(k) => (None, Some(k.clone())),
        _ => (None, None),
    };
    TotalsQuery {
        from: period.start(),
        to: period.end(),
        tag: scope.tag(),
        site,
        kind,
        group: Group::All,
    }
}

fn add_to(map: &mut BTreeMap<String, f64>, currency: &str, amount: f64) {
    *map.entry(currency.to_string()).or_default() += amount;
}

/// The carbon avoided by scheduling over `period` in `scope`, with its breakdowns; none when no
/// scheduled job counts there.
fn avoided(ledger: &impl Business, period: &Period, scope: &Scope) -> Result<Option<Avoided>> {
    let mut sets = ledger
        .avoided_carbon_by(
            &query(period, scope),
            &[Group::All, Group::Site, Group::Month],
        )?
        .into_iter();
    let mut next = || sets.next().unwrap_or_default();
    let (all, by_site, by_month) = (next(), next(), next());
    Ok(all.into_iter().next().map(|total| Avoided {
        method: sustain_core::schedule::METHOD.to_string(),
        total,
        by_site,
        by_month,
    }))
}

fn headline(
    ledger: &impl Business,
    period: &Period,
    scope: &Scope,
    all: RunTotals,
    avoided_co2e_g: Option<f64>,
) -> Result<(Headline, RunTotals, Vec<UsageTotal>, Vec<CostLine>)> {
    let usage: Vec<UsageTotal> = ledger
        .usage_totals(period.from, period.to)?
        .into_iter()
        .filter(|u| scope.covers_product(&u.product))
        .collect();
    let lines: Vec<CostLine> = ledger
        .cost_lines(period.from, period.to)?
        .into_iter()
        .filter(|c| scope.covers_cost_scope(&c.scope))
        .collect();
    let mut cost = all.cost.clone();
    for c in &lines {
        add_to(&mut cost, &c.currency, c.amount);
    }
    let mut revenue = BTreeMap::new();
    for u in &usage {
        add_to(&mut revenue, &u.currency, u.revenue);
    }
    let h = Headline {
        period: period.label.clone(),
        runs: all.runs,
        energy_wh: all.facility_j / J_PER_WH,
        co2e_location_g: all.co2e_location_g,
        embodied_co2e_g: (all.embodied_runs > 0).then_some(all.embodied_g),
        avoided_co2e_g,
        water_l: all.water_l,
        cost,
        revenue,
        requests: usage.iter().map(|u| u.requests).sum(),
    };
    Ok((h, all, usage, lines))
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite()).then(|| a / b)
}

/// The accounts of `scope` over `period`. A product scope must name a product the ledger knows.
pub fn accounts(ledger: &impl Business, period: &Period, scope: &Scope) -> Result<Accounts> {
    if let Scope::Product(p) = scope {
        let known: Vec<String> = ledger.products()?.into_iter().map(|p| p.name).collect();
        if !known.contains(p) {
            return Err(ReportError::Invalid {
                what: "--scope".into(),
                value: scope.label(),
                expected: if known.is_empty() {
                    "a product added with `sustain product add NAME` (none yet)".into()
                } else {
                    format!("one of the products: {}", known.join(", "))
                },
            });
        }
    }
    // One pass over the period gives every breakdown; one more the previous period's total.
    let groups = [
        Group::All,
        Group::Site,
        Group::Kind,
        Group::Month,
        Group::Tag("model".into()),
        Group::Tag("product".into()),
        Group::ProductKind,
    ];
    let mut sets = ledger.run_totals_by(&query(period, scope), &groups)?;
    let by_product_kind = sets.pop().unwrap_or_default();
    let by_product = sets.pop().unwrap_or_default();
    let [all, by_site, by_kind, by_month, by_model]: [Vec<RunTotals>; 5] =
        sets.try_into().map_err(|_| ReportError::Invalid {
            what: "ledger totals".into(),
            value: "a wrong number of groupings".into(),
            expected: "one set per grouping".into(),
        })?;
    let list = |v: &[RunTotals]| -> Vec<Breakdown> { v.iter().map(Breakdown::from).collect() };
    let avoided = avoided(ledger, period, scope)?;
    let (head, all, usage, lines) = headline(
        ledger,
        period,
        scope,
        all.into_iter().next().unwrap_or_default(),
        avoided.as_ref().map(|a| a.total.avoided_co2e_g),
    )?;
    let previous_period = period.previous();
    let previous_all = ledger
        .run_totals(&query(&previous_period, scope))?
        .into_iter()
        .next()
        .unwrap_or_default();
    let previous_avoided = ledger
        .avoided_carbon(&query(&previous_period, scope))?
        .into_iter()
        .next()
        .map(|t| t.avoided_co2e_g);
    let (previous, ..) = headline(
        ledger,
        &previous_period,
        scope,
        previous_all,
        previous_avoided,
    )?;
    let mut per_product = Vec::new();
    // Products with usage, then products with runs but no usage (their per-request figures
    // are none, their per-training-run SCI is not).
    let mut products: Vec<&str> = usage.iter().map(|u| u.product.as_str()).collect();
    products.extend(
        by_product
            .iter()
            .map(|t| t.group.as_str())
            .filter(|g| *g != "(none)"),
    );
    products.sort_unstable();
    products.dedup();
    for p in products {
        let (requests, tokens) = usage
            .iter()
            .filter(|u| u.product == p)
            .fold((0, 0), |(r, t), u| (r + u.requests, t + u.tokens));
        let t = by_product.iter().find(|t| t.group == p);
        let (runs, wh, g, m) = t.map_or((0, 0.0, 0.0, 0.0), |t| {
            (
                t.runs,
                t.facility_j / J_PER_WH,
                t.co2e_location_g,
                t.embodied_g,
            )
        });
        let train = by_product_kind
            .iter()
            .find(|t| t.group == format!("{p}\ttrain"));
        per_product.push(ProductUnit {
            product: p.to_string(),
            runs,
            training_runs: train.map_or(0, |t| t.runs),
            requests,
            tokens,
            wh_per_1k_requests: ratio(wh * 1e3, requests as f64),
            co2e_g_per_1k_requests: ratio(g * 1e3, requests as f64),
            co2e_g_per_1k_tokens: ratio(g * 1e3, tokens as f64),
            sci_g_per_1k_requests: ratio((g + m) * 1e3, requests as f64),
            sci_g_per_1k_tokens: ratio((g + m) * 1e3, tokens as f64),
            sci_g_per_training_run: train
                .and_then(|t| ratio(t.co2e_location_g + t.embodied_g, t.runs as f64)),
        });
    }
    let it_j = all.cpu_j + all.gpu_j + all.ram_j;
    // Renewable share from each site's grid mix in the bundled catalog (Ember, per row).
    let (mut known_wh, mut renewable_wh) = (0.0, 0.0);
    if let Ok(catalog) = sustain_core::site::SiteCatalog::bundled() {
        for b in &by_site {
            let share = catalog
                .get(&b.group)
                .ok()
                .and_then(|s| s.record.renewable_share);
            if let Some(r) = share {
                known_wh += b.facility_j / J_PER_WH;
                renewable_wh += b.facility_j / J_PER_WH * r;
            }
        }
    }
    let environmental = Environmental {
        runs: all.runs,
        energy_wh: EnergyWh {
            cpu: all.cpu_j / J_PER_WH,
            gpu: all.gpu_j / J_PER_WH,
            ram: all.ram_j / J_PER_WH,
            it: it_j / J_PER_WH,
            facility: all.facility_j / J_PER_WH,
        },
        measured_share: ratio(all.measured_j, it_j).unwrap_or(0.0),
        co2e_location_g: all.co2e_location_g,
        co2e_market_g: (all.market_runs > 0).then_some(all.co2e_market_g),
        market_runs: all.market_runs,
        embodied_co2e_g: (all.embodied_runs > 0).then_some(all.embodied_g),
        embodied_runs: all.embodied_runs,
        water_l: all.water_l,
        avoided_co2e_g: avoided.as_ref().map(|a| a.total.avoided_co2e_g),
        avoided: avoided.clone(),
        renewable_share: ratio(renewable_wh, known_wh),
        renewable_coverage: ratio(known_wh, all.facility_j / J_PER_WH).unwrap_or(0.0),
        by_site: list(&by_site),
        by_kind: list(&by_kind),
        by_month: list(&by_month),
        by_model: list(&by_model)
            .into_iter()
            .filter(|b| b.group != "(none)")
            .collect(),
        per_product,
    };
    let mut by_category: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for c in &lines {
        add_to(
            by_category.entry(c.category.clone()).or_default(),
            &c.currency,
            c.amount,
        );
    }
    let currencies: Vec<String> = head
        .cost
        .keys()
        .chain(head.revenue.keys())
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let get = |m: &BTreeMap<String, f64>, c: &str| m.get(c).copied().unwrap_or(0.0);
    let requests: u64 = usage.iter().map(|u| u.requests).sum();
    let economic = Economic {
        run_cost: all.cost.clone(),
        runs_without_cost: all.runs_without_cost,
        cost_lines_by_category: by_category,
        cost_lines: lines.clone(),
        total_cost: head.cost.clone(),
        revenue: head.revenue.clone(),
        profit: currencies
            .iter()
            .map(|c| (c.clone(), get(&head.revenue, c) - get(&head.cost, c)))
            .collect(),
        margin: currencies
            .iter()
            .map(|c| {
                let r = get(&head.revenue, c);
                (c.clone(), ratio(r - get(&head.cost, c), r))
            })
            .collect(),
        requests,
        tokens: usage.iter().map(|u| u.tokens).sum(),
        usage: usage.clone(),
        cost_per_1k_requests: currencies
            .iter()
            .map(|c| (c.clone(), ratio(get(&head.cost, c) * 1e3, requests as f64)))
            .collect(),
        co2e_g_per_revenue: head
            .revenue
            .iter()
            .map(|(c, r)| (c.clone(), ratio(all.co2e_location_g, *r)))
            .collect(),
    };
    let mut notes = Vec::new();
    if all.runs_without_cost > 0 {
        notes.push(format!(
            "{} of {} runs have no cost: their sites have no electricity price and no hourly rate was configured (their cost is unknown, not zero)",
            all.runs_without_cost, all.runs
        ));
    }
    if all.market_runs > 0 && all.market_runs < all.runs {
        notes.push(format!(
            "the market-based carbon covers {} of {} runs: only sites with a contractual factor have one",
            all.market_runs, all.runs
        ));
    }
    if all.embodied_runs < all.runs {
        notes.push(format!(
            "the embodied carbon covers {} of {} runs: runs recorded without host embodied figures (before Sustain kept them) have none, and the SCI figures count embodied carbon only where it is known",
            all.embodied_runs, all.runs
        ));
    }
    if !matches!(scope, Scope::Company | Scope::Product(_)) {
        notes.push(format!(
            "revenue is booked on products, so scope {} has none",
            scope.label()
        ));
    }
    if let Some(a) = &avoided {
        let t = &a.total;
        if t.late_jobs > 0 {
            notes.push(format!(
                "{} of {} scheduled jobs are planned to finish after their deadline (no placement by the deadline had room); their avoided carbon is counted as planned",
                t.late_jobs, t.jobs
            ));
        }
        if t.jobs_with_outcome < t.jobs {
            notes.push(format!(
                "the avoided carbon of {} of {} scheduled jobs is as planned: no outcome (the run that carried the job out) is recorded for them yet",
                t.jobs - t.jobs_with_outcome,
                t.jobs
            ));
        }
    }
    let social = crate::social::social(ledger, period, scope, &query(period, scope))?;
    let has_data = all.runs > 0
        || !usage.is_empty()
        || !lines.is_empty()
        || social.has_data
        || avoided.is_some();
    let excluded = excluded(ledger, period, scope)?;
    if !excluded.is_empty() {
        notes.push(format!(
            "{} record(s) of this period are left out of every figure: a figure of theirs is outside its plausible bounds (see the excluded records)",
            excluded.len()
        ));
    }
    Ok(Accounts {
        period: period.clone(),
        scope: scope.label(),
        has_data,
        headline: head,
        previous,
        environmental,
        economic,
        social,
        notes,
        excluded,
    })
}

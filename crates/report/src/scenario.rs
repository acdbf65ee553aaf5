//! Scenarios: levers applied to a period's runs, usage and costs, with the result shown beside
//! the actual figures and what each lever moved. The period's runs are taken as cells (site,
//! kind, product, model, hour of start); each cell keeps its recorded IT energy and the per-kWh
//! factors its recorded figures imply (PUE, grid intensity, water, market factor, price), so
//! that with no lever the scenario equals the accounts exactly. Levers change energy or
//! factors of the cells they select; usage levers change requests, tokens and revenue.
//! Method: `docs/methods/scenarios.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use sustain_core::hardware::AcceleratorCatalog;
use sustain_core::site::SiteCatalog;
use sustain_ledger::{Business, Group, RunTotals, TotalsQuery, UsageTotal};

use crate::error::{ReportError, Result};
use crate::period::Period;
use crate::render::fig;
use crate::scope::Scope;

const J_PER_WH: f64 = 3600.0;

/// A scenario file: a name, optional default period and scope, and levers applied in order.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Default period.
    #[serde(default)]
    pub period: Option<String>,
    /// Default scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// The levers.
    #[serde(default, rename = "lever")]
    pub levers: Vec<Lever>,
}

/// One lever. Which fields apply depends on `type`; [`ScenarioFile::parse`] checks them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Lever {
    /// move-site, hardware, quantize, prune, shift-hours, pue, contractual-power, energy-price,
    /// price, volume.
    #[serde(rename = "type")]
    pub kind: String,
    /// Only runs of these kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<String>>,
    /// Only runs at this site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Only runs (and usage) of this product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Only runs of this model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// move-site: the site moved from; hardware: the accelerator replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// move-site: the site moved to; hardware: the new accelerator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Share of the selected energy affected (0..=1, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Multiplier of the selected IT energy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_factor: Option<f64>,
    /// hardware: the precision compared (fp32, tf32, bf16, fp16, fp8, int8; default bf16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// shift-hours: a carbon-intensity series (CSV `Time,Carbon Intensity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// shift-hours: how many hours a run may wait (default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_hours: Option<u32>,
    /// pue: the new PUE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pue: Option<f64>,
    /// contractual-power: the instrument's factor, g/kWh (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_per_kwh: Option<f64>,
    /// energy-price: the new price per kWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_kwh: Option<f64>,
    /// energy-price: its currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// price, volume: a relative change such as "+10%" or "-5%".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
}

/// The lever types, the fields each takes (beyond `type`), and what it does.
pub const LEVERS: &[(&str, &[&str], &str)] = &[
    (
        "move-site",
        &["to", "from", "share", "kinds", "site", "product", "model"],
        "move workloads to another site (its grid, PUE, water and price)",
    ),
    (
        "hardware",
        &[
            "from",
            "to",
            "precision",
            "energy_factor",
            "share",
            "kinds",
            "site",
            "product",
            "model",
        ],
        "change accelerators: energy scales by the ratio of energy per operation",
    ),
    (
        "quantize",
        &[
            "energy_factor",
            "share",
            "kinds",
            "site",
            "product",
            "model",
        ],
        "int8 quantization: energy scales by the measured factor",
    ),
    (
        "prune",
        &[
            "energy_factor",
            "share",
            "kinds",
            "site",
            "product",
            "model",
        ],
        "pruning: energy scales by the measured factor",
    ),
    (
        "shift-hours",
        &[
            "series",
            "window_hours",
            "share",
            "kinds",
            "site",
            "product",
            "model",
        ],
        "run in the lowest-carbon hour within a window of a time-varying intensity series",
    ),
    (
        "pue",
        &["pue", "kinds", "site", "product", "model"],
        "change the facility overhead",
    ),
    (
        "contractual-power",
        &["share", "g_per_kwh", "kinds", "site", "product", "model"],
        "buy contractual low-carbon power (market-based carbon only)",
    ),
    (
        "energy-price",
        &[
            "price_per_kwh",
            "currency",
            "kinds",
            "site",
            "product",
            "model",
        ],
        "change the electricity price",
    ),
    ("price", &["product", "change"], "change a product's price"),
    (
        "volume",
        &["product", "change", "kinds"],
        "change a product's volume: usage, revenue and its runs' energy",
    ),
];

fn bad(
    what: impl Into<String>,
    value: impl Into<String>,
    expected: impl Into<String>,
) -> ReportError {
    ReportError::Invalid {
        what: what.into(),
        value: value.into(),
        expected: expected.into(),
    }
}

/// Parses "+10%", "-5%" or "10%" into 0.10, -0.05, 0.10.
fn parse_change(what: &str, s: &str) -> Result<f64> {
    let t = s.trim();
    let v = t
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > -100.0)
        .ok_or_else(|| {
            bad(
                what,
                s,
                "a relative change above -100%, such as \"+10%\" or \"-5%\"",
            )
        })?;
    Ok(v / 100.0)
}

impl Lever {
    fn set_fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        macro_rules! has {
            ($($name:ident),*) => { $( if self.$name.is_some() { f.push(stringify!($name)); } )* };
        }
        has!(
            kinds,
            site,
            product,
            model,
            from,
            to,
            share,
            energy_factor,
            precision,
            series,
            window_hours,
            pue,
            g_per_kwh,
            price_per_kwh,
            currency,
            change
        );
        f
    }

    /// A short label: the type and its main settings.
    pub fn label(&self) -> String {
        let mut parts = vec![self.kind.clone()];
        for (k, v) in [
            ("from", &self.from),
            ("to", &self.to),
            ("product", &self.product),
            ("site", &self.site),
            ("model", &self.model),
            ("change", &self.change),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        if let Some(v) = self.energy_factor {
            parts.push(format!("energy×{v}"));
        }
        if let Some(v) = self.pue {
            parts.push(format!("pue={v}"));
        }
        if let Some(v) = self.share {
            parts.push(format!("share={v}"));
        }
        if let Some(k) = &self.kinds {
            parts.push(format!("kinds={}", k.join("+")));
        }
        parts.join(" ")
    }
}

impl ScenarioFile {
    /// Parses and checks a scenario's TOML: unknown keys, lever types and fields that do not
    /// apply to a lever are errors that name the lever and suggest the right word.
    pub fn parse(text: &str) -> Result<Self> {
        let f: ScenarioFile = toml::from_str(text).map_err(|e| {
            bad(
                format!("scenario file{}", location(text, e.span())),
                e.message().to_string(),
                "a scenario as in `sustain scenario run --help`",
            )
        })?;
        sustain_core::business::check_name("scenario name", &f.name)
            .map_err(|e| bad("scenario name", f.name.clone(), e.to_string()))?;
        if f.levers.is_empty() {
            return Err(bad(
                "scenario file",
                "no [[lever]]",
                "at least one [[lever]] table",
            ));
        }
        for (i, l) in f.levers.iter().enumerate() {
            let n = i + 1;
            let Some((_, allowed, _)) = LEVERS.iter().find(|(t, ..)| *t == l.kind) else {
                let names: Vec<&str> = LEVERS.iter().map(|l| l.0).collect();
                let hint = closest(&l.kind, &names)
                    .map(|c| format!(" (did you mean \"{c}\"?)"))
                    .unwrap_or_default();
                return Err(bad(
                    format!("type of lever {n}"),
                    l.kind.clone(),
                    format!("one of {}{hint}", names.join(", ")),
                ));
            };
            for field in l.set_fields() {
                if !allowed.contains(&field) {
                    return Err(bad(
                        format!("lever {n} ({})", l.kind),
                        format!("field {field}"),
                        format!("only {} apply to a {} lever", allowed.join(", "), l.kind),
                    ));
                }
            }
            let need = |v: bool, field: &str, what: &str| {
                if v {
                    Ok(())
                } else {
                    Err(bad(
                        format!("lever {n} ({})", l.kind),
                        format!("no {field}"),
                        what.to_string(),
                    ))
                }
            };
            if let Some(s) = l.share {
                if !(s.is_finite() && (0.0..=1.0).contains(&s)) {
                    return Err(bad(
                        format!("share of lever {n}"),
                        s.to_string(),
                        "a share from 0 to 1",
                    ));
                }
            }
            if let Some(e) = l.energy_factor {
                if !(e.is_finite() && e >= 0.0) {
                    return Err(bad(
                        format!("energy_factor of lever {n}"),
                        e.to_string(),
                        "a multiplier >= 0, such as 0.6",
                    ));
                }
            }
            match l.kind.as_str() {
                "move-site" => need(l.to.is_some(), "to", "to = \"SITE\", the site moved to")?,
                "hardware" => need(
                    l.energy_factor.is_some() || (l.from.is_some() && l.to.is_some()),
                    "from/to",
                    "from and to accelerator ids (see `sustain catalog hardware`), or energy_factor",
                )?,
                "shift-hours" => need(
                    l.series.is_some(),
                    "series",
                    "series = \"PATH.csv\", a carbon-intensity series",
                )?,
                "pue" => {
                    need(l.pue.is_some(), "pue", "pue = 1.1")?;
                    let p = l.pue.unwrap_or(1.0);
                    if !(p.is_finite() && p >= 1.0) {
                        return Err(bad(
                            format!("pue of lever {n}"),
                            p.to_string(),
                            "a PUE >= 1",
                        ));
                    }
                }
                "contractual-power" => {
                    if let Some(g) = l.g_per_kwh {
                        if !(g.is_finite() && g >= 0.0) {
                            return Err(bad(
                                format!("g_per_kwh of lever {n}"),
                                g.to_string(),
                                "a factor >= 0",
                            ));
                        }
                    }
                }
                "energy-price" => {
                    need(
                        l.price_per_kwh.is_some() && l.currency.is_some(),
                        "price_per_kwh/currency",
                        "price_per_kwh = 0.12 and currency = \"EUR\"",
                    )?;
                    let p = l.price_per_kwh.unwrap_or(0.0);
                    if !(p.is_finite() && p >= 0.0) {
                        return Err(bad(
                            format!("price_per_kwh of lever {n}"),
                            p.to_string(),
                            "a price >= 0",
                        ));
                    }
                }
                "price" | "volume" => {
                    need(l.product.is_some(), "product", "product = \"NAME\"")?;
                    need(l.change.is_some(), "change", "change = \"+10%\"")?;
                    parse_change(
                        &format!("change of lever {n}"),
                        l.change.as_deref().unwrap_or(""),
                    )?;
                }
                _ => {}
            }
            if let Some(w) = l.window_hours {
                if !(1..=24 * 14).contains(&w) {
                    return Err(bad(
                        format!("window_hours of lever {n}"),
                        w.to_string(),
                        "1 to 336 hours",
                    ));
                }
            }
        }
        Ok(f)
    }
}

fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

fn closest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (strsim::jaro_winkler(word, n), *n))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

/// A time-varying carbon-intensity series: hourly means by (month, day, hour).
#[derive(Debug, Clone)]
pub struct Series {
    /// Where it was read from.
    pub path: PathBuf,
    hourly: BTreeMap<(u32, u32, u32), f64>,
}

impl Series {
    /// Reads a CSV of `Time,Carbon Intensity` rows (`YYYY-MM-DD HH:MM:SS`, g/kWh), averaging
    /// each hour. The year is dropped: a run's hour is looked up by month, day and hour.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            bad(
                "series",
                path.display().to_string(),
                format!("a readable CSV file of Time,Carbon Intensity rows ({e})"),
            )
        })?;
        let mut sums: BTreeMap<(u32, u32, u32), (f64, u32)> = BTreeMap::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let err = || {
                bad(
                    format!("series {} line {}", path.display(), i + 1),
                    line.to_string(),
                    "YYYY-MM-DD HH:MM:SS,grams per kWh",
                )
            };
            let (t, v) = line.split_once(',').ok_or_else(err)?;
            let t =
                NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S").map_err(|_| err())?;
            let v: f64 = v.trim().parse().map_err(|_| err())?;
            if !(v.is_finite() && v >= 0.0) {
                return Err(err());
            }
            let e = sums.entry((t.month(), t.day(), t.hour())).or_default();
            e.0 += v;
            e.1 += 1;
        }
        if sums.len() < 24 {
            return Err(bad(
                "series",
                path.display().to_string(),
                "at least a day of Time,Carbon Intensity rows",
            ));
        }
        Ok(Series {
            path: path.to_path_buf(),
            hourly: sums
                .into_iter()
                .map(|(k, (s, n))| (k, s / f64::from(n)))
                .collect(),
        })
    }

    fn at(&self, t: NaiveDateTime) -> Option<f64> {
        self.hourly.get(&(t.month(), t.day(), t.hour())).copied()
    }

    /// The intensity at hour `t` and the lowest over the `window` hours from `t`.
    pub fn now_and_best(&self, t: NaiveDateTime, window: u32) -> Option<(f64, f64)> {
        let now = self.at(t)?;
        let best = (0..window)
            .filter_map(|h| self.at(t + chrono::Duration::hours(i64::from(h))))
            .fold(now, f64::min);
        Some((now, best))
    }
}

/// One cell of the period's runs with the factors its recorded figures imply.
#[derive(Debug, Clone)]
struct Cell {
    site: String,
    kind: String,
    product: String,
    model: String,
    hour: Option<NaiveDateTime>,
    runs: u64,
    /// IT energy, Wh.
    it_wh: f64,
    pue: f64,
    /// Location-based g per facility kWh.
    intensity: f64,
    /// Multiplier of `intensity` from shifting hours.
    shift: f64,
    /// Litres per facility kWh.
    water: f64,
    /// Market-based g per facility kWh, where the site has a contractual factor.
    market: Option<f64>,
    /// Energy price per facility kWh.
    price: Option<(String, f64)>,
    /// Cost that is not energy (hardware-hours), by currency.
    fixed: BTreeMap<String, f64>,
    /// Embodied carbon the runs recorded, g: it follows the cell's runs (a split, a volume
    /// change), not its energy.
    embodied_g: f64,
}

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

fn query(period: &Period, scope: &Scope) -> TotalsQuery {
    TotalsQuery {
        group: Group::Cell,
        ..crate::accounts::query(period, scope)
    }
}

fn cell(t: &RunTotals, sites: &SiteCatalog) -> Cell {
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
    }
}

impl Cell {
    fn facility_wh(&self) -> f64 {
        self.it_wh * self.pue
    }
    fn location_g(&self) -> f64 {
        self.facility_wh() / 1e3 * self.intensity * self.shift
    }
    fn market_g(&self) -> Option<f64> {
        self.market.map(|m| self.facility_wh() / 1e3 * m)
    }
    fn scaled(&self, share: f64) -> Cell {
        let mut c = self.clone();
        c.it_wh *= share;
        c.fixed.values_mut().for_each(|v| *v *= share);
        c.embodied_g *= share;
        c
    }
}

struct State {
    cells: Vec<Cell>,
    usage: Vec<UsageTotal>,
    cost_lines: BTreeMap<String, f64>,
}

impl State {
    fn figures(&self) -> Figures {
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

fn selects(l: &Lever, c: &Cell) -> bool {
    l.kinds.as_ref().is_none_or(|k| k.contains(&c.kind))
        && l.site.as_ref().is_none_or(|s| *s == c.site)
        && l.product.as_ref().is_none_or(|p| *p == c.product)
        && l.model.as_ref().is_none_or(|m| *m == c.model)
}

fn diff(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
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

/// Where to look for a relative series path: as given, then beside the scenario file.
fn resolve(path: &str, base: Option<&Path>) -> PathBuf {
    let p = PathBuf::from(path);
    if p.is_absolute() || p.exists() {
        return p;
    }
    match base.and_then(Path::parent) {
        Some(dir) => dir.join(&p),
        None => p,
    }
}

/// Looks up the measured energy factor of an optimization (`quantize`, `prune`) of a model.
type Measured<'a> = dyn Fn(&str, Option<&str>) -> Option<(f64, String)> + 'a;

/// Applies one lever; returns the cells it changed and the basis of its effect.
fn apply(
    l: &Lever,
    n: usize,
    st: &mut State,
    ctx: &Context<'_>,
    measured: &Measured<'_>,
    notes: &mut Vec<String>,
) -> Result<(u64, String)> {
    let (sites, accelerators, base) = (ctx.sites, ctx.accelerators, ctx.file);
    let share = l.share.unwrap_or(1.0);
    let mut changed = 0u64;
    let lever = |field: &str| format!("{field} of lever {n} ({})", l.kind);
    // Levers that change a share of a cell split it: the rest keeps the old factors.
    // `also` narrows the lever's own filters.
    let split = |st: &mut State, also: &dyn Fn(&Cell) -> bool, f: &dyn Fn(&mut Cell)| -> u64 {
        let mut out = Vec::with_capacity(st.cells.len());
        let mut k = 0;
        for c in st.cells.drain(..) {
            if !selects(l, &c) || !also(&c) {
                out.push(c);
                continue;
            }
            k += 1;
            if share < 1.0 {
                out.push(c.scaled(1.0 - share));
            }
            let mut moved = c.scaled(share);
            if share < 1.0 {
                moved.runs = 0; // runs are counted once, in the part that stays
            }
            f(&mut moved);
            out.push(moved);
        }
        st.cells = out;
        k
    };
    let basis = match l.kind.as_str() {
        "move-site" => {
            let to_id = l.to.as_deref().unwrap_or_default();
            let to = sites
                .get(to_id)
                .map_err(|e| bad(lever("to"), to_id, e.to_string()))?;
            if let Some(from) = &l.from {
                sites
                    .get(from)
                    .map_err(|e| bad(lever("from"), from.clone(), e.to_string()))?;
            }
            let from = l.from.clone();
            let (pue, intensity) = (to.pue.value(), to.intensity.g_per_kwh());
            let water = to.wue.l_per_kwh() / pue + to.offsite_water.map_or(0.0, |w| w.l_per_kwh());
            let market = to.market_intensity.map(|m| m.g_per_kwh());
            let price = to
                .price
                .as_ref()
                .map(|p| (p.currency().code().to_string(), p.amount_per_kwh()));
            let id = to.record.id.clone();
            let f = |c: &mut Cell| {
                c.site = id.clone();
                c.pue = pue;
                c.intensity = intensity;
                c.shift = 1.0;
                c.water = water;
                c.market = market;
                // A cost is only re-priced where both sites have a price: a run whose cost was
                // unknown stays unknown, and one moved to a site without a price keeps its old
                // price (noted below) rather than looking free.
                if c.price.is_some() && price.is_some() {
                    c.price = price.clone();
                }
            };
            // Cells already at the destination keep their recorded factors.
            changed = split(
                st,
                &|c| from.as_ref().is_none_or(|s| *s == c.site) && c.site != id,
                &f,
            );
            if price.is_none() && changed > 0 {
                notes.push(format!(
                    "lever {n} (move-site): {} has no electricity price, so the moved energy keeps its old price",
                    to.record.id
                ));
            }
            format!(
                "{}: {} g/kWh ({}), PUE {}",
                to.record.id,
                to.intensity.g_per_kwh(),
                to.record.source,
                to.pue.value()
            )
        }
        "hardware" | "quantize" | "prune" => {
            let (factor, basis) = match (l.energy_factor, l.kind.as_str()) {
                (Some(f), _) => (f, format!("energy × {f} as given in the scenario")),
                (None, "hardware") => {
                    let precision = l.precision.as_deref().unwrap_or("bf16");
                    let per_op = |id: &str, field: &str| -> Result<(f64, String)> {
                        let d = accelerators.get(id).map_err(|e| bad(lever(field), id, e.to_string()))?;
                        let w = d.typical_training_power().map(|p| p.watts()).ok_or_else(|| {
                            bad(lever(field), id, "an accelerator with a published power; give energy_factor instead")
                        })?;
                        let t = d.peak_tflops(precision).ok_or_else(|| {
                            bad(
                                lever(field),
                                id,
                                format!("an accelerator with a published {precision} peak; choose another precision or give energy_factor"),
                            )
                        })?;
                        Ok((w / t, d.name.clone()))
                    };
                    let (a, an) = per_op(l.from.as_deref().unwrap_or_default(), "from")?;
                    let (b, bn) = per_op(l.to.as_deref().unwrap_or_default(), "to")?;
                    (
                        b / a,
                        format!(
                            "energy per {precision} operation, typical power / peak throughput (modelled, data/accelerators.csv): {bn} {:.3} vs {an} {:.3} W per TFLOP/s",
                            b, a
                        ),
                    )
                }
                (None, kind) => measured(kind, l.model.as_deref()).ok_or_else(|| {
                    bad(
                        lever("energy_factor"),
                        "none",
                        format!(
                            "energy_factor = 0.6 (say), or a {kind} run recorded for {} whose outcomes carry effects.energy_factor",
                            l.model.as_deref().unwrap_or("the model")
                        ),
                    )
                })?,
            };
            changed = split(st, &|_| true, &|c: &mut Cell| c.it_wh *= factor);
            basis
        }
        "shift-hours" => {
            let path = resolve(l.series.as_deref().unwrap_or_default(), base);
            let series = Series::read(&path)?;
            let window = l.window_hours.unwrap_or(24);
            let mut missing = 0u64;
            let mut out = Vec::with_capacity(st.cells.len());
            let (mut now_sum, mut best_sum, mut e_sum) = (0.0, 0.0, 0.0);
            for c in st.cells.drain(..) {
                let found = c.hour.and_then(|h| series.now_and_best(h, window));
                match (selects(l, &c), found) {
                    (true, Some((now, best))) if now > 0.0 => {
                        changed += 1;
                        if share < 1.0 {
                            out.push(c.scaled(1.0 - share));
                        }
                        let mut moved = c.scaled(share);
                        if share < 1.0 {
                            moved.runs = 0;
                        }
                        let e = moved.facility_wh();
                        now_sum += e * now;
                        best_sum += e * best;
                        e_sum += e;
                        moved.shift *= best / now;
                        out.push(moved);
                    }
                    (true, _) => {
                        missing += 1;
                        out.push(c);
                    }
                    (false, _) => out.push(c),
                }
            }
            st.cells = out;
            if missing > 0 {
                notes.push(format!(
                    "lever {n} (shift-hours): {missing} cells have no hour in {} and are left as they are",
                    series.path.display()
                ));
            }
            let avg = |v: f64| if e_sum > 0.0 { v / e_sum } else { 0.0 };
            format!(
                "{}: energy-weighted intensity {:.1} g/kWh at the actual hours, {:.1} at the best hour within {window} h (time-varying, applied as a ratio to each cell's booked intensity)",
                series.path.display(),
                avg(now_sum),
                avg(best_sum)
            )
        }
        "pue" => {
            let p = l.pue.unwrap_or(1.0);
            changed = split(st, &|_| true, &|c: &mut Cell| {
                // Water per facility kWh: on-site water follows IT energy, so it scales by
                // old PUE / new PUE; off-site water is per facility kWh and stays.
                c.water *= c.pue / p;
                c.pue = p;
            });
            notes.push(format!(
                "lever {n} (pue): on-site and off-site water are not separated in the ledger's totals, so water per facility kWh is scaled by the PUE ratio (an upper bound on the change)"
            ));
            format!("PUE {p}")
        }
        "contractual-power" => {
            let g = l.g_per_kwh.unwrap_or(0.0);
            // The share is taken per cell, not by splitting: location-based carbon is untouched.
            let mut k = 0;
            for c in st.cells.iter_mut().filter(|c| selects(l, c)) {
                k += 1;
                let rest = c.market.unwrap_or(c.intensity * c.shift);
                c.market = Some(share * g + (1.0 - share) * rest);
            }
            changed = k;
            format!(
                "{:.0} % of the energy at {g} g/kWh (market-based only; the rest at the site's market factor or, without one, its grid intensity)",
                share * 100.0
            )
        }
        "energy-price" => {
            let p = l.price_per_kwh.unwrap_or(0.0);
            let cur = l.currency.clone().unwrap_or_default().to_ascii_uppercase();
            sustain_core::units::Currency::new(&cur)
                .map_err(|e| bad(lever("currency"), cur.clone(), e.to_string()))?;
            let (mut k, mut unknown) = (0, 0);
            for c in st.cells.iter_mut().filter(|c| selects(l, c)) {
                k += 1;
                if c.price.is_none() && c.fixed.is_empty() {
                    unknown += c.runs;
                }
                c.price = Some((cur.clone(), p));
            }
            changed = k;
            if unknown > 0 {
                notes.push(format!(
                    "lever {n} (energy-price): {unknown} runs had no cost (no price at their site); the scenario prices them, so its cost includes energy the actual cost does not"
                ));
            }
            format!("{p} {cur} per kWh")
        }
        "price" | "volume" => {
            let product = l.product.clone().unwrap_or_default();
            let x = parse_change(&lever("change"), l.change.as_deref().unwrap_or(""))?;
            if !st.usage.iter().any(|u| u.product == product) {
                notes.push(format!(
                    "lever {n} ({}): product {product} has no usage in this period, so its revenue does not change",
                    l.kind
                ));
            }
            for u in st.usage.iter_mut().filter(|u| u.product == product) {
                u.revenue *= 1.0 + x;
                if l.kind == "volume" {
                    u.requests = (u.requests as f64 * (1.0 + x)).round() as u64;
                    u.tokens = (u.tokens as f64 * (1.0 + x)).round() as u64;
                }
            }
            if l.kind == "volume" {
                changed = split(st, &|_| true, &|c: &mut Cell| {
                    c.it_wh *= 1.0 + x;
                    c.embodied_g *= 1.0 + x;
                });
                format!(
                    "{product}: usage, revenue and its runs' energy × {:.3}",
                    1.0 + x
                )
            } else {
                format!("{product}: revenue × {:.3} (volume unchanged)", 1.0 + x)
            }
        }
        other => return Err(bad("lever type", other, "a known lever")),
    };
    Ok((changed, basis))
}

/// The inputs of [`run`] besides the ledger.
pub struct Context<'a> {
    /// Sites (with the user's overrides).
    pub sites: &'a SiteCatalog,
    /// Accelerators.
    pub accelerators: &'a AcceleratorCatalog,
    /// The scenario file's path, to resolve relative series paths.
    pub file: Option<&'a Path>,
}

/// Runs `scenario` over `period` and `scope`.
pub fn run(
    ledger: &impl Business,
    scenario: &ScenarioFile,
    period: &Period,
    scope: &Scope,
    ctx: &Context<'_>,
) -> Result<ScenarioResult> {
    let totals = ledger.run_totals(&query(period, scope))?;
    let usage: Vec<UsageTotal> = ledger
        .usage_totals(period.from, period.to)?
        .into_iter()
        .filter(|u| scope.covers_product(&u.product))
        .collect();
    let mut cost_lines = BTreeMap::new();
    for c in ledger.cost_lines(period.from, period.to)? {
        if scope.covers_cost_scope(&c.scope) {
            *cost_lines.entry(c.currency.clone()).or_default() += c.amount;
        }
    }
    let mut st = State {
        cells: totals.iter().map(|t| cell(t, ctx.sites)).collect(),
        usage,
        cost_lines,
    };
    // Measured effects of optimization runs (kind `optimize`, outcomes.effects.energy_factor).
    let optimizations = ledger.run_outcomes(
        &TotalsQuery {
            from: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            to: period.end(),
            tag: None,
            site: None,
            kind: None,
            group: Group::All,
        },
        &["optimize"],
    )?;
    let measured = |kind: &str, model: Option<&str>| -> Option<(f64, String)> {
        optimizations
            .iter()
            .rev()
            .filter(|o| o.status == "succeeded")
            .filter(|o| {
                o.outcomes
                    .pointer("/effects/method")
                    .and_then(|v| v.as_str())
                    == Some(kind)
            })
            .filter(|o| model.is_none_or(|m| o.tags.get("model").map(String::as_str) == Some(m)))
            .find_map(|o| {
                let f = o.outcomes.pointer("/effects/energy_factor")?.as_f64()?;
                Some((
                    f,
                    format!("energy × {f:.3}, measured by {kind} run {}", o.run_id),
                ))
            })
    };
    let actual = st.figures();
    let mut notes = Vec::new();
    if actual.runs == 0 {
        notes.push(format!(
            "no runs in {} for {}: the levers on runs change nothing",
            period.label,
            scope.label()
        ));
    }
    let mut effects = Vec::new();
    let mut before = actual.clone();
    for (i, l) in scenario.levers.iter().enumerate() {
        let (cells, basis) = apply(l, i + 1, &mut st, ctx, &measured, &mut notes)?;
        let after = st.figures();
        effects.push(LeverEffect {
            index: i + 1,
            label: l.label(),
            cells,
            co2e_location_g: after.co2e_location_g - before.co2e_location_g,
            co2e_market_g: after.co2e_market_g.unwrap_or(0.0) - before.co2e_market_g.unwrap_or(0.0),
            facility_wh: after.facility_wh - before.facility_wh,
            water_l: after.water_l - before.water_l,
            cost: diff(&before.cost, &after.cost),
            revenue: diff(&before.revenue, &after.revenue),
            basis,
        });
        if cells == 0 && !matches!(l.kind.as_str(), "price") {
            notes.push(format!("lever {} ({}) selected no runs", i + 1, l.label()));
        }
        before = after;
    }
    Ok(ScenarioResult {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        period: period.label.clone(),
        scope: scope.label(),
        actual,
        scenario: before,
        levers: effects,
        notes,
    })
}

fn pct(a: f64, b: f64) -> String {
    if a == 0.0 {
        if b == 0.0 { "—".into() } else { "new".into() }
    } else {
        format!("{:+.1} %", 100.0 * (b - a) / a)
    }
}

/// The result as Markdown: actual and scenario side by side, then each lever's effect.
pub fn markdown(r: &ScenarioResult) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "### Scenario {}: {}, {}\n", r.name, r.period, r.scope);
    if !r.description.is_empty() {
        let _ = writeln!(o, "{}\n", r.description);
    }
    let _ = writeln!(
        o,
        "| figure | actual | scenario | change |\n| --- | ---: | ---: | ---: |"
    );
    let (a, s) = (&r.actual, &r.scenario);
    let mut row = |name: &str, x: f64, y: f64| {
        let _ = writeln!(o, "| {name} | {} | {} | {} |", fig(x), fig(y), pct(x, y));
    };
    row("IT energy (Wh)", a.it_wh, s.it_wh);
    row("facility energy (Wh)", a.facility_wh, s.facility_wh);
    row(
        "CO2e, location-based (g)",
        a.co2e_location_g,
        s.co2e_location_g,
    );
    if a.co2e_market_g.is_some() || s.co2e_market_g.is_some() {
        row(
            "CO2e, market-based (g, covered energy)",
            a.co2e_market_g.unwrap_or(0.0),
            s.co2e_market_g.unwrap_or(0.0),
        );
    }
    if a.embodied_co2e_g > 0.0 || s.embodied_co2e_g > 0.0 {
        row(
            "CO2e, embodied (g, modelled)",
            a.embodied_co2e_g,
            s.embodied_co2e_g,
        );
    }
    row("water (L)", a.water_l, s.water_l);
    for (c, v) in &a.cost {
        row(
            &format!("cost ({c})"),
            *v,
            s.cost.get(c).copied().unwrap_or(0.0),
        );
    }
    for (c, v) in s.cost.iter().filter(|(c, _)| !a.cost.contains_key(*c)) {
        row(&format!("cost ({c})"), 0.0, *v);
    }
    for (c, v) in &a.revenue {
        row(
            &format!("revenue ({c})"),
            *v,
            s.revenue.get(c).copied().unwrap_or(0.0),
        );
    }
    for (c, v) in &a.profit {
        row(
            &format!("profit ({c})"),
            *v,
            s.profit.get(c).copied().unwrap_or(0.0),
        );
    }
    if a.requests > 0.0 || s.requests > 0.0 {
        row("requests", a.requests, s.requests);
    }
    if let (Some(x), Some(y)) = (a.co2e_g_per_1k_requests, s.co2e_g_per_1k_requests) {
        row("CO2e per 1k requests (g)", x, y);
    }
    let _ = writeln!(
        o,
        "\n| # | lever | cells | Δ CO2e location (g) | Δ CO2e market (g) | Δ facility energy (Wh) | Δ cost | basis |\n| ---: | --- | ---: | ---: | ---: | ---: | --- | --- |"
    );
    for e in &r.levers {
        let cost = e
            .cost
            .iter()
            .map(|(c, v)| format!("{v:+.2} {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            e.index,
            e.label,
            e.cells,
            fig(e.co2e_location_g),
            fig(e.co2e_market_g),
            fig(e.facility_wh),
            if cost.is_empty() { "—".into() } else { cost },
            e.basis.replace('|', "/")
        );
    }
    for n in &r.notes {
        let _ = writeln!(o, "\n- {n}");
    }
    o
}

//! The business records of a ledger behind one trait: products, usage, cost lines, targets,
//! social indicators and their index weights, saved scenarios, carbon-aware schedules (plans,
//! their jobs and outcomes, and the carbon they avoided), their hash-chained audit log, and the
//! run totals that accounts are made of. Every change to a business record appends an
//! audit entry in the same transaction; [`Business::verify_audit`] recomputes the chain.
//!
//! Reads leave out what an older ledger holds outside the plausible bounds of
//! `sustain_core::bounds` (a usage row of `i64::MAX` requests, a run of 1e308 J): such a
//! record would make a period's sums overflow or turn infinite for good. They are listed by
//! [`Business::invalid_records`] instead, so accounts can name them. The SQLite
//! implementation is in `crate::sqlite`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sustain_core::business::{
    AuditEntry, CostLine, IndexWeight, Indicator, Product, SavedScenario, Target, Usage,
};
use sustain_core::schedule::{
    ScheduleJob, ScheduleMode, ScheduleOutcome, SchedulePlan, ScheduleRecord,
};

use crate::error::Result;

/// How run totals are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Group {
    /// One group: everything.
    All,
    /// By site id.
    Site,
    /// By run kind.
    Kind,
    /// By the value of a tag (runs without it: `(none)`).
    Tag(String),
    /// By calendar month of the start (`YYYY-MM`).
    Month,
    /// By calendar day of the start (`YYYY-MM-DD`).
    Day,
    /// By site, kind, product, model and hour of the start together: the key is those five
    /// joined by tabs (`(none)` for a missing product or model; the hour as `YYYY-MM-DDTHH`).
    /// The cells that scenarios transform.
    Cell,
    /// By product and kind together: the key is the two joined by a tab (`(none)` for a
    /// missing product).
    ProductKind,
}

/// Which runs to total: those that started in `[from, to)` and have ended, optionally with a
/// tag value, at a site, of a kind.
#[derive(Debug, Clone)]
pub struct TotalsQuery {
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Only runs whose tag `.0` is `.1`.
    pub tag: Option<(String, String)>,
    /// Only runs at this site.
    pub site: Option<String>,
    /// Only runs of this kind.
    pub kind: Option<String>,
    /// Grouping.
    pub group: Group,
}

/// Totals of a group of runs, from their latest ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunTotals {
    /// The group's key (`all`, a site id, a kind, a tag value, a month).
    pub group: String,
    /// Runs.
    pub runs: u64,
    /// CPU energy, joules.
    pub cpu_j: f64,
    /// GPU energy, joules.
    pub gpu_j: f64,
    /// Memory energy, joules.
    pub ram_j: f64,
    /// Of the IT energy, what hardware counters measured (the rest is modelled), joules.
    pub measured_j: f64,
    /// Facility energy (IT x PUE), joules.
    pub facility_j: f64,
    /// Location-based carbon, grams.
    pub co2e_location_g: f64,
    /// Market-based carbon of the runs whose site has a contractual factor, grams.
    pub co2e_market_g: f64,
    /// Runs with a market-based figure.
    pub market_runs: u64,
    /// Water, on-site plus off-site where known, litres.
    pub water_l: f64,
    /// Cost by currency (energy and hardware-hours).
    pub cost: BTreeMap<String, f64>,
    /// Runs without a cost (no price known for their site).
    pub runs_without_cost: u64,
    /// Wall-clock seconds.
    pub duration_s: f64,
    /// Embodied carbon of the runs whose end recorded one, grams.
    pub embodied_g: f64,
    /// Runs with an embodied figure (older runs have none: unknown, not zero).
    pub embodied_runs: u64,
}

/// Usage of one product in one currency over a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UsageTotal {
    /// Product.
    pub product: String,
    /// Currency of the revenue.
    pub currency: String,
    /// Requests.
    pub requests: u64,
    /// Tokens.
    pub tokens: u64,
    /// Revenue.
    pub revenue: f64,
    /// Usage entries summed.
    pub entries: u64,
}

/// A run's latest end with what it produced, for the social account and the model sheets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunOutcome {
    /// Run id.
    pub run_id: String,
    /// Run name (the task, for train and eval runs).
    pub name: String,
    /// Kind (`train`, `eval`, ...).
    pub kind: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// Site id.
    pub site_id: String,
    /// Status of the latest end.
    pub status: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// What the run produced (metrics, fairness, model path and hash).
    pub outcomes: serde_json::Value,
    /// IT energy, joules.
    pub it_j: f64,
    /// Of it, measured by hardware counters, joules.
    pub measured_j: f64,
    /// Facility energy, joules.
    pub facility_j: f64,
    /// Location-based carbon, grams.
    pub co2e_location_g: f64,
    /// Market-based carbon, grams, where the site has a contractual factor.
    pub co2e_market_g: Option<f64>,
    /// Water, litres.
    pub water_l: f64,
    /// Wall-clock seconds.
    pub duration_s: f64,
    /// The site's grid carbon intensity at the time, g/kWh.
    pub grid_g_per_kwh: Option<f64>,
    /// The site's name (its region) and PUE, from the run's snapshot.
    pub site_name: String,
    /// The PUE used.
    pub pue: Option<f64>,
    /// Hardware the host reported (CPU model, GPU names), for the sheets.
    pub hardware: String,
    /// Embodied carbon, grams (none when the run recorded none).
    pub embodied_g: Option<f64>,
}

/// The business records of a ledger.
pub trait Business {
    /// Adds (or supersedes) a product.
    fn add_product(&self, p: &Product, actor: &str) -> Result<()>;
    /// The current products (latest entry per name), by name.
    fn products(&self) -> Result<Vec<Product>>;
    /// Appends usage rows in one transaction; every product must exist.
    fn add_usage(&self, rows: &[Usage], actor: &str, action: &str) -> Result<()>;
    /// Usage per product and currency on days in `[from, to)`, of the rows within bounds.
    fn usage_totals(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageTotal>>;
    /// Appends a cost line.
    fn add_cost_line(&self, c: &CostLine, actor: &str) -> Result<()>;
    /// Cost lines on days in `[from, to)` within bounds, in order.
    fn cost_lines(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CostLine>>;
    /// Adds (or supersedes) a target; the caller checks its metric and scope.
    fn add_target(&self, t: &Target, actor: &str) -> Result<()>;
    /// The current targets (latest entry per name), by name.
    fn targets(&self) -> Result<Vec<Target>>;
    /// Totals of ended runs within bounds, grouped by `q.group`.
    fn run_totals(&self, q: &TotalsQuery) -> Result<Vec<RunTotals>> {
        Ok(self
            .run_totals_by(q, std::slice::from_ref(&q.group))?
            .pop()
            .unwrap_or_default())
    }
    /// Totals of ended runs, once per grouping, from one pass over the period.
    fn run_totals_by(&self, q: &TotalsQuery, groups: &[Group]) -> Result<Vec<Vec<RunTotals>>>;
    /// The audit log, in order.
    fn audit(&self) -> Result<Vec<AuditEntry>>;
    /// Recomputes the audit chain; an error names the first entry that does not match.
    fn verify_audit(&self) -> Result<u64>;
    /// Appends a social indicator.
    fn add_indicator(&self, i: &Indicator, actor: &str) -> Result<()>;
    /// Indicators on days in `[from, to)` within bounds, in order.
    fn indicators(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Indicator>>;
    /// Sets (supersedes) an indicator's weight in the social index.
    fn set_index_weight(&self, w: &IndexWeight, actor: &str) -> Result<()>;
    /// The current weights (latest per indicator, weight 0 included), by indicator; a weight
    /// outside its bounds is left out (the indicator is then unweighted).
    fn index_weights(&self) -> Result<Vec<IndexWeight>>;
    /// Saves (supersedes) a scenario under its name.
    fn save_scenario(&self, s: &SavedScenario, actor: &str) -> Result<()>;
    /// The saved scenarios (latest per name), by name.
    fn scenarios(&self) -> Result<Vec<SavedScenario>>;
    /// Ended runs of `kinds` in the period and scope of `q` (its grouping ignored), with their
    /// outcomes, by start.
    fn run_outcomes(&self, q: &TotalsQuery, kinds: &[&str]) -> Result<Vec<RunOutcome>>;
    /// The runs in the period and scope of `q` whose latest end recorded fairness
    /// (`outcomes.fairness`), by start; read through a partial index, not every evaluation.
    fn fairness_runs(&self, q: &TotalsQuery) -> Result<Vec<RunOutcome>>;
    /// The models trained in the period and scope of `q` (training runs with a `model` tag):
    /// per model, its training runs, their location-based carbon, and its latest succeeded
    /// training run with outcomes.
    fn trained_models(&self, q: &TotalsQuery) -> Result<Vec<TrainedModel>>;
    /// The records of the period of `q` that the reads above leave out because a figure is
    /// outside its plausible bounds (only an older ledger holds them: writes refuse them): the
    /// ended runs in its scope, and the usage rows, cost lines and indicators on its days. By
    /// day, then kind.
    fn invalid_records(&self, q: &TotalsQuery) -> Result<Vec<InvalidRecord>>;
    /// Records a schedule (a plan for execution or a simulation) whole, head and jobs in one
    /// transaction with its audit entry, after [`ScheduleRecord::validate`]: a bad record is
    /// refused and nothing is written. Returns its id; an id recorded already is a conflict.
    fn record_schedule(&self, s: &ScheduleRecord, actor: &str) -> Result<String>;
    /// The schedules recorded, newest first, as `f` narrows them.
    fn schedules(&self, f: &ScheduleFilter) -> Result<Vec<SchedulePlan>>;
    /// The jobs of the schedule `plan_id`, in the order recorded, as recorded.
    fn schedule_jobs(&self, plan_id: &str) -> Result<Vec<ScheduleJob>>;
    /// Appends what came of a job of a plan once it ran (after
    /// [`ScheduleOutcome::validate`]); the plan's job and the run must exist.
    fn record_schedule_outcome(&self, o: &ScheduleOutcome, actor: &str) -> Result<()>;
    /// The outcomes recorded against the schedule `plan_id`, in order.
    fn schedule_outcomes(&self, plan_id: &str) -> Result<Vec<ScheduleOutcome>>;
    /// Carbon avoided by scheduling over the period and scope of `q`, grouped by `q.group`:
    /// see [`AvoidedTotals`].
    fn avoided_carbon(&self, q: &TotalsQuery) -> Result<Vec<AvoidedTotals>> {
        Ok(self
            .avoided_carbon_by(q, std::slice::from_ref(&q.group))?
            .pop()
            .unwrap_or_default())
    }
    /// [`Business::avoided_carbon`] once per grouping, from one pass over the period.
    fn avoided_carbon_by(
        &self,
        q: &TotalsQuery,
        groups: &[Group],
    ) -> Result<Vec<Vec<AvoidedTotals>>>;
}

/// Which schedules [`Business::schedules`] lists.
#[derive(Debug, Clone, Default)]
pub struct ScheduleFilter {
    /// Only simulations, or only plans for execution.
    pub mode: Option<ScheduleMode>,
    /// Only those recorded at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// At most this many (the newest).
    pub limit: Option<usize>,
}

/// Carbon avoided by scheduling in a group of jobs, modelled against `fifo` on the true series
/// (`docs/methods/avoided-carbon.md`). Counted: the jobs of plans for execution (never
/// simulations) whose planned start falls in the period, in the scope by their site, kind and
/// tags, within their plausible bounds; a job planned again (same id and submit) counts once,
/// in its latest plan. A job with an outcome counts its latest outcome's figures (the run's
/// actual carbon and the `fifo` counterfactual) instead of the planned ones. Reported beside
/// the actual carbon of the runs, never subtracted from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AvoidedTotals {
    /// The group's key (`all`, a site, a kind, a tag value, a month), as for [`RunTotals`].
    pub group: String,
    /// Jobs counted.
    pub jobs: u64,
    /// Of them, jobs that start after their submit.
    pub shifted_jobs: u64,
    /// Of them, jobs run at a site other than their home site.
    pub moved_jobs: u64,
    /// Of them, jobs planned to finish after their deadline.
    pub late_jobs: u64,
    /// Of them, jobs whose figures come from an outcome (the run that carried them out).
    pub jobs_with_outcome: u64,
    /// Their carbon under `fifo`, g.
    pub baseline_co2e_g: f64,
    /// Their carbon as scheduled (planned, or as run where an outcome says), g.
    pub scheduled_co2e_g: f64,
    /// `baseline − scheduled`, g (negative when scheduling did worse).
    pub avoided_co2e_g: f64,
}

/// The kind of a record left out of the sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A run (its latest end).
    Run,
    /// A usage row.
    Usage,
    /// A cost line.
    CostLine,
    /// A social indicator.
    Indicator,
    /// A job of a schedule.
    ScheduleJob,
    /// An outcome of a scheduled job.
    ScheduleOutcome,
}

impl RecordKind {
    /// The stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Run => "run",
            RecordKind::Usage => "usage",
            RecordKind::CostLine => "cost_line",
            RecordKind::Indicator => "indicator",
            RecordKind::ScheduleJob => "schedule_job",
            RecordKind::ScheduleOutcome => "schedule_outcome",
        }
    }
}

/// A record left out of every sum because a figure is outside its plausible bounds.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InvalidRecord {
    /// What kind of record.
    pub kind: RecordKind,
    /// Which: a run's id, `#SEQ` of a usage row, cost line or indicator in its table, or
    /// `PLAN/JOB` of a schedule's job or outcome.
    pub id: String,
    /// Its day (a run's start day, the day a row is booked on).
    pub day: NaiveDate,
    /// What it belongs to: a usage row's product, a cost line's or indicator's scope (empty
    /// for runs, which are already in the scope asked for).
    pub subject: String,
    /// The figure at fault, its value and its bound.
    pub problem: String,
}

/// A model's training in a period: see [`Business::trained_models`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainedModel {
    /// The `model` tag.
    pub model: String,
    /// Training runs (any status).
    pub runs: u64,
    /// Their location-based carbon, g.
    pub co2e_location_g: f64,
    /// The latest succeeded one, if any.
    pub latest: Option<RunOutcome>,
}

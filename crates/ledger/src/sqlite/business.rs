//! The [`Business`] trait on the SQLite ledger: each method is implemented in the module of its
//! records (`products`, `social`, `totals`, `audit`, `plausible`).

use chrono::NaiveDate;
use sustain_core::business::{
    AuditEntry, CostLine, IndexWeight, Indicator, Product, SavedScenario, Target, Usage,
};

use sustain_core::schedule::{ScheduleJob, ScheduleOutcome, SchedulePlan, ScheduleRecord};

use super::SqliteLedger;
use crate::business::{
    AvoidedTotals, Business, Group, InvalidRecord, RunOutcome, RunTotals, ScheduleFilter,
    TotalsQuery, TrainedModel, UsageTotal,
};
use crate::error::Result;

impl Business for SqliteLedger {
    fn add_product(&self, p: &Product, actor: &str) -> Result<()> {
        self.insert_product(p, actor)
    }
    fn products(&self) -> Result<Vec<Product>> {
        self.current_products()
    }
    fn add_usage(&self, rows: &[Usage], actor: &str, action: &str) -> Result<()> {
        self.insert_usage(rows, actor, action)
    }
    fn usage_totals(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageTotal>> {
        self.usage_totals_in(from, to)
    }
    fn add_cost_line(&self, c: &CostLine, actor: &str) -> Result<()> {
        self.insert_cost_line(c, actor)
    }
    fn cost_lines(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CostLine>> {
        self.cost_lines_in(from, to)
    }
    fn add_target(&self, t: &Target, actor: &str) -> Result<()> {
        self.insert_target(t, actor)
    }
    fn targets(&self) -> Result<Vec<Target>> {
        self.current_targets()
    }
    fn run_totals_by(&self, q: &TotalsQuery, groups: &[Group]) -> Result<Vec<Vec<RunTotals>>> {
        self.run_totals_in(q, groups)
    }
    fn audit(&self) -> Result<Vec<AuditEntry>> {
        self.audit_log()
    }
    fn verify_audit(&self) -> Result<u64> {
        self.verify_audit_log()
    }
    fn add_indicator(&self, i: &Indicator, actor: &str) -> Result<()> {
        self.insert_indicator(i, actor)
    }
    fn indicators(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Indicator>> {
        self.indicators_in(from, to)
    }
    fn set_index_weight(&self, w: &IndexWeight, actor: &str) -> Result<()> {
        self.insert_index_weight(w, actor)
    }
    fn index_weights(&self) -> Result<Vec<IndexWeight>> {
        self.current_index_weights()
    }
    fn save_scenario(&self, s: &SavedScenario, actor: &str) -> Result<()> {
        self.insert_scenario(s, actor)
    }
    fn scenarios(&self) -> Result<Vec<SavedScenario>> {
        self.current_scenarios()
    }
    fn run_outcomes(&self, q: &TotalsQuery, kinds: &[&str]) -> Result<Vec<RunOutcome>> {
        self.run_outcomes_in(q, kinds)
    }
    fn fairness_runs(&self, q: &TotalsQuery) -> Result<Vec<RunOutcome>> {
        self.fairness_runs_in(q)
    }
    fn trained_models(&self, q: &TotalsQuery) -> Result<Vec<TrainedModel>> {
        self.trained_models_in(q)
    }
    fn invalid_records(&self, q: &TotalsQuery) -> Result<Vec<InvalidRecord>> {
        self.invalid_records_in(q)
    }
    fn record_schedule(&self, s: &ScheduleRecord, actor: &str) -> Result<String> {
        self.insert_schedule(s, actor)
    }
    fn schedules(&self, f: &ScheduleFilter) -> Result<Vec<SchedulePlan>> {
        self.list_schedules(f)
    }
    fn schedule_jobs(&self, plan_id: &str) -> Result<Vec<ScheduleJob>> {
        self.jobs_of_schedule(plan_id)
    }
    fn record_schedule_outcome(&self, o: &ScheduleOutcome, actor: &str) -> Result<()> {
        self.insert_schedule_outcome(o, actor)
    }
    fn schedule_outcomes(&self, plan_id: &str) -> Result<Vec<ScheduleOutcome>> {
        self.outcomes_of_schedule(plan_id)
    }
    fn avoided_carbon_by(
        &self,
        q: &TotalsQuery,
        groups: &[Group],
    ) -> Result<Vec<Vec<AvoidedTotals>>> {
        self.avoided_carbon_in(q, groups)
    }
}

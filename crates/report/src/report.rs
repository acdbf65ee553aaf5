//! A full report, assembled in one place for every face: `sustain report` and the API's
//! `/api/v1/reports` both call [`Report::build`] and [`Report::render`], so the two give the
//! same bytes for the same ledger, period and scope.

use sustain_ledger::Business;

use crate::accounts::{self, Accounts};
use crate::error::Result;
use crate::period::Period;
use crate::render::{Format, render_full};
use crate::scenario::{self, ScenarioFile, ScenarioResult};
use crate::scope::Scope;
use crate::sheets::{self, ModelSheet};
use crate::strategy;
use crate::targets::{self, Progress};

/// The sections of a full report beyond the accounts and targets.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Extras {
    /// The saved scenarios, run over the report's period and scope.
    pub scenarios: Vec<ScenarioResult>,
    /// Per-model sheets of the models trained in the period.
    pub model_sheets: Vec<ModelSheet>,
    /// The strategy map, Mermaid source (empty without targets and scenarios).
    pub strategy_map: String,
    /// Saved scenarios that could not be run over this period, and why.
    pub scenario_errors: Vec<String>,
}

/// A report of one period and scope: the accounts, the targets of the scope judged on the
/// period, and the extras (saved scenarios, model sheets, strategy map).
#[derive(Debug, Clone)]
pub struct Report {
    /// The accounts.
    pub accounts: Accounts,
    /// The targets whose scope is the report's, judged on its period.
    pub targets: Vec<Progress>,
    /// Scenarios, model sheets and the strategy map.
    pub extras: Extras,
}

impl Report {
    /// Computes the accounts of `scope` over `period` and assembles the report.
    pub fn build(
        ledger: &impl Business,
        period: &Period,
        scope: &Scope,
        ctx: &scenario::Context<'_>,
    ) -> Result<Report> {
        let a = accounts::accounts(ledger, period, scope)?;
        Report::with_accounts(ledger, a, ctx)
    }

    /// Assembles the report around accounts already computed (the server keeps them cached);
    /// the period and scope are the accounts'.
    pub fn with_accounts(
        ledger: &impl Business,
        accounts: Accounts,
        ctx: &scenario::Context<'_>,
    ) -> Result<Report> {
        let scope = Scope::parse(&accounts.scope)?;
        let targets = targets::of_scope(ledger, &scope, &accounts.period)?;
        let extras = extras(ledger, &accounts, &targets, ctx)?;
        Ok(Report {
            accounts,
            targets,
            extras,
        })
    }

    /// The report in `format`.
    pub fn render(&self, format: Format) -> String {
        render_full(&self.accounts, &self.targets, &self.extras, format)
    }
}

/// The sections of a full report beyond the accounts and `targets`: the saved scenarios run
/// over the accounts' period and scope (one that fails is listed with its reason, not fatal),
/// the sheets of the models trained in it, and the strategy map.
pub fn extras(
    ledger: &impl Business,
    accounts: &Accounts,
    targets: &[Progress],
    ctx: &scenario::Context<'_>,
) -> Result<Extras> {
    let (period, scope) = (&accounts.period, &Scope::parse(&accounts.scope)?);
    let mut x = Extras::default();
    let mut files: Vec<ScenarioFile> = Vec::new();
    for saved in ledger.scenarios()? {
        let run = ScenarioFile::parse(&saved.body)
            .and_then(|f| scenario::run(ledger, &f, period, scope, ctx).map(|r| (f, r)));
        match run {
            Ok((f, r)) => {
                files.push(f);
                x.scenarios.push(r);
            }
            Err(e) => x.scenario_errors.push(format!("{}: {e}", saved.name)),
        }
    }
    let q = accounts::query(period, scope);
    x.model_sheets = sheets::sheets(
        ledger,
        &q,
        &accounts.social.fairness,
        &accounts.environmental.by_model,
    )?;
    x.strategy_map = strategy::mermaid(targets, &files);
    Ok(x)
}

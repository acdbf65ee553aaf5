//! # sustain-report
//!
//! The accounts of a company's AI work per period and scope — environmental, economic and
//! social — computed from the ledger with SQL aggregates, and the reports that show them
//! (Markdown, JSON, CSV).

pub mod accounts;
pub mod error;
pub mod export;
pub mod period;
pub mod render;
pub mod scenario;
pub mod scope;
pub mod sheets;
pub mod social;
pub mod strategy;
pub mod targets;

pub use accounts::{Accounts, accounts};
pub use error::{ReportError, Result};
pub use period::Period;
pub use scope::Scope;

/// The sections of a full report beyond the accounts and targets: the saved scenarios run over
/// `period` and `scope`, the sheets of the models trained in it, and the strategy map.
pub fn extras(
    ledger: &impl sustain_ledger::Business,
    accounts: &Accounts,
    targets: &[targets::Progress],
    ctx: &scenario::Context<'_>,
) -> Result<render::Extras> {
    let (period, scope) = (&accounts.period, Scope::parse(&accounts.scope)?);
    let mut x = render::Extras::default();
    let mut files = Vec::new();
    for saved in ledger.scenarios()? {
        let run = scenario::ScenarioFile::parse(&saved.body)
            .and_then(|f| scenario::run(ledger, &f, period, &scope, ctx).map(|r| (f, r)));
        match run {
            Ok((f, r)) => {
                files.push(f);
                x.scenarios.push(r);
            }
            Err(e) => x.scenario_errors.push(format!("{}: {e}", saved.name)),
        }
    }
    let q = accounts::query(period, &scope);
    x.model_sheets = sheets::sheets(
        ledger,
        &q,
        &accounts.social.fairness,
        &accounts.environmental.by_model,
    )?;
    x.strategy_map = strategy::mermaid(targets, &files);
    Ok(x)
}

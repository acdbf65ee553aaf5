//! Scenarios: levers applied to a period's runs, usage and costs, with the result shown beside
//! the actual figures and what each lever moved. The period's runs are taken as cells (site,
//! kind, product, model, hour of start); each cell keeps its recorded IT energy and the per-kWh
//! factors its recorded figures imply (PUE, grid intensity, water, market factor, price), so
//! that with no lever the scenario equals the accounts exactly. Levers change energy or
//! factors of the cells they select; usage levers change requests, tokens and revenue.
//! Method: `docs/methods/scenarios.md`.
//!
//! One concept per module: the file format and its errors (`file`), the levers as a tagged
//! enum (`lever`) and their kinds (`kind`), the cells and the figures they sum to (`cells`),
//! what each lever does (`apply`), running a scenario (`run`), its result (`result`) and the
//! intensity series of `shift-hours` (`series`). Rendering a result is the report's
//! (`render::scenario_markdown`, `render::scenario_html`): this module depends on nothing that
//! renders, so `render` -> `scenario` is one-way.

mod apply;
mod cells;
mod file;
mod kind;
mod lever;
mod result;
mod run;
mod series;

pub use file::ScenarioFile;
pub use lever::{Lever, LeverKind, Selection};
pub use result::{Figures, LeverEffect, ScenarioResult};
pub use run::{Context, run};
pub use series::Series;

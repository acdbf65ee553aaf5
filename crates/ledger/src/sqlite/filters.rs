//! The SQL filters that keep every sum to the stored figures within their plausible bounds,
//! built from the constants of `sustain_core::bounds` (the same the writes check), once.

use std::sync::LazyLock;

use sustain_core::bounds::{self, Bound};

/// A stored figure and its bound.
pub(super) struct Figure {
    /// The column.
    pub column: &'static str,
    /// Its bound.
    pub bound: &'static Bound,
    /// Whether the column may be NULL (a figure that is unknown, not out of bounds).
    pub nullable: bool,
}

const fn fig(column: &'static str, bound: &'static Bound, nullable: bool) -> Figure {
    Figure {
        column,
        bound,
        nullable,
    }
}

/// The figures of a run's latest end in the rollup the accounts read (`run_facts`).
pub(super) const FACTS: &[Figure] = &[
    fig("cpu_j", &bounds::ENERGY_J, false),
    fig("gpu_j", &bounds::ENERGY_J, false),
    fig("ram_j", &bounds::ENERGY_J, false),
    fig("facility_j", &bounds::FACILITY_ENERGY_J, false),
    fig("co2e_location_g", &bounds::CO2E_G, false),
    fig("co2e_market_g", &bounds::CO2E_G, true),
    fig("water_l", &bounds::WATER_L, false),
    fig("cost_amount", &bounds::RUN_COST, true),
    fig("duration_s", &bounds::DURATION_S, false),
    fig("embodied_g", &bounds::EMBODIED_G, true),
];

/// The figures of a run end (`run_ends`), for the reads that sum ends directly.
pub(super) const ENDS: &[Figure] = &[
    fig("cpu_j", &bounds::ENERGY_J, false),
    fig("gpu_j", &bounds::ENERGY_J, false),
    fig("ram_j", &bounds::ENERGY_J, false),
    fig("facility_j", &bounds::FACILITY_ENERGY_J, false),
    fig("co2e_location_g", &bounds::CO2E_G, false),
    fig("co2e_market_g", &bounds::CO2E_G, true),
    fig("water_onsite_l", &bounds::WATER_L, false),
    fig("water_offsite_l", &bounds::WATER_L, true),
    fig("cost_amount", &bounds::RUN_COST, true),
    fig("duration_s", &bounds::DURATION_S, false),
    fig("embodied_g", &bounds::EMBODIED_G, true),
];

/// The figures of a usage row.
pub(super) const USAGE: &[Figure] = &[
    fig("requests", &bounds::REQUESTS, false),
    fig("tokens", &bounds::TOKENS, false),
    fig("revenue", &bounds::MONEY, false),
];

/// The figures of a schedule's job (`schedule_jobs`).
pub(super) const SCHEDULE_JOBS: &[Figure] = &[
    fig("shift_min", &bounds::SHIFT_MIN, false),
    fig("baseline_co2e_g", &bounds::JOB_CO2E_G, false),
    fig("planned_co2e_g", &bounds::JOB_CO2E_G, false),
    fig("avoided_co2e_g", &bounds::JOB_AVOIDED_CO2E_G, false),
];

/// The figures of a scheduled job's outcome (`schedule_outcomes`).
pub(super) const SCHEDULE_OUTCOMES: &[Figure] = &[
    fig("actual_co2e_g", &bounds::JOB_CO2E_G, false),
    fig("fifo_co2e_g", &bounds::JOB_CO2E_G, false),
    fig("avoided_co2e_g", &bounds::JOB_AVOIDED_CO2E_G, false),
];

/// An SQL number that SQLite reads back as exactly `v`.
fn sql_num(v: f64) -> String {
    format!("{v:e}")
}

/// SQL that is true when every figure of a row of `alias` is finite and within its bound
/// (SQLite stores infinities as such, and they compare above every bound; it stores NaN as
/// NULL, which a NOT NULL column cannot hold).
pub(super) fn within(alias: &str, figures: &[Figure]) -> String {
    let parts: Vec<String> = figures
        .iter()
        .map(|f| {
            let col = format!("{alias}.{}", f.column);
            let op = if f.bound.min_exclusive { ">" } else { ">=" };
            let test = format!(
                "({col} {op} {} AND {col} <= {})",
                sql_num(f.bound.min),
                sql_num(f.bound.max)
            );
            if f.nullable {
                format!("({col} IS NULL OR {test})")
            } else {
                test
            }
        })
        .collect();
    format!("({})", parts.join(" AND "))
}

/// Where each of `figures` is among `columns` (a query's selected columns): what
/// [`row_within`] checks. Every figure must be selected (a test checks the totals' query).
pub(super) fn checks<'a>(columns: &[&str], figures: &'a [Figure]) -> Vec<(usize, &'a Figure)> {
    figures
        .iter()
        .filter_map(|f| columns.iter().position(|c| *c == f.column).map(|i| (i, f)))
        .collect()
}

/// [`within`] in Rust, for a row already read: every figure at its column is finite and
/// within its bound, or NULL where it may be.
pub(super) fn row_within(row: &rusqlite::Row<'_>, checks: &[(usize, &Figure)]) -> bool {
    checks
        .iter()
        .all(|(i, f)| match row.get::<_, Option<f64>>(*i) {
            Ok(Some(v)) => f.bound.contains(v),
            Ok(None) => f.nullable,
            Err(_) => false,
        })
}

/// [`within`] for the rollup (alias `f`), the ends (alias `e`) and usage (alias `u`), built
/// once.
pub(crate) static FACTS_WITHIN: LazyLock<String> = LazyLock::new(|| within("f", FACTS));
/// See [`FACTS_WITHIN`].
pub(crate) static ENDS_WITHIN: LazyLock<String> = LazyLock::new(|| within("e", ENDS));
/// See [`FACTS_WITHIN`].
pub(super) static USAGE_WITHIN: LazyLock<String> = LazyLock::new(|| within("u", USAGE));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_is_built_from_the_core_bounds() {
        let sql = within("u", USAGE);
        assert!(
            sql.contains("u.requests >= 0e0 AND u.requests <= 1e12"),
            "{sql}"
        );
        assert!(sql.contains("u.revenue <= 1e15"), "{sql}");
        let sql = within("f", FACTS);
        assert!(
            sql.contains("(f.embodied_g IS NULL OR (f.embodied_g >= 0e0"),
            "{sql}"
        );
    }
}

//! Figures as people read them in a terminal: tables, summaries and details of runs and
//! catalogs. Each crate renders its own results the same way (the estimate crate its
//! estimates, the train crate its training results); the CLI only prints what these return.
//! Every user-supplied string shown goes through [`safe`] (`crate::terminal`).

mod business;
mod catalog;
mod run;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

pub use crate::terminal::safe;
pub use business::{
    audit_table, cost_lines_table, index_weights_table, indicators_table, products_table,
};
pub use catalog::{accelerators_table, cpus_table, sites_table};
pub use run::{run_detail, runs_table, summary};

use crate::format::sig;

/// The first 8 characters of an id.
pub fn short_id(id: &str) -> &str {
    &id[..id.len().min(8)]
}

/// Bytes in KiB, MiB or GiB.
pub fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{} GiB", sig(b / (1024.0 * 1024.0 * 1024.0)))
    } else if b >= 1024.0 * 1024.0 {
        format!("{} MiB", sig(b / (1024.0 * 1024.0)))
    } else {
        format!("{} KiB", sig(b / 1024.0))
    }
}

/// Seconds as `12.3 s`, `4m05s` or `2h07m`.
pub fn seconds(s: f64) -> String {
    if s >= 3600.0 {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    } else if s >= 60.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{} s", sig(s))
    }
}

/// A table with only a rule under the header: quiet, and easy to read in a terminal or a log.
pub fn table() -> Table {
    let mut t = Table::new();
    t.load_preset("     ─             ")
        .set_content_arrangement(ContentArrangement::Dynamic);
    if t.width().is_none() {
        // Not a terminal: wrap at a width that reads well in logs and pagers.
        t.set_width(120);
    }
    t
}

/// A table with only a rule under the header, at its natural width (no wrapping).
pub fn plain_table() -> Table {
    let mut t = Table::new();
    t.load_preset("     ─             ");
    t
}

/// A right-aligned cell.
pub fn right(s: impl ToString) -> Cell {
    Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
}

/// A cell of user-supplied text, made safe for a terminal.
pub fn user(s: &str) -> Cell {
    Cell::new(safe(s))
}

/// A large or small number in scientific notation, else with three significant figures.
pub fn sci_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e6 {
        return format!("{v:.0}");
    }
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        sig(v)
    }
}

/// `v` with three significant figures, or `-`.
pub fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), sig)
}

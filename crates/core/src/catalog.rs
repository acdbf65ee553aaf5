//! Loading reference-data tables (CSV with a header row and a source column).
//!
//! The bundled tables under `data/` are compiled into the binary with `include_str!`, so a
//! Sustain binary answers with the same reference data wherever it runs; users add or override
//! entries through their config file instead of editing these files.

use serde::de::DeserializeOwned;

use crate::error::{CoreError, Result};

/// Parses every row of a CSV table into `T`, naming the table and line on error.
pub fn parse_csv<T: DeserializeOwned>(table: &str, text: &str) -> Result<Vec<T>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut rows = Vec::new();
    for row in reader.deserialize() {
        let row: T = row.map_err(|e| CoreError::Data {
            table: table.to_string(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        rows.push(row);
    }
    Ok(rows)
}

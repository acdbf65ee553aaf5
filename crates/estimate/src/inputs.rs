//! Every input of an estimate with its value and where it came from, so that a figure can be
//! traced back to a flag, a site, a catalog entry or a documented default.

use serde::Serialize;
use serde_json::Value;

/// Where an input's value came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Given on the command line (or in a sweep).
    Flag,
    /// From a site of the catalog or config.
    Site,
    /// From the hardware catalog.
    Catalog,
    /// A documented default.
    Default,
    /// Computed from other inputs.
    Derived,
}

/// One input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    /// Name, as the flag without dashes (`power-w`, `pue`, ...).
    pub name: String,
    /// Value.
    pub value: Value,
    /// Unit, empty when dimensionless.
    pub unit: String,
    /// Where it came from.
    pub origin: Origin,
    /// The source in words (site id and citation, catalog entry, default's reference).
    pub source: String,
}

/// The inputs of one estimate, in the order they were resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Inputs(pub Vec<Input>);

impl Inputs {
    /// Records an input.
    pub fn add(
        &mut self,
        name: &str,
        value: impl Into<Value>,
        unit: &str,
        origin: Origin,
        source: impl Into<String>,
    ) {
        self.0.push(Input {
            name: name.to_string(),
            value: value.into(),
            unit: unit.to_string(),
            origin,
            source: source.into(),
        });
    }

    /// The input with this name.
    pub fn get(&self, name: &str) -> Option<&Input> {
        self.0.iter().find(|i| i.name == name)
    }
}

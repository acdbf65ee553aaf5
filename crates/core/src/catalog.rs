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

/// A closed set of names typed on a command line, with the message for an unknown one.
macro_rules! kinds {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
        pub enum $name {
            $($(#[$vmeta])* #[cfg_attr(feature = "clap", value(name = $text))] $variant,)+
        }

        impl $name {
            /// Every kind, in order.
            pub const ALL: &[$name] = &[$($name::$variant,)+];

            /// The name used in the catalog's `kind` column.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|k| k.as_str() == s)
                    .ok_or_else(|| CoreError::Input(format!(
                        "unknown kind '{s}': expected one of {}",
                        $name::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                    )))
            }
        }
    };
}

kinds! {
    /// The kinds of sites in the site catalog (its `kind` column).
    SiteKind {
        /// The world average.
        World => "world",
        /// A country.
        Country => "country",
        /// A US state.
        UsState => "us-state",
        /// A Chinese province.
        CnProvince => "cn-province",
        /// A Canadian province.
        CaProvince => "ca-province",
        /// A grid zone (Electricity Maps' zones).
        GridZone => "grid-zone",
        /// A cloud region.
        Cloud => "cloud",
        /// A site from the user's config file.
        Custom => "custom",
    }
}

kinds! {
    /// The kinds of hardware in the hardware catalogs.
    HardwareKind {
        /// GPUs.
        Gpu => "gpu",
        /// TPUs.
        Tpu => "tpu",
        /// CPUs (their TDP).
        Cpu => "cpu",
    }
}

//! The kinds of lever as a closed set: the `type` each has in a file, the fields it takes, how
//! to write a missing one, what it does, and the target metrics it moves (the strategy map).

/// The kinds of lever: what each is called in a file, its fields and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeverKind {
    /// Move workloads to another site.
    MoveSite,
    /// Change accelerators.
    Hardware,
    /// int8 quantization.
    Quantize,
    /// Pruning.
    Prune,
    /// Run where the scheduler places the runs within a window of an intensity series.
    ShiftHours,
    /// Change the facility overhead.
    Pue,
    /// Buy contractual low-carbon power.
    ContractualPower,
    /// Change the electricity price.
    EnergyPrice,
    /// Change a product's price.
    Price,
    /// Change a product's volume.
    Volume,
}

/// The fields that select the runs a lever applies to.
const SELECT: [&str; 4] = ["kinds", "site", "product", "model"];

impl LeverKind {
    /// Every kind, in the order of the documentation.
    pub const ALL: [LeverKind; 10] = [
        LeverKind::MoveSite,
        LeverKind::Hardware,
        LeverKind::Quantize,
        LeverKind::Prune,
        LeverKind::ShiftHours,
        LeverKind::Pue,
        LeverKind::ContractualPower,
        LeverKind::EnergyPrice,
        LeverKind::Price,
        LeverKind::Volume,
    ];

    /// The `type` of the lever in a file.
    pub fn name(self) -> &'static str {
        match self {
            LeverKind::MoveSite => "move-site",
            LeverKind::Hardware => "hardware",
            LeverKind::Quantize => "quantize",
            LeverKind::Prune => "prune",
            LeverKind::ShiftHours => "shift-hours",
            LeverKind::Pue => "pue",
            LeverKind::ContractualPower => "contractual-power",
            LeverKind::EnergyPrice => "energy-price",
            LeverKind::Price => "price",
            LeverKind::Volume => "volume",
        }
    }

    /// The kind called `name` in a file.
    pub fn parse(name: &str) -> Option<LeverKind> {
        LeverKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What it does.
    pub fn description(self) -> &'static str {
        match self {
            LeverKind::MoveSite => {
                "move workloads to another site (its grid, PUE, water and price)"
            }
            LeverKind::Hardware => {
                "change accelerators: energy scales by the ratio of energy per operation"
            }
            LeverKind::Quantize => "int8 quantization: energy scales by the measured factor",
            LeverKind::Prune => "pruning: energy scales by the measured factor",
            LeverKind::ShiftHours => {
                "run where the scheduler's carbon policy places the runs within a window of a time-varying intensity series"
            }
            LeverKind::Pue => "change the facility overhead",
            LeverKind::ContractualPower => {
                "buy contractual low-carbon power (market-based carbon only)"
            }
            LeverKind::EnergyPrice => "change the electricity price",
            LeverKind::Price => "change a product's price",
            LeverKind::Volume => "change a product's volume: usage, revenue and its runs' energy",
        }
    }

    /// The fields a lever of this kind takes besides `type` (the variant's fields; a test
    /// checks the two agree).
    pub fn fields(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            LeverKind::MoveSite => &["to", "from", "share"],
            LeverKind::Hardware => &["from", "to", "precision", "energy_factor", "share"],
            LeverKind::Quantize | LeverKind::Prune => &["energy_factor", "share"],
            LeverKind::ShiftHours => &["series", "window_hours", "interruptible", "share"],
            LeverKind::Pue => &["pue"],
            LeverKind::ContractualPower => &["share", "g_per_kwh"],
            LeverKind::EnergyPrice => &["price_per_kwh", "currency"],
            LeverKind::Price => return vec!["product", "change"],
            LeverKind::Volume => return vec!["product", "change", "kinds"],
        };
        own.iter().chain(SELECT.iter()).copied().collect()
    }

    /// How to give a required `field` that is missing.
    pub fn hint(self, field: &str) -> &'static str {
        match (self, field) {
            (LeverKind::MoveSite, "to") => "to = \"SITE\", the site moved to",
            (LeverKind::ShiftHours, "series") => {
                "series = \"PATH.csv\", a carbon-intensity series in a format `sustain schedule` reads"
            }
            (LeverKind::Pue, "pue") => "pue = 1.1",
            (LeverKind::EnergyPrice, _) => "price_per_kwh = 0.12 and currency = \"EUR\"",
            (_, "product") => "product = \"NAME\"",
            (_, "change") => "change = \"+10%\"",
            _ => "a value (see `sustain scenario run --help`)",
        }
    }

    /// The target metrics a lever of this kind moves (the strategy map's edges).
    pub fn moves(self) -> &'static [&'static str] {
        match self {
            LeverKind::MoveSite => &[
                "co2e_location_g",
                "co2e_market_g",
                "water_l",
                "energy_wh",
                "cost",
            ],
            LeverKind::Hardware | LeverKind::Quantize | LeverKind::Prune => {
                &["energy_wh", "co2e_location_g", "water_l", "cost"]
            }
            LeverKind::ShiftHours => &["co2e_location_g"],
            LeverKind::Pue => &["energy_wh", "co2e_location_g", "water_l", "cost"],
            LeverKind::ContractualPower => &["co2e_market_g"],
            LeverKind::EnergyPrice => &["cost"],
            LeverKind::Price => &["revenue"],
            LeverKind::Volume => &["requests", "revenue", "energy_wh", "co2e_location_g"],
        }
    }
}

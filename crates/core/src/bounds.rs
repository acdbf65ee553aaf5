//! The plausible bounds of every figure a record carries, in one place.
//!
//! The ledger is append-only: a record that gets in stays in, and one absurd figure (a usage row
//! of 18,446,744,073,709,551,615 requests, a run of 1e308 J) would poison every sum of its period
//! for good. So every entry point (the CLI, the API, imports, the ledger itself as a last line)
//! checks records against these bounds, and the read side leaves out whatever an older ledger
//! holds outside them (`sustain_ledger` builds its SQL filters from the same constants).
//!
//! The bounds hold records and what is recorded in them (sites, configured rates and host
//! figures); the unit types themselves take any finite value >= 0, so estimates (what-ifs,
//! never recorded) can explore beyond them.
//!
//! A bound is not a physical limit: it is the range outside which a figure is certainly a typo,
//! a unit mistake, a broken sensor or an attack, chosen with a wide margin over the largest
//! real value known (each constant says why). Non-finite values (NaN, ±inf) are always refused.
//! `docs/reference/bounds.md` lists every field with its unit and bounds.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use thiserror::Error;

/// A figure outside its plausible bounds, naming the field, the value and the bound.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field} = {value} is out of bounds: expected {expected} ({reason})")]
pub struct BoundsError {
    /// The field, as the caller names it (a flag such as `--requests`, a JSON path such as
    /// `end.energy.cpu.energy_j`).
    pub field: String,
    /// The value as given.
    pub value: String,
    /// What a plausible value is.
    pub expected: String,
    /// Why the bound is where it is.
    pub reason: String,
}

impl BoundsError {
    /// The same error with `prefix.` before the field name (`samples[3]` + `interval_s`).
    pub fn within(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.field = format!("{prefix}.{}", self.field);
        }
        self
    }
}

/// Result with [`BoundsError`].
pub type Result<T, E = BoundsError> = std::result::Result<T, E>;

/// The plausible range of one kind of figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// What the figure is, with its unit, as error messages say it (`a number of kgCO2e`).
    pub what: &'static str,
    /// Lowest plausible value.
    pub min: f64,
    /// Whether `min` itself is refused (an interval must be above 0).
    pub min_exclusive: bool,
    /// Highest plausible value (always included).
    pub max: f64,
    /// Why the bound is there.
    pub reason: &'static str,
}

/// A number as bounds print it: with a decimal point below a million (`1.0`, `2000.0`), in
/// exponent form above (`1e16`).
pub fn num(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        format!("{v:?}")
    }
}

impl Bound {
    /// Whether `v` is finite and within the bound.
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite()
            && if self.min_exclusive {
                v > self.min
            } else {
                v >= self.min
            }
            && v <= self.max
    }

    /// What a plausible value is, in words: `a number of J >= 0 and <= 1e16`.
    pub fn expected(&self) -> String {
        let op = if self.min_exclusive { ">" } else { ">=" };
        format!(
            "{} {op} {} and <= {}",
            self.what,
            num(self.min),
            num(self.max)
        )
    }

    fn error(&self, field: &str, value: String) -> BoundsError {
        BoundsError {
            field: field.to_string(),
            value,
            expected: self.expected(),
            reason: self.reason.to_string(),
        }
    }

    /// Checks `v`, naming `field` on error (the value written as [`num`] writes it, so that
    /// 1e308 reads as such).
    pub fn check(&self, field: &str, v: f64) -> Result<f64> {
        if self.contains(v) {
            Ok(v)
        } else if v.is_finite() {
            Err(self.error(field, num(v)))
        } else {
            Err(self.error(field, v.to_string()))
        }
    }

    /// Checks an optional `v`.
    pub fn check_opt(&self, field: &str, v: Option<f64>) -> Result<Option<f64>> {
        v.map(|v| self.check(field, v)).transpose()
    }

    /// Checks a count (compared exactly: every count bound is below 2^53, where u64 to f64 is
    /// exact).
    pub fn check_count(&self, field: &str, v: u64) -> Result<u64> {
        if self.contains(v as f64) {
            Ok(v)
        } else {
            Err(self.error(field, v.to_string()))
        }
    }
}

const fn bound(what: &'static str, min: f64, max: f64, reason: &'static str) -> Bound {
    Bound {
        what,
        min,
        min_exclusive: false,
        max,
        reason,
    }
}

const fn above(what: &'static str, min: f64, max: f64, reason: &'static str) -> Bound {
    Bound {
        what,
        min,
        min_exclusive: true,
        max,
        reason,
    }
}

const J_PER_KWH: f64 = 3.6e6;
const S_PER_HOUR: f64 = 3600.0;

// --- Energy and power -------------------------------------------------------------------------

/// Energy of one component (CPU, GPU, memory) of one run or one sample, J.
pub const ENERGY_J: Bound = bound(
    "a number of J",
    0.0,
    1e16,
    "10 PJ (2.8 TWh) is over 50 times the largest training runs reported, about 50 GWh",
);

/// IT energy of a run: its three components.
pub const IT_ENERGY_J: f64 = 3.0 * ENERGY_J.max;

/// Facility energy of a run (IT energy x PUE), J.
pub const FACILITY_ENERGY_J: Bound = bound(
    "a number of J",
    0.0,
    IT_ENERGY_J * PUE.max,
    "the IT energy bound times the highest PUE",
);

/// Power of a host's processors (a configured TDP), W.
pub const CPU_POWER_W: Bound = above(
    "a number of watts",
    0.0,
    1e5,
    "100 kW is a hundred times the most power-hungry multi-socket server",
);

/// Memory power per GiB (the memory model), W/GiB.
pub const MEMORY_POWER_W_PER_GIB: Bound = bound(
    "a number of W/GiB",
    0.0,
    100.0,
    "DRAM draws about 0.4 W per GiB; 100 W/GiB is a unit mistake",
);

// --- Site factors ---------------------------------------------------------------------------

/// Grid carbon intensity (location- or market-based), gCO2e/kWh.
pub const INTENSITY_G_PER_KWH: Bound = bound(
    "a number of gCO2e/kWh",
    0.0,
    2000.0,
    "the most carbon-intensive grids (lignite, oil) emit about 1,100 to 1,300 gCO2e/kWh",
);

/// Power usage effectiveness: facility energy over IT energy.
pub const PUE: Bound = bound(
    "a number",
    1.0,
    5.0,
    "1.0 is no overhead; the least efficient data centres surveyed stay below 3",
);

/// On-site water usage effectiveness, L per IT kWh.
pub const WUE_L_PER_KWH: Bound = bound(
    "a number of L/kWh",
    0.0,
    20.0,
    "evaporative cooling in hot climates stays below 5 L/kWh",
);

/// Water consumed to generate electricity, L per facility kWh.
pub const OFFSITE_WATER_L_PER_KWH: Bound = bound(
    "a number of L/kWh",
    0.0,
    100.0,
    "reservoir evaporation counted against hydropower reaches tens of L/kWh in the studies that count it",
);

/// Share of renewable generation of a grid.
pub const SHARE: Bound = bound("a fraction", 0.0, 1.0, "a share is between 0 and 1");

// --- Money ------------------------------------------------------------------------------------

/// Electricity price per kWh, in any currency.
pub const ENERGY_PRICE_PER_KWH: Bound = bound(
    "an amount per kWh",
    0.0,
    1e6,
    "covers the highest-denomination currencies (IDR, IRR, VND) many times over",
);

/// Price of a machine-hour, in any currency.
pub const HOURLY_RATE: Bound = bound(
    "an amount per hour",
    0.0,
    1e7,
    "ten million units an hour covers the largest accelerator nodes in any currency",
);

/// A product's price per 1,000 requests or per 1,000,000 tokens.
pub const PRICE: Bound = bound(
    "a price",
    0.0,
    1e9,
    "a billion units per thousand requests or million tokens is beyond any price list",
);

/// An amount of money entered by hand: a cost line, a day's revenue of a product.
pub const MONEY: Bound = bound(
    "an amount",
    0.0,
    1e15,
    "a quadrillion units is beyond one company's booking even in IDR or VND",
);

// --- Time -------------------------------------------------------------------------------------

/// First plausible year of a record's date or time.
pub const FIRST_YEAR: i32 = 2000;
/// Last plausible year of a record's date or time.
pub const LAST_YEAR: i32 = 2100;
const YEARS_REASON: &str =
    "Sustain records AI work: nothing it meters predates 2000, and a date after 2100 is a typo";

/// Wall-clock duration of a run, s.
pub const DURATION_S: Bound = bound(
    "a number of seconds",
    0.0,
    20.0 * 365.25 * 86400.0,
    "20 years: longer than any machine serves",
);

/// Sampling interval of a run, s.
pub const INTERVAL_S: Bound = above(
    "a number of seconds",
    0.0,
    86400.0,
    "a run is sampled at least once a day",
);

/// Length of one sample's interval, s (a suspended machine stretches one).
pub const SAMPLE_INTERVAL_S: Bound = bound(
    "a number of seconds",
    0.0,
    DURATION_S.max,
    "no longer than a run",
);

/// Logical CPUs of one host.
pub const LOGICAL_CPUS: Bound = bound(
    "a number of CPUs",
    0.0,
    65536.0,
    "Linux supports at most 8,192 CPUs per kernel",
);

/// CPU time of a run's process tree, s: its duration on every CPU of the host.
pub const CPU_S: Bound = bound(
    "a number of CPU-seconds",
    0.0,
    DURATION_S.max * LOGICAL_CPUS.max,
    "the longest run keeping the largest host's CPUs busy",
);

// --- Sizes and counts -------------------------------------------------------------------------

/// Memory sizes (a host's RAM, a process tree's resident memory), bytes.
pub const BYTES: Bound = bound(
    "a number of bytes",
    0.0,
    1_125_899_906_842_624.0,
    "1 PiB: the largest single machines hold tens of TiB",
);

/// GPUs on one host.
pub const GPUS: Bound = bound(
    "a number of GPUs",
    0.0,
    1024.0,
    "the densest nodes hold 8 to 72 accelerators",
);

/// Requests of one usage row (one product, one day).
pub const REQUESTS: Bound = bound(
    "a number of requests",
    0.0,
    1e12,
    "a trillion a day is a hundred times the busiest web search",
);

/// Tokens of one usage row (one product, one day).
pub const TOKENS: Bound = bound(
    "a number of tokens",
    0.0,
    1e15,
    "a quadrillion a day is over 50 times the largest provider's reported volume",
);

// --- Derived impacts of a run ---------------------------------------------------------------

/// Location- or market-based carbon of a run, g.
pub const CO2E_G: Bound = bound(
    "a number of gCO2e",
    0.0,
    FACILITY_ENERGY_J.max / J_PER_KWH * INTENSITY_G_PER_KWH.max,
    "the facility energy bound at the highest grid intensity",
);

/// Water of a run (on-site or off-site), L.
pub const WATER_L: Bound = bound(
    "a number of litres",
    0.0,
    IT_ENERGY_J / J_PER_KWH * WUE_L_PER_KWH.max
        + FACILITY_ENERGY_J.max / J_PER_KWH * OFFSITE_WATER_L_PER_KWH.max,
    "the energy bounds at the highest water factors",
);

/// Cost of a run (energy and machine-hours), in any currency.
pub const RUN_COST: Bound = bound(
    "an amount",
    0.0,
    FACILITY_ENERGY_J.max / J_PER_KWH * ENERGY_PRICE_PER_KWH.max
        + DURATION_S.max / S_PER_HOUR * HOURLY_RATE.max,
    "the energy and duration bounds at the highest price and rate",
);

/// Embodied emissions of a host without its accelerators, kgCO2e.
pub const HOST_EMBODIED_KG: Bound = bound(
    "a number of kgCO2e",
    0.0,
    1e5,
    "100 t is twenty times the most carbon-intensive server assessed",
);

/// Amortization lifetime of a host, years.
pub const LIFETIME_YEARS: Bound = above(
    "a number of years",
    0.0,
    50.0,
    "no server is amortized over more than a few decades",
);

/// Embodied carbon allocated to one run, g.
pub const EMBODIED_G: Bound = bound(
    "a number of gCO2e",
    0.0,
    1e12,
    "a million tonnes: more than the host and device bounds allocate to the longest run",
);

// --- Business figures -----------------------------------------------------------------------

/// A social indicator's value (hours, amounts, people).
pub const INDICATOR: Bound = bound(
    "a number",
    -1e15,
    1e15,
    "a quadrillion of anything a company reports is a typo",
);

/// Weight of an indicator in the social index.
pub const INDEX_WEIGHT: Bound = bound(
    "a finite weight",
    0.0,
    1e6,
    "weights are relative; a million times another is a typo",
);

/// The value of an indicator that scores 100 in the index.
pub const INDEX_REFERENCE: Bound = above("a finite value", 0.0, 1e15, "as an indicator's value");

/// A relative goal, as a fraction (-0.3 is 30 % less).
pub const GOAL_FRACTION: Bound =
    bound("a change", -1.0, 1000.0, "a change of -100 % to +100,000 %");

/// An absolute goal value of an account metric.
pub const GOAL_VALUE: Bound = bound(
    "a number",
    -1e18,
    1e18,
    "every account figure of a plausible ledger is below it",
);

// --- Schedules (plans and their outcomes) ----------------------------------------------------

/// Carbon of one scheduled job on the true series (under `fifo`, as planned, as run), g.
pub const JOB_CO2E_G: Bound = bound(
    "a number of gCO2e",
    0.0,
    CO2E_G.max,
    "a job is a run: the run's carbon bound",
);

/// Carbon avoided by one scheduled job against `fifo`, g: a difference of two job figures, so
/// negative when the schedule did worse than `fifo`.
pub const JOB_AVOIDED_CO2E_G: Bound = bound(
    "a number of gCO2e",
    -CO2E_G.max,
    CO2E_G.max,
    "the difference of two job carbon figures",
);

/// Carbon of a whole schedule on the true series, g.
pub const SCHEDULE_CO2E_G: Bound = bound(
    "a number of gCO2e",
    0.0,
    1e15,
    "a billion tonnes is more than the yearly emissions of all but a handful of countries",
);

/// Carbon avoided by a whole schedule against `fifo`, g.
pub const SCHEDULE_AVOIDED_CO2E_G: Bound = bound(
    "a number of gCO2e",
    -SCHEDULE_CO2E_G.max,
    SCHEDULE_CO2E_G.max,
    "the difference of two schedule carbon figures",
);

/// How long a scheduled job waits after its submit, minutes.
pub const SHIFT_MIN: Bound = bound(
    "a number of minutes",
    0.0,
    DURATION_S.max / 60.0,
    "no job waits longer than a run may last (20 years)",
);

/// Forecast error of a back-test, σ as a fraction of the series' mean.
pub const FORECAST_ERROR: Bound = bound(
    "a fraction",
    0.0,
    10.0,
    "an error of ten times the mean intensity is noise, not a forecast",
);

/// Jobs in one schedule.
pub const SCHEDULE_JOBS: Bound = bound(
    "a number of jobs",
    1.0,
    1e7,
    "ten million jobs is more than the largest clusters run in a year; a plan has at least one",
);

/// Checks that a time falls in the plausible years.
pub fn check_time(field: &str, t: &DateTime<Utc>) -> Result<()> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&t.year()) {
        Ok(())
    } else {
        Err(year_error(field, t.to_rfc3339()))
    }
}

/// Checks that a day falls in the plausible years.
pub fn check_day(field: &str, d: NaiveDate) -> Result<()> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
        Ok(())
    } else {
        Err(year_error(field, d.to_string()))
    }
}

fn year_error(field: &str, value: String) -> BoundsError {
    BoundsError {
        field: field.to_string(),
        value,
        expected: format!("a date in the years {FIRST_YEAR} to {LAST_YEAR}"),
        reason: YEARS_REASON.to_string(),
    }
}

/// Checks that `end` is not before `start`.
pub fn check_order(field: &str, start: &DateTime<Utc>, end: &DateTime<Utc>) -> Result<()> {
    if end >= start {
        Ok(())
    } else {
        Err(BoundsError {
            field: field.to_string(),
            value: end.to_rfc3339(),
            expected: format!("a time at or after the start, {}", start.to_rfc3339()),
            reason: "a run ends at or after it starts".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn non_finite_values_are_always_refused() {
        for b in [ENERGY_J, INDICATOR, GOAL_VALUE, PUE, SHARE] {
            for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                assert!(b.check("x", v).is_err(), "{v}");
            }
        }
    }

    #[test]
    fn errors_name_the_field_the_value_and_the_bound() {
        let e = ENERGY_J
            .check("end.energy.cpu.energy_j", 1e308)
            .unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("end.energy.cpu.energy_j = "), "{text}");
        assert!(
            text.contains("1e308") || text.contains("100000000"),
            "{text}"
        );
        assert!(text.contains("a number of J >= 0.0 and <= 1e16"), "{text}");
        assert_eq!(e.clone().within("x").field, "x.end.energy.cpu.energy_j");
        assert_eq!(ENERGY_J.check("e", 1e16), Ok(1e16));
        let e = LIFETIME_YEARS.check("lifetime", 0.0).unwrap_err();
        assert!(e.to_string().contains("a number of years > 0"), "{e}");
        let e = REQUESTS.check_count("--requests", u64::MAX).unwrap_err();
        assert_eq!(e.value, "18446744073709551615");
        assert!(e.to_string().contains("<= 1e12"), "{e}");
        assert_eq!(
            REQUESTS.check_count("r", 1_000_000_000_000),
            Ok(1e12 as u64)
        );
        assert!(
            MONEY
                .check("a", -0.5)
                .unwrap_err()
                .to_string()
                .contains(">= 0")
        );
    }

    #[test]
    fn derived_bounds_hold_every_valid_input() {
        // The largest valid run at the worst site still has valid impacts.
        let facility = IT_ENERGY_J * PUE.max;
        assert!(FACILITY_ENERGY_J.contains(facility));
        assert!(CO2E_G.contains(facility / 3.6e6 * INTENSITY_G_PER_KWH.max));
        assert!(RUN_COST.contains(
            facility / 3.6e6 * ENERGY_PRICE_PER_KWH.max + DURATION_S.max / 3600.0 * HOURLY_RATE.max
        ));
        assert!(RUN_COST.max.is_finite() && CPU_S.max.is_finite());
    }

    #[test]
    fn times_in_plausible_years_and_in_order() {
        let t = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap();
        assert!(check_time("t", &t(2026)).is_ok());
        let e = check_time("start.started_at", &t(9999)).unwrap_err();
        assert!(e.to_string().contains("2000 to 2100"), "{e}");
        assert!(check_time("t", &t(1970)).is_err());
        assert!(check_order("end.ended_at", &t(2026), &t(2026)).is_ok());
        let e = check_order("end.ended_at", &t(2026), &t(2025)).unwrap_err();
        assert!(e.to_string().contains("ends at or after it starts"), "{e}");
        assert!(check_day("d", NaiveDate::from_ymd_opt(2101, 1, 1).unwrap()).is_err());
    }
}

//! Physical and economic quantities as types.
//!
//! Every quantity that crosses a crate boundary is one of these types, never a bare `f64` whose
//! unit lives only in a variable name. Each type stores one canonical unit (joules, watts, grams,
//! litres) and converts in exactly one place, here. Products between quantities that have a
//! physical meaning are implemented as operators (`Power * Duration = Energy`,
//! `Energy * CarbonIntensity = CarbonMass`, ...), so a formula in the code reads like the formula
//! in its method page.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, Sub};
use std::time::Duration;

use crate::error::{CoreError, Result};

const J_PER_WH: f64 = 3_600.0;
const J_PER_KWH: f64 = 3_600_000.0;

macro_rules! scalar_quantity {
    ($(#[$doc:meta])* $name:ident, $unit:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
        pub struct $name(f64);

        impl $name {
            /// The zero quantity.
            pub const ZERO: Self = Self(0.0);
        }

        impl Add for $name {
            type Output = Self;
            fn add(self, rhs: Self) -> Self {
                Self(self.0 + rhs.0)
            }
        }

        impl AddAssign for $name {
            fn add_assign(&mut self, rhs: Self) {
                self.0 += rhs.0;
            }
        }

        impl Sub for $name {
            type Output = Self;
            fn sub(self, rhs: Self) -> Self {
                Self(self.0 - rhs.0)
            }
        }

        impl Mul<f64> for $name {
            type Output = Self;
            fn mul(self, rhs: f64) -> Self {
                Self(self.0 * rhs)
            }
        }

        impl Div<f64> for $name {
            type Output = Self;
            fn div(self, rhs: f64) -> Self {
                Self(self.0 / rhs)
            }
        }

        impl Sum for $name {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::ZERO, |a, b| a + b)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", crate::format::sig(self.0), $unit)
            }
        }
    };
}

scalar_quantity!(
    /// Energy, stored in joules.
    Energy,
    "J"
);
scalar_quantity!(
    /// Power, stored in watts.
    Power,
    "W"
);
scalar_quantity!(
    /// Mass of carbon-dioxide equivalent, stored in grams.
    CarbonMass,
    "gCO2e"
);
scalar_quantity!(
    /// Volume of water, stored in litres.
    Water,
    "L"
);

impl Energy {
    /// Energy from joules.
    pub fn from_joules(j: f64) -> Self {
        Self(j)
    }
    /// Energy from microjoules (the unit of Linux powercap counters).
    pub fn from_microjoules(uj: u64) -> Self {
        Self(uj as f64 / 1e6)
    }
    /// Energy from millijoules (the unit of NVML's energy counter).
    pub fn from_millijoules(mj: u64) -> Self {
        Self(mj as f64 / 1e3)
    }
    /// Energy from watt-hours.
    pub fn from_wh(wh: f64) -> Self {
        Self(wh * J_PER_WH)
    }
    /// Energy from kilowatt-hours.
    pub fn from_kwh(kwh: f64) -> Self {
        Self(kwh * J_PER_KWH)
    }
    /// In joules.
    pub fn joules(self) -> f64 {
        self.0
    }
    /// In watt-hours.
    pub fn wh(self) -> f64 {
        self.0 / J_PER_WH
    }
    /// In kilowatt-hours.
    pub fn kwh(self) -> f64 {
        self.0 / J_PER_KWH
    }
    /// Average power over a duration; zero for a zero duration.
    pub fn over(self, d: Duration) -> Power {
        let s = d.as_secs_f64();
        if s > 0.0 {
            Power(self.0 / s)
        } else {
            Power::ZERO
        }
    }
    /// A human-readable rendering in µWh, mWh, Wh, kWh, MWh or GWh.
    pub fn human(self) -> String {
        crate::format::si(self.wh(), "Wh")
    }
}

impl Power {
    /// Power from watts.
    pub fn from_watts(w: f64) -> Self {
        Self(w)
    }
    /// Power from milliwatts (the unit of NVML's power reading).
    pub fn from_milliwatts(mw: u32) -> Self {
        Self(f64::from(mw) / 1e3)
    }
    /// In watts.
    pub fn watts(self) -> f64 {
        self.0
    }
}

impl Mul<Duration> for Power {
    type Output = Energy;
    fn mul(self, d: Duration) -> Energy {
        Energy(self.0 * d.as_secs_f64())
    }
}

impl CarbonMass {
    /// Carbon mass from grams of CO2e.
    pub fn from_grams(g: f64) -> Self {
        Self(g)
    }
    /// Carbon mass from kilograms of CO2e.
    pub fn from_kg(kg: f64) -> Self {
        Self(kg * 1e3)
    }
    /// In grams of CO2e.
    pub fn grams(self) -> f64 {
        self.0
    }
    /// In kilograms of CO2e.
    pub fn kg(self) -> f64 {
        self.0 / 1e3
    }
    /// A human-readable rendering in µg, mg, g, kg or t of CO2e.
    pub fn human(self) -> String {
        let g = self.0;
        if g.abs() >= 1e6 {
            format!("{} tCO2e", crate::format::sig(g / 1e6))
        } else if g.abs() >= 1e3 {
            format!("{} kgCO2e", crate::format::sig(g / 1e3))
        } else {
            crate::format::si(g, "gCO2e")
        }
    }
}

impl Water {
    /// Water volume from litres.
    pub fn from_litres(l: f64) -> Self {
        Self(l)
    }
    /// In litres.
    pub fn litres(self) -> f64 {
        self.0
    }
    /// A human-readable rendering in µL, mL, L (and kL, ML for large volumes).
    pub fn human(self) -> String {
        crate::format::si(self.0, "L")
    }
}

fn finite_non_negative(what: &str, v: f64, expected: &str) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(CoreError::InvalidValue {
            what: what.to_string(),
            value: v.to_string(),
            expected: expected.to_string(),
        })
    }
}

/// Grid carbon intensity, in grams of CO2e per kilowatt-hour.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct CarbonIntensity(f64);

impl CarbonIntensity {
    /// A validated intensity: finite and not negative.
    pub fn from_g_per_kwh(v: f64) -> Result<Self> {
        finite_non_negative("carbon intensity", v, "a number of gCO2e/kWh >= 0").map(Self)
    }
    /// In gCO2e/kWh.
    pub fn g_per_kwh(self) -> f64 {
        self.0
    }
}

impl Mul<CarbonIntensity> for Energy {
    type Output = CarbonMass;
    fn mul(self, i: CarbonIntensity) -> CarbonMass {
        CarbonMass(self.kwh() * i.0)
    }
}

/// Water consumed per kilowatt-hour, in litres per kWh (WUE and offsite water factors).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct WaterIntensity(f64);

impl WaterIntensity {
    /// Zero water per kWh.
    pub const ZERO: Self = Self(0.0);
    /// A validated water intensity: finite and not negative.
    pub fn from_l_per_kwh(v: f64) -> Result<Self> {
        finite_non_negative("water intensity", v, "a number of L/kWh >= 0").map(Self)
    }
    /// In L/kWh.
    pub fn l_per_kwh(self) -> f64 {
        self.0
    }
}

impl Mul<WaterIntensity> for Energy {
    type Output = Water;
    fn mul(self, w: WaterIntensity) -> Water {
        Water(self.kwh() * w.0)
    }
}

/// Power usage effectiveness: facility energy over IT energy, at least 1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Pue(f64);

impl Pue {
    /// No facility overhead.
    pub const ONE: Self = Self(1.0);
    /// A validated PUE: finite and at least 1.
    pub fn new(v: f64) -> Result<Self> {
        if v.is_finite() && v >= 1.0 {
            Ok(Self(v))
        } else {
            Err(CoreError::InvalidValue {
                what: "PUE".into(),
                value: v.to_string(),
                expected: "a number >= 1.0 (facility energy / IT energy; 1.0 means no overhead)"
                    .into(),
            })
        }
    }
    /// The ratio.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl Mul<Pue> for Energy {
    type Output = Energy;
    fn mul(self, p: Pue) -> Energy {
        Energy(self.0 * p.0)
    }
}

/// An ISO 4217 currency code such as `USD` or `EUR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(String);

impl Currency {
    /// A validated currency code: three ASCII letters, stored upper-case.
    pub fn new(code: &str) -> Result<Self> {
        let c = code.trim();
        if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) {
            Ok(Self(c.to_ascii_uppercase()))
        } else {
            Err(CoreError::InvalidValue {
                what: "currency".into(),
                value: code.to_string(),
                expected: "a three-letter ISO 4217 code such as USD or EUR".into(),
            })
        }
    }
    /// The code.
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount of money in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Money {
    /// The amount, in units of the currency (not cents).
    pub amount: f64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Zero in the given currency.
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: 0.0,
            currency,
        }
    }

    /// Sum of two amounts; an error when the currencies differ (no silent conversion).
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(CoreError::CurrencyMismatch {
                left: self.currency.to_string(),
                right: other.currency.to_string(),
            });
        }
        Ok(Money {
            amount: self.amount + other.amount,
            currency: self.currency.clone(),
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.amount;
        if a.abs() >= 0.01 || a == 0.0 {
            write!(f, "{a:.2} {}", self.currency)
        } else {
            write!(f, "{} {}", crate::format::sig(a), self.currency)
        }
    }
}

/// A price per unit of energy, in a currency per kilowatt-hour.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyPrice {
    per_kwh: f64,
    currency: Currency,
}

impl EnergyPrice {
    /// A validated price per kWh: finite and not negative.
    pub fn per_kwh(amount: f64, currency: Currency) -> Result<Self> {
        let per_kwh = finite_non_negative(
            "electricity price",
            amount,
            "an amount per kWh >= 0, such as 0.12",
        )?;
        Ok(Self { per_kwh, currency })
    }
    /// The amount per kWh.
    pub fn amount_per_kwh(&self) -> f64 {
        self.per_kwh
    }
    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }
}

impl Mul<&EnergyPrice> for Energy {
    type Output = Money;
    fn mul(self, p: &EnergyPrice) -> Money {
        Money {
            amount: self.kwh() * p.per_kwh,
            currency: p.currency.clone(),
        }
    }
}

/// A price per hour of use of a machine or device, in a currency per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct HourlyRate {
    per_hour: f64,
    currency: Currency,
}

impl HourlyRate {
    /// A validated rate per hour: finite and not negative.
    pub fn per_hour(amount: f64, currency: Currency) -> Result<Self> {
        let per_hour = finite_non_negative(
            "hourly rate",
            amount,
            "an amount per hour >= 0, such as 2.5",
        )?;
        Ok(Self { per_hour, currency })
    }
    /// The amount per hour.
    pub fn amount_per_hour(&self) -> f64 {
        self.per_hour
    }
    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }
}

impl Mul<Duration> for &HourlyRate {
    type Output = Money;
    fn mul(self, d: Duration) -> Money {
        Money {
            amount: self.per_hour * d.as_secs_f64() / 3600.0,
            currency: self.currency.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_conversions_round_trip() {
        let e = Energy::from_kwh(1.0);
        assert_eq!(e.joules(), 3_600_000.0);
        assert_eq!(e.wh(), 1000.0);
        assert_eq!(Energy::from_wh(2.5).joules(), 9000.0);
        assert_eq!(Energy::from_microjoules(2_000_000).joules(), 2.0);
        assert_eq!(Energy::from_millijoules(1500).joules(), 1.5);
    }

    #[test]
    fn power_times_duration_is_energy() {
        let e = Power::from_watts(100.0) * Duration::from_secs(36);
        assert!((e.wh() - 1.0).abs() < 1e-12);
        assert!((e.over(Duration::from_secs(36)).watts() - 100.0).abs() < 1e-12);
        assert_eq!(e.over(Duration::ZERO), Power::ZERO);
        assert_eq!(Power::from_milliwatts(250_000).watts(), 250.0);
    }

    #[test]
    fn carbon_water_and_cost_from_energy() {
        let e = Energy::from_kwh(2.0);
        let c = e * CarbonIntensity::from_g_per_kwh(400.0).unwrap();
        assert_eq!(c.grams(), 800.0);
        assert_eq!(c.kg(), 0.8);
        let w = e * WaterIntensity::from_l_per_kwh(1.8).unwrap();
        assert!((w.litres() - 3.6).abs() < 1e-12);
        let usd = Currency::new("usd").unwrap();
        let m = e * &EnergyPrice::per_kwh(0.1, usd.clone()).unwrap();
        assert!((m.amount - 0.2).abs() < 1e-12);
        assert_eq!(m.currency.code(), "USD");
        let facility = e * Pue::new(1.5).unwrap();
        assert_eq!(facility.kwh(), 3.0);
        let r = &HourlyRate::per_hour(3.0, usd).unwrap() * Duration::from_secs(1800);
        assert!((r.amount - 1.5).abs() < 1e-12);
    }

    #[test]
    fn invalid_values_are_rejected_with_the_expected_form() {
        let err = Pue::new(0.9).unwrap_err().to_string();
        assert!(err.contains(">= 1.0"), "{err}");
        assert!(CarbonIntensity::from_g_per_kwh(-1.0).is_err());
        assert!(CarbonIntensity::from_g_per_kwh(f64::NAN).is_err());
        assert!(WaterIntensity::from_l_per_kwh(f64::INFINITY).is_err());
        assert!(Currency::new("EURO").is_err());
        assert!(Currency::new("E1R").is_err());
    }

    #[test]
    fn money_refuses_to_add_different_currencies() {
        let a = Money::zero(Currency::new("USD").unwrap());
        let b = Money::zero(Currency::new("EUR").unwrap());
        assert!(a.checked_add(&b).is_err());
        let c = Money {
            amount: 1.25,
            currency: Currency::new("USD").unwrap(),
        };
        assert_eq!(a.checked_add(&c).unwrap().amount, 1.25);
    }

    #[test]
    fn human_renderings_pick_sensible_units() {
        assert_eq!(Energy::from_wh(1500.0).human(), "1.50 kWh");
        assert_eq!(Energy::from_wh(0.0123).human(), "12.3 mWh");
        assert_eq!(Energy::from_wh(0.0000123).human(), "12.3 µWh");
        assert_eq!(Energy::ZERO.human(), "0 Wh");
        assert_eq!(CarbonMass::from_grams(2500.0).human(), "2.50 kgCO2e");
        assert_eq!(CarbonMass::from_grams(0.5).human(), "500 mgCO2e");
        assert_eq!(CarbonMass::from_grams(3e7).human(), "30.0 tCO2e");
        assert_eq!(Water::from_litres(0.25).human(), "250 mL");
    }
}

//! Software Carbon Intensity (ISO/IEC 21031:2024, Green Software Foundation):
//! `SCI = (E × I + M) per R`.

use sustain_core::units::{CarbonIntensity, CarbonMass, Energy};

use crate::error::{Result, invalid};

/// The parts of an SCI score.
#[derive(Debug, Clone, PartialEq)]
pub struct Sci {
    /// Operational emissions `E × I`.
    pub operational: CarbonMass,
    /// Embodied emissions `M` allocated to the software.
    pub embodied: CarbonMass,
    /// Number of functional units `R`.
    pub units: f64,
    /// The functional unit's name (request, 1k tokens, training run, ...).
    pub per: String,
    /// `(E × I + M) / R`.
    pub score: CarbonMass,
}

/// Computes SCI from energy `e` (kWh consumed by the software, including data-centre overhead
/// when known), location-based intensity `i`, embodied emissions `m` and `r` functional units.
pub fn sci(e: Energy, i: CarbonIntensity, m: CarbonMass, r: f64, per: &str) -> Result<Sci> {
    if !(r.is_finite() && r > 0.0) {
        return Err(invalid(
            "number of functional units",
            r,
            "a finite number > 0 (the R of SCI: requests, thousands of tokens, runs)",
        ));
    }
    if !(m.grams().is_finite() && m.grams() >= 0.0) {
        return Err(invalid(
            "embodied emissions",
            m.grams(),
            "a finite number of grams >= 0",
        ));
    }
    if per.trim().is_empty() {
        return Err(invalid(
            "functional unit",
            "''",
            "a name such as request, 1k-tokens or training-run",
        ));
    }
    let operational = e * i;
    Ok(Sci {
        operational,
        embodied: m,
        units: r,
        per: per.to_string(),
        score: (operational + m) / r,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sci_is_e_times_i_plus_m_per_r() {
        let s = sci(
            Energy::from_kwh(2.0),
            CarbonIntensity::from_g_per_kwh(300.0).unwrap(),
            CarbonMass::from_grams(100.0),
            1000.0,
            "request",
        )
        .unwrap();
        assert_eq!(s.operational.grams(), 600.0);
        assert!((s.score.grams() - 0.7).abs() < 1e-12);
        assert!(
            sci(
                Energy::ZERO,
                CarbonIntensity::from_g_per_kwh(1.0).unwrap(),
                CarbonMass::ZERO,
                0.0,
                "x"
            )
            .is_err()
        );
        assert!(
            sci(
                Energy::ZERO,
                CarbonIntensity::from_g_per_kwh(1.0).unwrap(),
                CarbonMass::ZERO,
                f64::NAN,
                "x"
            )
            .is_err()
        );
    }
}

//! Software Carbon Intensity (ISO/IEC 21031:2024, Green Software Foundation):
//! `SCI = (E × I + M) per R`.

use sustain_core::format::sig;
use sustain_core::run::RunView;
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

/// An SCI score with the intensity it used, where that came from, and notes (how M was
/// chosen): what `sustain estimate sci` and `sustain runs sci` print.
#[derive(Debug, Clone, PartialEq)]
pub struct SciReport {
    /// The score and its parts.
    pub sci: Sci,
    /// The intensity `I`.
    pub intensity: CarbonIntensity,
    /// Where `I` comes from.
    pub source: String,
    /// How figures were chosen.
    pub notes: Vec<String>,
}

impl SciReport {
    /// The JSON printed by `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "sci_g_per_unit": self.sci.score.grams(),
            "per": self.sci.per,
            "units": self.sci.units,
            "operational_g": self.sci.operational.grams(),
            "embodied_g": self.sci.embodied.grams(),
            "intensity_g_per_kwh": self.intensity.g_per_kwh(),
            "intensity_source": self.source,
            "notes": self.notes,
        })
    }

    /// The score and its formula, for people (`source` and notes are user text, escaped).
    pub fn text(&self) -> String {
        let s = &self.sci;
        let safe = sustain_core::text::safe;
        let mut text = format!(
            "SCI = {} per {}\n  = (E x I {} + M {}) / R {}\n  I = {} gCO2e/kWh ({})\n",
            s.score.human(),
            safe(&s.per),
            s.operational.human(),
            s.embodied.human(),
            sig(s.units),
            sig(self.intensity.g_per_kwh()),
            safe(&self.source),
        );
        for n in &self.notes {
            text.push_str(&format!("  note: {}\n", safe(n)));
        }
        text
    }
}

/// The SCI of a recorded run: E its facility energy, I its site snapshot's location-based
/// intensity, M `given` (grams), else the embodied carbon the run recorded, else 0 (said so),
/// per `units` of `per`. A run still running has no energy yet: an error.
pub fn for_run(
    view: &RunView,
    given: Option<CarbonMass>,
    units: f64,
    per: &str,
) -> Result<SciReport> {
    let end = view.end.as_ref().ok_or_else(|| {
        invalid(
            "run",
            &view.start.id,
            "a run that has ended: SCI needs its energy; try again when it has ended",
        )
    })?;
    let intensity = CarbonIntensity::from_g_per_kwh(view.start.site.intensity_g_per_kwh)
        .map_err(|e| invalid("site intensity", e, "a recorded intensity"))?;
    let (embodied, note) = match (given, &end.embodied) {
        (Some(m), _) => (m, "M given by --embodied-g".to_string()),
        (None, Some(m)) => (
            m.co2e,
            format!("M is the run's recorded embodied carbon (modelled): {}", m.method),
        ),
        (None, None) => (
            CarbonMass::ZERO,
            "the run recorded no embodied carbon and none was given (M = 0): SCI counts operational emissions only; pass --embodied-g".to_string(),
        ),
    };
    let sci = sci(end.impacts.facility_energy, intensity, embodied, units, per)?;
    let source = format!(
        "site {} of run {}: {}",
        view.start.site.id,
        &view.start.id[..8.min(view.start.id.len())],
        view.start.site.source
    );
    Ok(SciReport {
        sci,
        intensity,
        source,
        notes: vec![note],
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

//! From IT energy to impacts: facility energy, carbon (location- and market-based), water and
//! cost. The formulas are those of `docs/methods/impacts.md`; this module is their only
//! implementation.

use std::time::Duration;

use crate::error::Result;
use crate::site::Site;
use crate::units::{CarbonMass, Energy, HourlyRate, Money, Water};

/// The impacts of some IT energy at a site.
#[derive(Debug, Clone, PartialEq)]
pub struct Impacts {
    /// IT energy (the sum of the components).
    pub it_energy: Energy,
    /// Facility energy: IT energy x PUE.
    pub facility_energy: Energy,
    /// Location-based carbon: facility energy x grid intensity.
    pub co2e_location: CarbonMass,
    /// Market-based carbon: facility energy x contractual factor, when the site has one.
    pub co2e_market: Option<CarbonMass>,
    /// On-site water: IT energy x WUE.
    pub water_onsite: Water,
    /// Water consumed generating the electricity: facility energy x offsite factor, when known.
    pub water_offsite: Option<Water>,
    /// Energy cost plus hardware-hour cost; `None` when neither a price nor a rate is known.
    pub cost: Option<Money>,
}

impl Impacts {
    /// On-site plus offsite water.
    pub fn water_total(&self) -> Water {
        self.water_onsite + self.water_offsite.unwrap_or(Water::ZERO)
    }

    /// Computes the impacts of `it_energy` used over `duration` at `site`, with an optional
    /// hardware-hour rate. Errors only when price and rate are in different currencies.
    pub fn compute(
        it_energy: Energy,
        duration: Duration,
        site: &Site,
        rate: Option<&HourlyRate>,
    ) -> Result<Self> {
        Self::at_site(it_energy, site).with_hourly_rate(rate, duration)
    }

    /// The impacts of `it_energy` at `site`, with the energy cost only. Cannot fail.
    pub fn at_site(it_energy: Energy, site: &Site) -> Self {
        let facility = it_energy * site.pue;
        Self {
            it_energy,
            facility_energy: facility,
            co2e_location: facility * site.intensity,
            co2e_market: site.market_intensity.map(|m| facility * m),
            water_onsite: it_energy * site.wue,
            water_offsite: site.offsite_water.map(|w| facility * w),
            cost: site.price.as_ref().map(|p| facility * p),
        }
    }

    /// The impacts of a run: its IT energy at `site`, plus the hardware-hour cost of `duration`
    /// at `rate`. A rate in another currency than the site's price is left out, with a note
    /// saying so, rather than failing the run's record.
    pub fn for_run(
        it_energy: Energy,
        duration: Duration,
        site: &Site,
        rate: Option<&HourlyRate>,
        notes: &mut Vec<String>,
    ) -> Self {
        let base = Self::at_site(it_energy, site);
        match base.clone().with_hourly_rate(rate, duration) {
            Ok(i) => i,
            Err(e) => {
                notes.push(format!("hardware-hour cost not added: {e}"));
                base
            }
        }
    }

    /// Adds the hardware-hour cost of `duration` at `rate` (nothing when `rate` is `None`).
    /// Errors when the rate's currency differs from the energy cost's.
    pub fn with_hourly_rate(
        mut self,
        rate: Option<&HourlyRate>,
        duration: Duration,
    ) -> Result<Self> {
        if let Some(r) = rate {
            let hardware = r * duration;
            self.cost = Some(match self.cost {
                Some(energy_cost) => energy_cost.checked_add(&hardware)?,
                None => hardware,
            });
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::{SiteCatalog, SiteOverride};
    use crate::units::Currency;

    fn site(o: SiteOverride) -> Site {
        let mut cat = SiteCatalog::bundled().unwrap();
        let id = o.id.clone();
        cat.apply(&o).unwrap();
        cat.get(&id).unwrap().clone()
    }

    #[test]
    fn formulas_match_the_method_page() {
        let s = site(SiteOverride {
            id: "t".into(),
            intensity_g_per_kwh: Some(400.0),
            market_g_per_kwh: Some(50.0),
            pue: Some(1.5),
            wue_l_per_kwh: Some(1.8),
            offsite_water_l_per_kwh: Some(3.0),
            price_per_kwh: Some(0.2),
            currency: Some("USD".into()),
            ..Default::default()
        });
        let rate = HourlyRate::per_hour(2.0, Currency::new("USD").unwrap()).unwrap();
        let i = Impacts::compute(
            Energy::from_kwh(2.0),
            Duration::from_secs(3600),
            &s,
            Some(&rate),
        )
        .unwrap();
        assert_eq!(i.facility_energy.kwh(), 3.0);
        assert!((i.co2e_location.grams() - 1200.0).abs() < 1e-9);
        assert!((i.co2e_market.unwrap().grams() - 150.0).abs() < 1e-9);
        assert!((i.water_onsite.litres() - 3.6).abs() < 1e-9);
        assert!((i.water_offsite.unwrap().litres() - 9.0).abs() < 1e-9);
        assert!((i.water_total().litres() - 12.6).abs() < 1e-9);
        let cost = i.cost.unwrap();
        assert!((cost.amount - (0.6 + 2.0)).abs() < 1e-9);
    }

    #[test]
    fn unknowns_stay_unknown_not_zero() {
        let s = site(SiteOverride {
            id: "bare".into(),
            intensity_g_per_kwh: Some(100.0),
            ..Default::default()
        });
        let i = Impacts::compute(Energy::from_kwh(1.0), Duration::from_secs(1), &s, None).unwrap();
        assert!(i.co2e_market.is_none());
        assert!(i.water_offsite.is_none());
        assert!(i.cost.is_none());
        assert_eq!(i.co2e_location.grams(), 100.0);
    }

    #[test]
    fn mismatched_currencies_are_an_error() {
        let s = site(SiteOverride {
            id: "eu".into(),
            intensity_g_per_kwh: Some(100.0),
            price_per_kwh: Some(0.2),
            currency: Some("EUR".into()),
            ..Default::default()
        });
        let rate = HourlyRate::per_hour(2.0, Currency::new("USD").unwrap()).unwrap();
        let err = Impacts::compute(
            Energy::from_kwh(1.0),
            Duration::from_secs(1),
            &s,
            Some(&rate),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("EUR") && err.contains("USD"), "{err}");
    }

    #[test]
    fn impacts_scale_linearly_in_energy() {
        let s = site(SiteOverride {
            id: "lin".into(),
            intensity_g_per_kwh: Some(321.0),
            pue: Some(1.3),
            ..Default::default()
        });
        let a = Impacts::compute(Energy::from_kwh(1.0), Duration::ZERO, &s, None).unwrap();
        let b = Impacts::compute(Energy::from_kwh(3.0), Duration::ZERO, &s, None).unwrap();
        assert!((b.co2e_location.grams() - 3.0 * a.co2e_location.grams()).abs() < 1e-9);
    }
}

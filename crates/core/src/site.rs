//! Sites: places that draw power, with the factors that turn energy into impacts.
//!
//! A site is either a grid region from the bundled catalog (a country, a US state, a Chinese or
//! Canadian province, a grid zone, a cloud region) or a place the user defines in the config
//! file, typically a data centre on top of a grid region (`base = "FR"`, `pue = 1.4`). Every
//! factor carries the source it came from, so a figure computed with it can be traced.

use serde::{Deserialize, Serialize};

use crate::catalog::parse_csv;
use crate::error::{CoreError, Result};
use crate::suggest::close_matches;
use crate::units::{CarbonIntensity, Currency, EnergyPrice, Pue, WaterIntensity};

/// The bundled site table (see `data/SOURCES.md`).
pub const BUNDLED_SITES_CSV: &str = include_str!("../../../data/sites.csv");

/// The id of the site used when none is configured: the world-average grid.
pub const DEFAULT_SITE_ID: &str = "WORLD";

/// One site as stored in data files, config files, the ledger and JSON output: flat, with the
/// unit in each numeric field's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SiteRecord {
    /// Unique id, such as `FR`, `US-CA`, `gcp:europe-west1`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// world, country, us-state, cn-province, ca-province, grid-zone, cloud, or custom.
    pub kind: String,
    /// ISO 3166-1 alpha-2 code of the country, when known.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub country_iso2: Option<String>,
    /// Cloud provider for cloud regions.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub provider: Option<String>,
    /// Location-based grid intensity, gCO2e/kWh.
    pub intensity_g_per_kwh: f64,
    /// Year of the intensity figure.
    #[serde(default)]
    pub year: Option<i32>,
    /// Source of the intensity figure.
    pub source: String,
    /// Share of renewable generation, 0..1, when known.
    #[serde(default)]
    pub renewable_share: Option<f64>,
    /// Power usage effectiveness.
    pub pue: f64,
    /// Source of the PUE.
    #[serde(default)]
    pub pue_source: String,
    /// On-site water usage effectiveness, L per IT kWh.
    pub wue_l_per_kwh: f64,
    /// Source of the WUE.
    #[serde(default)]
    pub wue_source: String,
    /// Water consumed to generate the electricity, L per facility kWh, when known.
    #[serde(default)]
    pub offsite_water_l_per_kwh: Option<f64>,
    /// Source of the offsite water factor.
    #[serde(default)]
    pub offsite_water_source: String,
    /// Electricity price per kWh, when known.
    #[serde(default)]
    pub price_per_kwh: Option<f64>,
    /// Currency of the price.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub currency: Option<String>,
    /// Source of the price.
    #[serde(default)]
    pub price_source: String,
    /// Market-based (contractual) emission factor, gCO2e/kWh, when the site has one.
    #[serde(default)]
    pub market_g_per_kwh: Option<f64>,
    /// Source of the market-based factor (a PPA, a green tariff, a residual mix).
    #[serde(default)]
    pub market_source: String,
}

fn empty_as_none<'de, D>(d: D) -> std::result::Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v: Option<String> = Option::deserialize(d)?;
    Ok(v.filter(|s| !s.trim().is_empty()))
}

/// A validated site with typed factors.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// The record it was built from (kept for output and for the ledger's snapshot).
    pub record: SiteRecord,
    /// Location-based grid intensity.
    pub intensity: CarbonIntensity,
    /// Market-based factor, when the site has a contractual instrument.
    pub market_intensity: Option<CarbonIntensity>,
    /// Facility overhead.
    pub pue: Pue,
    /// On-site water per IT kWh.
    pub wue: WaterIntensity,
    /// Water per kWh of generated electricity, when known.
    pub offsite_water: Option<WaterIntensity>,
    /// Electricity price, when known.
    pub price: Option<EnergyPrice>,
}

impl Site {
    /// Validates a record into a site; errors name the site and the field.
    pub fn from_record(record: SiteRecord) -> Result<Self> {
        let ctx = |e: CoreError| match e {
            CoreError::InvalidValue {
                what,
                value,
                expected,
            } => CoreError::InvalidValue {
                what: format!("{what} of site '{}'", record.id),
                value,
                expected,
            },
            CoreError::OutOfBounds(b) => CoreError::OutOfBounds(crate::bounds::BoundsError {
                field: format!("{} of site '{}'", b.field, record.id),
                ..b
            }),
            other => other,
        };
        if record.id.trim().is_empty() {
            return Err(CoreError::InvalidValue {
                what: "site id".into(),
                value: String::new(),
                expected: "a non-empty id such as 'my-dc'".into(),
            });
        }
        // A site is recorded in every run's start: its factors are held to their plausible
        // bounds here (the unit types alone take any finite value >= 0, as estimates may).
        let bounded = |what: &str, v: f64, b: &crate::bounds::Bound| -> Result<f64> {
            b.check(what, v).map_err(|e| ctx(e.into()))
        };
        bounded(
            "carbon intensity",
            record.intensity_g_per_kwh,
            &crate::bounds::INTENSITY_G_PER_KWH,
        )?;
        if let Some(m) = record.market_g_per_kwh {
            bounded(
                "market-based intensity",
                m,
                &crate::bounds::INTENSITY_G_PER_KWH,
            )?;
        }
        bounded("PUE", record.pue, &crate::bounds::PUE)?;
        if let Some(w) = record.offsite_water_l_per_kwh {
            bounded("offsite water", w, &crate::bounds::OFFSITE_WATER_L_PER_KWH)?;
        }
        if let Some(p) = record.price_per_kwh {
            bounded("electricity price", p, &crate::bounds::ENERGY_PRICE_PER_KWH)?;
        }
        let intensity = CarbonIntensity::from_g_per_kwh(record.intensity_g_per_kwh).map_err(ctx)?;
        let market_intensity = record
            .market_g_per_kwh
            .map(CarbonIntensity::from_g_per_kwh)
            .transpose()
            .map_err(ctx)?;
        let pue = Pue::new(record.pue).map_err(ctx)?;
        let wue = crate::bounds::WUE_L_PER_KWH
            .check("WUE", record.wue_l_per_kwh)
            .map_err(|e| ctx(e.into()))
            .and_then(|v| WaterIntensity::from_l_per_kwh(v).map_err(ctx))?;
        let offsite_water = record
            .offsite_water_l_per_kwh
            .map(WaterIntensity::from_l_per_kwh)
            .transpose()
            .map_err(ctx)?;
        let price = match (record.price_per_kwh, &record.currency) {
            (Some(p), Some(c)) => Some(EnergyPrice::per_kwh(p, Currency::new(c)?).map_err(ctx)?),
            (Some(_), None) => {
                return Err(CoreError::InvalidValue {
                    what: format!("currency of site '{}'", record.id),
                    value: "(missing)".into(),
                    expected: "a currency code such as USD next to price_per_kwh".into(),
                });
            }
            (None, _) => None,
        };
        if let Some(r) = record.renewable_share
            && !crate::bounds::SHARE.contains(r)
        {
            return Err(ctx(CoreError::InvalidValue {
                what: "renewable_share".into(),
                value: r.to_string(),
                expected: "a fraction between 0 and 1".into(),
            }));
        }
        if let Some(y) = record.year
            && !(1900..=crate::bounds::LAST_YEAR).contains(&y)
        {
            return Err(ctx(CoreError::InvalidValue {
                what: "year".into(),
                value: y.to_string(),
                expected: format!(
                    "the year of the intensity figure, 1900 to {}",
                    crate::bounds::LAST_YEAR
                ),
            }));
        }
        Ok(Self {
            record,
            intensity,
            market_intensity,
            pue,
            wue,
            offsite_water,
            price,
        })
    }

    /// The site's id.
    pub fn id(&self) -> &str {
        &self.record.id
    }
}

/// A user's addition to or override of the catalog, as written in the config file.
///
/// With an `id` that the catalog has, the given fields replace the catalog's. With a new `id`,
/// `base` names a catalog site whose factors are copied first (a data centre in a grid region);
/// without `base`, `intensity_g_per_kwh` is required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteOverride {
    /// The id to add or override.
    pub id: String,
    /// A catalog site to start from, for a new id.
    pub base: Option<String>,
    /// Human name.
    pub name: Option<String>,
    /// Location-based grid intensity, gCO2e/kWh.
    pub intensity_g_per_kwh: Option<f64>,
    /// Source of that intensity.
    pub source: Option<String>,
    /// Market-based factor, gCO2e/kWh.
    pub market_g_per_kwh: Option<f64>,
    /// Source of the market-based factor.
    pub market_source: Option<String>,
    /// Renewable share 0..1.
    pub renewable_share: Option<f64>,
    /// PUE.
    pub pue: Option<f64>,
    /// On-site WUE, L/kWh.
    pub wue_l_per_kwh: Option<f64>,
    /// Offsite water, L/kWh.
    pub offsite_water_l_per_kwh: Option<f64>,
    /// Electricity price per kWh.
    pub price_per_kwh: Option<f64>,
    /// Currency of the price.
    pub currency: Option<String>,
}

/// All known sites, bundled and configured.
#[derive(Debug, Clone)]
pub struct SiteCatalog {
    sites: Vec<Site>,
}

impl SiteCatalog {
    /// The bundled catalog.
    pub fn bundled() -> Result<Self> {
        Self::from_csv("data/sites.csv", BUNDLED_SITES_CSV)
    }

    /// A catalog from CSV text in the bundled format.
    pub fn from_csv(table: &str, text: &str) -> Result<Self> {
        let records: Vec<SiteRecord> = parse_csv(table, text)?;
        let sites = records
            .into_iter()
            .map(Site::from_record)
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { sites })
    }

    /// Every site, in catalog order.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.sites
            .iter()
            .position(|s| s.record.id.eq_ignore_ascii_case(id))
    }

    /// The site with this id (case-insensitive), or an error naming close matches.
    pub fn get(&self, id: &str) -> Result<&Site> {
        match self.position(id) {
            Some(i) => Ok(&self.sites[i]),
            None => Err(CoreError::UnknownSite {
                id: id.to_string(),
                suggestions: close_matches(
                    id,
                    self.sites
                        .iter()
                        .flat_map(|s| [s.record.id.as_str(), s.record.name.as_str()]),
                )
                .into_iter()
                .map(|m| {
                    // Suggest ids, even when the name matched.
                    self.sites
                        .iter()
                        .find(|s| s.record.name == m)
                        .map(|s| s.record.id.clone())
                        .unwrap_or(m)
                })
                .collect(),
            }),
        }
    }

    /// Applies a user's override or addition.
    pub fn apply(&mut self, o: &SiteOverride) -> Result<()> {
        let existing = self.position(&o.id);
        let mut rec = match (existing, &o.base) {
            (Some(i), None) => self.sites[i].record.clone(),
            (_, Some(base)) => {
                let mut r = self.get(base)?.record.clone();
                r.id = o.id.clone();
                r.name = o.name.clone().unwrap_or_else(|| o.id.clone());
                r.kind = "custom".into();
                r.source = format!("{} (grid factors of base site {base})", r.source);
                r
            }
            (None, None) => {
                let intensity = o.intensity_g_per_kwh.ok_or_else(|| CoreError::InvalidValue {
                    what: format!("site '{}' in the config file", o.id),
                    value: "no intensity_g_per_kwh and no base".into(),
                    expected: "either `base = \"<catalog site id>\"` or `intensity_g_per_kwh = <number>`".into(),
                })?;
                SiteRecord {
                    id: o.id.clone(),
                    name: o.name.clone().unwrap_or_else(|| o.id.clone()),
                    kind: "custom".into(),
                    country_iso2: None,
                    provider: None,
                    intensity_g_per_kwh: intensity,
                    year: None,
                    source: "user config".into(),
                    renewable_share: None,
                    pue: 1.0,
                    pue_source: "default: no facility overhead".into(),
                    wue_l_per_kwh: 0.0,
                    wue_source: "default: no on-site water".into(),
                    offsite_water_l_per_kwh: None,
                    offsite_water_source: String::new(),
                    price_per_kwh: None,
                    currency: None,
                    price_source: String::new(),
                    market_g_per_kwh: None,
                    market_source: String::new(),
                }
            }
        };
        let user = "user config".to_string();
        if let Some(n) = &o.name {
            rec.name = n.clone();
        }
        if let Some(v) = o.intensity_g_per_kwh {
            rec.intensity_g_per_kwh = v;
            rec.source = o.source.clone().unwrap_or_else(|| user.clone());
            rec.year = None;
        }
        if let Some(v) = o.market_g_per_kwh {
            rec.market_g_per_kwh = Some(v);
            rec.market_source = o.market_source.clone().unwrap_or_else(|| user.clone());
        }
        if let Some(v) = o.renewable_share {
            rec.renewable_share = Some(v);
        }
        if let Some(v) = o.pue {
            rec.pue = v;
            rec.pue_source = user.clone();
        }
        if let Some(v) = o.wue_l_per_kwh {
            rec.wue_l_per_kwh = v;
            rec.wue_source = user.clone();
        }
        if let Some(v) = o.offsite_water_l_per_kwh {
            rec.offsite_water_l_per_kwh = Some(v);
            rec.offsite_water_source = user.clone();
        }
        if let Some(v) = o.price_per_kwh {
            rec.price_per_kwh = Some(v);
            rec.price_source = user.clone();
            if o.currency.is_none() && rec.currency.is_none() {
                return Err(CoreError::InvalidValue {
                    what: format!("site '{}' in the config file", o.id),
                    value: "price_per_kwh without currency".into(),
                    expected: "a currency next to the price, such as currency = \"EUR\"".into(),
                });
            }
        }
        if let Some(c) = &o.currency {
            rec.currency = Some(c.clone());
        }
        let site = Site::from_record(rec)?;
        match existing {
            Some(i) => self.sites[i] = site,
            None => self.sites.push(site),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_loads_with_sources() {
        let cat = SiteCatalog::bundled().expect("bundled sites parse");
        assert!(cat.sites().len() > 200, "{}", cat.sites().len());
        for s in cat.sites() {
            assert!(
                !s.record.source.trim().is_empty(),
                "{} has no source",
                s.id()
            );
        }
        let fr = cat.get("fr").unwrap();
        assert_eq!(fr.id(), "FR");
        assert!(
            fr.intensity.g_per_kwh() < 150.0,
            "France's grid is low-carbon"
        );
        assert!(cat.get(DEFAULT_SITE_ID).is_ok());
        assert!(cat.get("US-CA").is_ok());
    }

    #[test]
    fn unknown_site_names_close_matches() {
        let cat = SiteCatalog::bundled().unwrap();
        let err = cat.get("US-CAL").unwrap_err().to_string();
        assert!(err.contains("unknown site 'US-CAL'"), "{err}");
        assert!(err.contains("US-CA"), "{err}");
    }

    #[test]
    fn site_factors_outside_their_bounds_are_refused() {
        let fr = SiteCatalog::bundled()
            .unwrap()
            .get("FR")
            .unwrap()
            .record
            .clone();
        for (rec, needle) in [
            (
                SiteRecord {
                    intensity_g_per_kwh: 1e308,
                    ..fr.clone()
                },
                "carbon intensity of site 'FR' = 1e308 is out of bounds",
            ),
            (
                SiteRecord {
                    pue: 50.0,
                    ..fr.clone()
                },
                "PUE of site 'FR' = 50.0 is out of bounds",
            ),
            (
                SiteRecord {
                    wue_l_per_kwh: f64::INFINITY,
                    ..fr.clone()
                },
                "WUE of site 'FR' = inf",
            ),
            (
                SiteRecord {
                    price_per_kwh: Some(1e300),
                    currency: Some("EUR".into()),
                    ..fr.clone()
                },
                "electricity price of site 'FR' = 1e300",
            ),
        ] {
            let e = Site::from_record(rec).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        // The unit types alone take any finite value, as estimates may.
        assert!(crate::units::CarbonIntensity::from_g_per_kwh(6000.0).is_ok());
    }

    #[test]
    fn overrides_and_additions() {
        let mut cat = SiteCatalog::bundled().unwrap();
        cat.apply(&SiteOverride {
            id: "paris-dc".into(),
            base: Some("FR".into()),
            pue: Some(1.4),
            price_per_kwh: Some(0.15),
            currency: Some("EUR".into()),
            market_g_per_kwh: Some(10.0),
            ..Default::default()
        })
        .unwrap();
        let dc = cat.get("paris-dc").unwrap();
        assert_eq!(dc.pue.value(), 1.4);
        assert_eq!(dc.intensity, cat.get("FR").unwrap().intensity);
        assert_eq!(dc.market_intensity.unwrap().g_per_kwh(), 10.0);
        assert_eq!(dc.price.as_ref().unwrap().currency().code(), "EUR");

        cat.apply(&SiteOverride {
            id: "FR".into(),
            pue: Some(1.2),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(cat.get("FR").unwrap().pue.value(), 1.2);

        let err = cat
            .apply(&SiteOverride {
                id: "lab".into(),
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("base"), "{err}");

        let err = cat
            .apply(&SiteOverride {
                id: "lab".into(),
                intensity_g_per_kwh: Some(100.0),
                pue: Some(0.5),
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("PUE of site 'lab'"), "{err}");
    }
}

/// The bundled ISO 3166-1 table (`iso2,iso3,name`).
pub const BUNDLED_COUNTRIES_CSV: &str = include_str!("../../../data/countries.csv");

/// A country's codes and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2.
    pub iso2: String,
    /// ISO 3166-1 alpha-3.
    pub iso3: String,
    /// Name.
    pub name: String,
}

static COUNTRIES: std::sync::LazyLock<Vec<Country>> = std::sync::LazyLock::new(|| {
    parse_csv("data/countries.csv", BUNDLED_COUNTRIES_CSV).unwrap_or_default()
});

/// The country with this alpha-2 code.
pub fn country(iso2: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso2.eq_ignore_ascii_case(iso2))
}

#[cfg(test)]
mod country_tests {
    #[test]
    fn alpha2_maps_to_alpha3() {
        let fr = super::country("fr").unwrap();
        assert_eq!(fr.iso3, "FRA");
        assert_eq!(fr.name, "France");
        assert!(super::country("XX").is_none());
    }
}

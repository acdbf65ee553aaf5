//! The levers of a scenario: one variant per kind, each with its own fields, read from a
//! scenario file's `[[lever]]` tables by its `type` (a serde tagged enum). What a lever does to
//! the figures is in `apply`; how a file is read and its errors worded, in `file`.

use serde::{Deserialize, Serialize};

pub use super::kind::LeverKind;
use crate::error::{ReportError, Result};

/// One lever, as written in a `[[lever]]` table. The selectors `kinds`, `site`, `product` and
/// `model` narrow the runs it applies to; `share` (0 to 1, default 1) is the part of the
/// selected energy it moves.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Lever {
    /// Move workloads to the site `to` (from the site `from`, or from every site).
    MoveSite {
        /// The site or accelerator moved to.
        to: String,
        /// The site or accelerator moved from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// Share of the selected energy affected (0 to 1, default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Replace the accelerator `from` with `to` (compared at `precision`, default bf16), or
    /// scale energy by `energy_factor`.
    Hardware {
        /// The site or accelerator moved from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The site or accelerator moved to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// The precision compared (fp32, tf32, bf16, fp16, fp8, int8; default bf16).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        precision: Option<String>,
        /// Multiplier of the selected IT energy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        energy_factor: Option<f64>,
        /// Share of the selected energy affected (0 to 1, default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Quantize: energy × `energy_factor`, or the factor `sustain compare` measured.
    Quantize {
        /// Multiplier of the selected IT energy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        energy_factor: Option<f64>,
        /// Share of the selected energy affected (0 to 1, default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Prune: energy × `energy_factor`, or the factor `sustain compare` measured.
    Prune {
        /// Multiplier of the selected IT energy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        energy_factor: Option<f64>,
        /// Share of the selected energy affected (0 to 1, default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Run where the `carbon` policy of `sustain-sched` places the runs on the intensity
    /// `series` (any format `sustain schedule` reads), each free to finish up to
    /// `window_hours` (default 24) after it would have.
    ShiftHours {
        /// A carbon-intensity series (any format `sustain schedule` reads, such as CSV
        /// `Time,Carbon Intensity`).
        series: String,
        /// How many hours a run may wait (default 24).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window_hours: Option<u32>,
        /// Whether the runs may be suspended and resumed (default false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interruptible: Option<bool>,
        /// Share of the selected energy affected (0 to 1, default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// A new PUE.
    Pue {
        /// The new PUE.
        pue: f64,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// Contractual power at `g_per_kwh` (default 0) for `share` of the energy.
    ContractualPower {
        /// Share of the selected energy affected (0 to 1, default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<f64>,
        /// The instrument's factor, g/kWh (default 0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        g_per_kwh: Option<f64>,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// A new electricity price.
    EnergyPrice {
        /// The new price per kWh.
        price_per_kwh: f64,
        /// Its currency.
        currency: String,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
        /// Only runs at this site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<String>,
        /// Only runs (and usage) of this product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Only runs of this model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// A product's price changed by `change` ("+10%").
    Price {
        /// The product.
        product: String,
        /// A relative change such as "+10%" or "-5%".
        change: String,
    },
    /// A product's volume changed by `change`: usage, revenue and its runs' energy.
    Volume {
        /// Only runs (and usage) of this product.
        product: String,
        /// A relative change such as "+10%" or "-5%".
        change: String,
        /// Only runs of these kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kinds: Option<Vec<String>>,
    },
}

/// The runs a lever selects: each selector that is set must match.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection<'a> {
    /// Kinds of run.
    pub kinds: Option<&'a [String]>,
    /// Site.
    pub site: Option<&'a str>,
    /// Product.
    pub product: Option<&'a str>,
    /// Model.
    pub model: Option<&'a str>,
}

/// Parses "+10%", "-5%" or "10%" into 0.10, -0.05, 0.10.
pub(crate) fn parse_change(what: &str, s: &str) -> Result<f64> {
    let t = s.trim();
    let v = t
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > -100.0)
        .ok_or_else(|| {
            ReportError::invalid(
                what,
                s,
                "a relative change above -100%, such as \"+10%\" or \"-5%\"",
            )
        })?;
    Ok(v / 100.0)
}

impl Lever {
    /// Its kind.
    pub fn kind(&self) -> LeverKind {
        match self {
            Lever::MoveSite { .. } => LeverKind::MoveSite,
            Lever::Hardware { .. } => LeverKind::Hardware,
            Lever::Quantize { .. } => LeverKind::Quantize,
            Lever::Prune { .. } => LeverKind::Prune,
            Lever::ShiftHours { .. } => LeverKind::ShiftHours,
            Lever::Pue { .. } => LeverKind::Pue,
            Lever::ContractualPower { .. } => LeverKind::ContractualPower,
            Lever::EnergyPrice { .. } => LeverKind::EnergyPrice,
            Lever::Price { .. } => LeverKind::Price,
            Lever::Volume { .. } => LeverKind::Volume,
        }
    }

    /// The runs it selects.
    pub fn selection(&self) -> Selection<'_> {
        fn sel<'a>(
            kinds: &'a Option<Vec<String>>,
            site: &'a Option<String>,
            product: &'a Option<String>,
            model: &'a Option<String>,
        ) -> Selection<'a> {
            Selection {
                kinds: kinds.as_deref(),
                site: site.as_deref(),
                product: product.as_deref(),
                model: model.as_deref(),
            }
        }
        match self {
            Lever::MoveSite {
                kinds,
                site,
                product,
                model,
                ..
            }
            | Lever::Hardware {
                kinds,
                site,
                product,
                model,
                ..
            }
            | Lever::Quantize {
                kinds,
                site,
                product,
                model,
                ..
            }
            | Lever::Prune {
                kinds,
                site,
                product,
                model,
                ..
            }
            | Lever::ShiftHours {
                kinds,
                site,
                product,
                model,
                ..
            }
            | Lever::Pue {
                kinds,
                site,
                product,
                model,
                ..
            }
            | Lever::ContractualPower {
                kinds,
                site,
                product,
                model,
                ..
            }
            | Lever::EnergyPrice {
                kinds,
                site,
                product,
                model,
                ..
            } => sel(kinds, site, product, model),
            Lever::Price { product, .. } => Selection {
                product: Some(product),
                ..Selection::default()
            },
            Lever::Volume { product, kinds, .. } => Selection {
                kinds: kinds.as_deref(),
                product: Some(product),
                ..Selection::default()
            },
        }
    }

    /// The share of the selected energy it moves (1 unless given).
    pub fn share(&self) -> f64 {
        match self {
            Lever::MoveSite { share, .. }
            | Lever::Hardware { share, .. }
            | Lever::Quantize { share, .. }
            | Lever::Prune { share, .. }
            | Lever::ShiftHours { share, .. }
            | Lever::ContractualPower { share, .. } => share.unwrap_or(1.0),
            _ => 1.0,
        }
    }

    /// The energy factor, where the lever takes one.
    pub fn energy_factor(&self) -> Option<f64> {
        match self {
            Lever::Hardware { energy_factor, .. }
            | Lever::Quantize { energy_factor, .. }
            | Lever::Prune { energy_factor, .. } => *energy_factor,
            _ => None,
        }
    }

    /// Checks the values a type cannot: shares from 0 to 1, factors >= 0, a PUE >= 1, a
    /// relative change, a window of 1 to 336 hours, and a hardware lever's accelerators or
    /// factor. `n` is the lever's position in its file, for the message.
    pub fn validate(&self, n: usize) -> Result<()> {
        let kind = self.kind().name();
        let bad = |field: &str, v: String, expected: &str| {
            Err(ReportError::invalid(
                format!("{field} of lever {n}"),
                v,
                expected,
            ))
        };
        let share = match self {
            Lever::MoveSite { share, .. }
            | Lever::Hardware { share, .. }
            | Lever::Quantize { share, .. }
            | Lever::Prune { share, .. }
            | Lever::ShiftHours { share, .. }
            | Lever::ContractualPower { share, .. } => *share,
            _ => None,
        };
        if let Some(s) = share
            && !(s.is_finite() && (0.0..=1.0).contains(&s))
        {
            return bad("share", s.to_string(), "a share from 0 to 1");
        }
        if let Some(e) = self.energy_factor()
            && !(e.is_finite() && e >= 0.0)
        {
            return bad(
                "energy_factor",
                e.to_string(),
                "a multiplier >= 0, such as 0.6",
            );
        }
        match self {
            Lever::Hardware {
                from,
                to,
                energy_factor: None,
                ..
            } if from.is_none() || to.is_none() => Err(ReportError::invalid(
                format!("lever {n} ({kind})"),
                "no from/to",
                "from and to accelerator ids (see `sustain catalog hardware`), or energy_factor",
            )),
            Lever::ShiftHours {
                window_hours: Some(w),
                ..
            } if !(1..=24 * 14).contains(w) => bad("window_hours", w.to_string(), "1 to 336 hours"),
            Lever::Pue { pue, .. } if !(pue.is_finite() && *pue >= 1.0) => {
                bad("pue", pue.to_string(), "a PUE >= 1")
            }
            Lever::ContractualPower {
                g_per_kwh: Some(g), ..
            } if !(g.is_finite() && *g >= 0.0) => bad("g_per_kwh", g.to_string(), "a factor >= 0"),
            Lever::EnergyPrice { price_per_kwh, .. }
                if !(price_per_kwh.is_finite() && *price_per_kwh >= 0.0) =>
            {
                bad("price_per_kwh", price_per_kwh.to_string(), "a price >= 0")
            }
            Lever::Price { change, .. } | Lever::Volume { change, .. } => {
                parse_change(&format!("change of lever {n}"), change).map(|_| ())
            }
            _ => Ok(()),
        }
    }

    /// A short label: the type and its main settings.
    pub fn label(&self) -> String {
        let mut parts = vec![self.kind().name().to_string()];
        let (from, to, change) = match self {
            Lever::MoveSite { from, to, .. } => (from.as_deref(), Some(to.as_str()), None),
            Lever::Hardware { from, to, .. } => (from.as_deref(), to.as_deref(), None),
            Lever::Price { change, .. } | Lever::Volume { change, .. } => {
                (None, None, Some(change.as_str()))
            }
            _ => (None, None, None),
        };
        let sel = self.selection();
        for (k, v) in [
            ("from", from),
            ("to", to),
            ("product", sel.product),
            ("site", sel.site),
            ("model", sel.model),
            ("change", change),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        if let Some(v) = self.energy_factor() {
            parts.push(format!("energy×{v}"));
        }
        if let Lever::Pue { pue, .. } = self {
            parts.push(format!("pue={pue}"));
        }
        if let Lever::ShiftHours {
            window_hours,
            interruptible,
            ..
        } = self
        {
            if let Some(w) = window_hours {
                parts.push(format!("window={w}h"));
            }
            if *interruptible == Some(true) {
                parts.push("interruptible".into());
            }
        }
        let share = match self {
            Lever::MoveSite { share, .. }
            | Lever::Hardware { share, .. }
            | Lever::Quantize { share, .. }
            | Lever::Prune { share, .. }
            | Lever::ShiftHours { share, .. }
            | Lever::ContractualPower { share, .. } => *share,
            _ => None,
        };
        if let Some(v) = share {
            parts.push(format!("share={v}"));
        }
        if let Some(k) = sel.kinds {
            parts.push(format!("kinds={}", k.join("+")));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's list of a variant's fields, from the error on an unknown one.
    fn serde_fields(kind: LeverKind) -> Vec<String> {
        let mut t = toml::Table::new();
        t.insert("type".into(), kind.name().into());
        t.insert("zzz".into(), 1.into());
        let e = t.try_into::<Lever>().unwrap_err().to_string();
        let list = e.split("`zzz`").nth(1).unwrap_or_else(|| panic!("{e}"));
        list.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn each_kinds_fields_are_its_variants() {
        for k in LeverKind::ALL {
            let mut want: Vec<String> = k.fields().iter().map(|s| s.to_string()).collect();
            let mut got = serde_fields(k);
            want.sort();
            got.sort();
            assert_eq!(got, want, "{}", k.name());
            assert_eq!(LeverKind::parse(k.name()), Some(k));
        }
    }

    #[test]
    fn labels_name_the_settings() {
        let l = Lever::MoveSite {
            to: "FR".into(),
            from: None,
            share: Some(0.5),
            kinds: Some(vec!["train".into(), "infer".into()]),
            site: None,
            product: Some("chat".into()),
            model: None,
        };
        assert_eq!(
            l.label(),
            "move-site to=FR product=chat share=0.5 kinds=train+infer"
        );
    }
}

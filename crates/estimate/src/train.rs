//! Training footprint: FLOPs → device-hours → energy → carbon, water, embodied carbon, cost.
//! The method, its defaults and their sources are in `docs/methods/estimate-train.md`.

use serde_json::{Value, json};
use sustain_core::hardware::{AcceleratorCatalog, AcceleratorRecord};
use sustain_core::site::SiteCatalog;
use sustain_core::units::{CarbonMass, Energy, Money, Power, Water};

use crate::error::{EstimateError, Result, invalid, non_negative, positive};
use crate::factors::{SiteOptions, count, currency};
use crate::inputs::{Inputs, Origin};

/// Hours in a year (365.25 days), for amortizing embodied carbon.
pub const HOURS_PER_YEAR: f64 = 8766.0;

/// Precisions the estimator knows, in the order a default is chosen.
pub const PRECISIONS: &[&str] = &["bf16", "fp16", "fp32", "tf32", "fp8", "int8"];

/// The catalogs an estimate reads.
#[derive(Debug, Clone, Copy)]
pub struct Catalogs<'a> {
    /// Sites (bundled and configured).
    pub sites: &'a SiteCatalog,
    /// Accelerators.
    pub hardware: &'a AcceleratorCatalog,
}

/// A training estimate request, as typed. Every field is optional here; [`estimate_train`]
/// says which are missing or contradictory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainRequest {
    /// Accelerator id.
    pub hardware: Option<String>,
    /// Number of devices.
    pub devices: Option<f64>,
    /// Wall-clock days.
    pub days: Option<f64>,
    /// Wall-clock hours.
    pub hours: Option<f64>,
    /// Device-hours.
    pub device_hours: Option<f64>,
    /// Total parameters.
    pub params: Option<f64>,
    /// Active parameters per token (mixture of experts).
    pub active_params: Option<f64>,
    /// Training tokens.
    pub tokens: Option<f64>,
    /// Training FLOPs.
    pub flops: Option<f64>,
    /// Achieved over peak throughput (MFU), 0..1.
    pub efficiency: Option<f64>,
    /// Numeric precision.
    pub precision: Option<String>,
    /// Average draw per device, W.
    pub power_w: Option<f64>,
    /// Site options.
    pub site: SiteOptions,
    /// Amortization lifetime for embodied carbon, years.
    pub lifetime_years: Option<f64>,
    /// Price per device-hour.
    pub price_per_device_hour: Option<f64>,
    /// Currency of the price.
    pub currency: Option<String>,
}

/// The keys `set` accepts (flag names without dashes).
pub const TRAIN_KEYS: &[&str] = &[
    "hardware",
    "devices",
    "days",
    "hours",
    "device-hours",
    "params",
    "active-params",
    "tokens",
    "flops",
    "efficiency",
    "precision",
    "power-w",
    "pue",
    "site",
    "intensity",
    "market-intensity",
    "wue",
    "lifetime-years",
    "price-per-device-hour",
    "currency",
];

/// Parses a number, accepting `1e12`, `70e9`, `2T`, `70B`, `1.5M`, `300k` and `_` separators.
pub fn parse_number(key: &str, text: &str) -> Result<f64> {
    let t = text.trim().replace('_', "");
    let (digits, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        Some('B' | 'G') => (&t[..t.len() - 1], 1e9),
        Some('T') => (&t[..t.len() - 1], 1e12),
        _ => (t.as_str(), 1.0),
    };
    let v: f64 = digits.parse().map_err(|_| {
        EstimateError::Parse(format!(
            "invalid --{key} {text:?}: expected a number such as 70e9, 70B, 2T or 0.4"
        ))
    })?;
    let v = v * scale;
    if !v.is_finite() {
        return Err(invalid(key, text, "a finite number"));
    }
    Ok(v)
}

impl TrainRequest {
    /// Sets an input by its flag name (used by sweeps and tests).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let num = || parse_number(key, value);
        match key {
            "hardware" => self.hardware = Some(value.to_string()),
            "devices" => self.devices = Some(num()?),
            "days" => self.days = Some(num()?),
            "hours" => self.hours = Some(num()?),
            "device-hours" => self.device_hours = Some(num()?),
            "params" => self.params = Some(num()?),
            "active-params" => self.active_params = Some(num()?),
            "tokens" => self.tokens = Some(num()?),
            "flops" => self.flops = Some(num()?),
            "efficiency" => self.efficiency = Some(num()?),
            "precision" => self.precision = Some(value.to_ascii_lowercase()),
            "power-w" => self.power_w = Some(num()?),
            "pue" => self.site.pue = Some(num()?),
            "site" => self.site.site = Some(value.to_string()),
            "intensity" => self.site.intensity = Some(num()?),
            "market-intensity" => self.site.market_intensity = Some(num()?),
            "wue" => self.site.wue = Some(num()?),
            "lifetime-years" => self.lifetime_years = Some(num()?),
            "price-per-device-hour" => self.price_per_device_hour = Some(num()?),
            "currency" => self.currency = Some(value.to_string()),
            other => {
                return Err(EstimateError::Parse(format!(
                    "unknown input '{other}'; inputs are: {}",
                    TRAIN_KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// A training estimate.
#[derive(Debug, Clone)]
pub struct TrainEstimate {
    /// Training FLOPs (given, 6·N·D, or implied by the schedule).
    pub flops: f64,
    /// Device-hours.
    pub device_hours: f64,
    /// Wall-clock days.
    pub days: f64,
    /// IT energy.
    pub it_energy: Energy,
    /// Facility energy (IT × PUE).
    pub energy: Energy,
    /// Location-based carbon.
    pub co2e_location: CarbonMass,
    /// Market-based carbon, when a contractual factor is known.
    pub co2e_market: Option<CarbonMass>,
    /// Amortized embodied carbon of the devices, when the catalog has it.
    pub embodied: Option<CarbonMass>,
    /// Water, on-site plus offsite (when known).
    pub water: Water,
    /// Cost.
    pub cost: Option<Money>,
    /// Every input with its origin.
    pub inputs: Inputs,
    /// Assumptions in words.
    pub assumptions: Vec<String>,
}

impl TrainEstimate {
    /// The stable JSON form (see `docs/methods/estimate-train.md`).
    pub fn to_json(&self) -> Value {
        json!({
            "flops": self.flops,
            "device_hours": self.device_hours,
            "days": self.days,
            "it_energy_kwh": self.it_energy.kwh(),
            "energy_kwh": self.energy.kwh(),
            "co2e_kg": {
                "location": self.co2e_location.kg(),
                "market": self.co2e_market.map(|m| m.kg()),
            },
            "embodied_co2e_kg": self.embodied.map(|m| m.kg()),
            "water_l": self.water.litres(),
            "cost": {
                "amount": self.cost.as_ref().map(|c| c.amount),
                "currency": self.cost.as_ref().map(|c| c.currency.code().to_string()),
            },
            "inputs": self.inputs,
            "assumptions": self.assumptions,
        })
    }
}

/// Default efficiency for a device without a cited MFU: the median of the cited MFUs of the
/// catalog's devices of the same kind.
fn class_mfu(hw: &AcceleratorCatalog, kind: &str) -> Option<f64> {
    let mut v: Vec<f64> = hw
        .devices()
        .iter()
        .filter(|d| d.kind == kind)
        .filter_map(|d| d.default_mfu)
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// The precision to estimate at and its dense peak, TFLOP/s: the one asked for (it must be in
/// the catalog for the device), else the first the device supports. Records the input.
pub(crate) fn precision_of(
    dev: &AcceleratorRecord,
    req: Option<&str>,
    inputs: &mut Inputs,
) -> Result<(String, f64)> {
    let supported: Vec<&str> = PRECISIONS
        .iter()
        .copied()
        .filter(|p| dev.peak_tflops(p).is_some())
        .collect();
    match req {
        Some(p) => {
            if !PRECISIONS.contains(&p) {
                return Err(invalid(
                    "precision",
                    p,
                    &format!("one of {}", PRECISIONS.join(", ")),
                ));
            }
            let peak = dev.peak_tflops(p).ok_or_else(|| {
                invalid(
                    "precision",
                    p,
                    &format!("a precision {} supports: {}", dev.id, supported.join(", ")),
                )
            })?;
            inputs.add("precision", p, "", Origin::Flag, "--precision");
            Ok((p.to_string(), peak))
        }
        None => {
            let p = supported.first().ok_or_else(|| {
                EstimateError::NoFigure(format!(
                    "the catalog has no peak throughput for {}",
                    dev.id
                ))
            })?;
            inputs.add(
                "precision",
                *p,
                "",
                Origin::Default,
                "the first of bf16, fp16, fp32 the device supports",
            );
            Ok((p.to_string(), dev.peak_tflops(p).unwrap_or_default()))
        }
    }
}

/// Active parameters: `--active-params` (at most `params`), else `params` (a dense model).
/// Records both inputs.
pub(crate) fn active_params(params: f64, active: Option<f64>, inputs: &mut Inputs) -> Result<f64> {
    let a = match active {
        Some(a) => {
            let a = positive("--active-params", a)?;
            if a > params {
                return Err(invalid(
                    "--active-params",
                    a,
                    &format!("at most --params ({params}): active parameters are a subset"),
                ));
            }
            a
        }
        None => params,
    };
    inputs.add("params", params, "", Origin::Flag, "--params");
    inputs.add(
        "active-params",
        a,
        "",
        if active.is_some() {
            Origin::Flag
        } else {
            Origin::Derived
        },
        "--active-params, else --params (dense model)",
    );
    Ok(a)
}

/// Estimates a training run.
pub fn estimate_train(req: &TrainRequest, cat: Catalogs<'_>) -> Result<TrainEstimate> {
    let mut inputs = Inputs::default();
    let mut assumptions = Vec::new();

    // Hardware and devices.
    let hw_id = req.hardware.as_deref().ok_or_else(|| EstimateError::Missing {
        what: "--hardware".into(),
        fix: "name an accelerator such as a100-80gb or h100-sxm (list them with `sustain catalog hardware`)".into(),
    })?;
    let dev = cat.hardware.get(hw_id)?;
    inputs.add(
        "hardware",
        dev.id.as_str(),
        "",
        Origin::Flag,
        dev.name.as_str(),
    );
    let devices = count(
        "--devices",
        req.devices.ok_or_else(|| EstimateError::Missing {
            what: "--devices".into(),
            fix: "give the number of accelerators, such as --devices 512".into(),
        })?,
    )? as f64;
    inputs.add("devices", devices, "", Origin::Flag, "--devices");

    // The two ways in: a schedule, or the model.
    let schedule: Vec<&str> = [
        ("--days", req.days),
        ("--hours", req.hours),
        ("--device-hours", req.device_hours),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(n, _)| *n)
    .collect();
    let model: Vec<&str> = [
        ("--params", req.params),
        ("--active-params", req.active_params),
        ("--tokens", req.tokens),
        ("--flops", req.flops),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(n, _)| *n)
    .collect();
    if schedule.len() > 1 {
        return Err(EstimateError::Contradictory(format!(
            "{} together; give one of --days, --hours or --device-hours",
            schedule.join(" and ")
        )));
    }
    if !schedule.is_empty() && !model.is_empty() {
        return Err(EstimateError::Contradictory(format!(
            "{} describes the schedule and {} the model; give one way in: the schedule (--days, --hours or --device-hours) or the model (--params and --tokens, or --flops)",
            schedule[0],
            model.join(", ")
        )));
    }
    if req.flops.is_some() && (req.tokens.is_some() || req.params.is_some()) {
        return Err(EstimateError::Contradictory(
            "--flops with --params/--tokens; give either --flops or --params and --tokens".into(),
        ));
    }

    // Efficiency and precision (needed for the model path, and for implied FLOPs).
    let (_, peak_tflops) = precision_of(dev, req.precision.as_deref(), &mut inputs)?;
    let efficiency = match req.efficiency {
        Some(e) => {
            if !(e.is_finite() && e > 0.0 && e <= 1.0) {
                return Err(invalid(
                    "--efficiency",
                    e,
                    "a fraction of peak throughput in (0, 1], such as 0.4 for 40% MFU",
                ));
            }
            inputs.add("efficiency", e, "", Origin::Flag, "--efficiency");
            e
        }
        None => match dev.default_mfu {
            Some(e) => {
                inputs.add(
                    "efficiency",
                    e,
                    "",
                    Origin::Catalog,
                    format!("{}: {}", dev.id, dev.source),
                );
                e
            }
            None => {
                let e = class_mfu(cat.hardware, &dev.kind).ok_or_else(|| {
                    EstimateError::NoFigure(format!(
                        "no typical efficiency for {}; pass --efficiency (model FLOPs utilization, such as 0.4)",
                        dev.id
                    ))
                })?;
                inputs.add(
                    "efficiency",
                    e,
                    "",
                    Origin::Default,
                    format!(
                        "median of the cited MFUs of the catalog's {} devices ({} has none)",
                        dev.kind, dev.id
                    ),
                );
                assumptions.push(format!(
                    "no cited MFU for {}: the median of other {}s ({e}) is used",
                    dev.id, dev.kind
                ));
                e
            }
        },
    };
    let peak_flops_per_s = peak_tflops * 1e12;
    inputs.add(
        "peak-tflops",
        peak_tflops,
        "TFLOP/s",
        Origin::Catalog,
        format!("{}: {}", dev.id, dev.source),
    );

    let (flops, device_hours) = if let Some(first) = schedule.first() {
        let dh = match *first {
            "--days" => positive("--days", req.days.unwrap_or_default())? * 24.0 * devices,
            "--hours" => positive("--hours", req.hours.unwrap_or_default())? * devices,
            _ => positive("--device-hours", req.device_hours.unwrap_or_default())?,
        };
        let flops = dh * 3600.0 * peak_flops_per_s * efficiency;
        inputs.add(
            "flops",
            flops,
            "FLOP",
            Origin::Derived,
            "implied: device-hours × peak × efficiency",
        );
        (flops, dh)
    } else {
        let flops = match (req.flops, req.params, req.tokens) {
            (Some(f), _, _) => {
                let f = positive("--flops", f)?;
                inputs.add("flops", f, "FLOP", Origin::Flag, "--flops");
                f
            }
            (None, Some(p), Some(t)) => {
                let p = positive("--params", p)?;
                let t = positive("--tokens", t)?;
                let active = active_params(p, req.active_params, &mut inputs)?;
                inputs.add("tokens", t, "", Origin::Flag, "--tokens");
                let f = 6.0 * active * t;
                inputs.add(
                    "flops",
                    f,
                    "FLOP",
                    Origin::Derived,
                    "6 × active parameters × tokens (Kaplan et al. 2020)",
                );
                f
            }
            (None, Some(_), None) => {
                return Err(EstimateError::Missing {
                    what: "--tokens".into(),
                    fix: "give the number of training tokens with --params, such as --tokens 2T"
                        .into(),
                });
            }
            (None, None, Some(_)) => {
                return Err(EstimateError::Missing {
                    what: "--params".into(),
                    fix: "give the parameter count with --tokens, such as --params 70B".into(),
                });
            }
            (None, None, None) => {
                if req.active_params.is_some() {
                    return Err(EstimateError::Missing {
                        what: "--params and --tokens".into(),
                        fix: "--active-params needs --params and --tokens".into(),
                    });
                }
                return Err(EstimateError::Missing {
                    what: "training length".into(),
                    fix: "give --days, --hours or --device-hours, or the model as --params and --tokens (or --flops)".into(),
                });
            }
        };
        let seconds = flops / (devices * peak_flops_per_s * efficiency);
        (flops, devices * seconds / 3600.0)
    };
    let days = device_hours / devices / 24.0;
    inputs.add("device-hours", device_hours, "h", Origin::Derived, "");

    // Power per device.
    let power = match req.power_w {
        Some(w) => {
            let w = positive("--power-w", w)?;
            inputs.add("power-w", w, "W", Origin::Flag, "--power-w");
            Power::from_watts(w)
        }
        None => {
            let p = dev.typical_training_power().ok_or_else(|| {
                EstimateError::NoFigure(format!(
                    "the catalog has no power figure for {} (its vendor publishes none); pass --power-w",
                    dev.id
                ))
            })?;
            inputs.add(
                "power-w",
                p.watts(),
                "W",
                Origin::Catalog,
                format!("{}: typical training draw; {}", dev.id, dev.source),
            );
            assumptions.push(
                "power per device is the device's own draw; host CPUs, memory and network are not included unless --power-w includes them".into(),
            );
            p
        }
    };

    let f = req.site.resolve(cat.sites, &mut inputs, &mut assumptions)?;
    // Joules directly: a Duration would overflow (and panic) for absurd but finite inputs.
    let it_energy = Energy::from_joules(power.watts() * device_hours * 3600.0);
    let energy = it_energy * f.pue;
    let co2e_location = energy * f.intensity;
    let co2e_market = f.market.map(|m| energy * m);
    let water = it_energy * f.wue + f.offsite_water.map(|w| energy * w).unwrap_or(Water::ZERO);

    // Embodied carbon, amortized over the lifetime by device-hours.
    let lifetime = match (req.lifetime_years, dev.lifetime_years) {
        (Some(y), _) => {
            let y = positive("--lifetime-years", y)?;
            inputs.add(
                "lifetime-years",
                y,
                "years",
                Origin::Flag,
                "--lifetime-years",
            );
            Some(y)
        }
        (None, Some(y)) => {
            inputs.add(
                "lifetime-years",
                y,
                "years",
                Origin::Catalog,
                format!("{}: {}", dev.id, dev.source),
            );
            Some(y)
        }
        (None, None) => None,
    };
    let embodied = match (dev.embodied(), lifetime) {
        (Some(e), Some(y)) => {
            inputs.add(
                "embodied-kgco2e",
                e.kg(),
                "kgCO2e",
                Origin::Catalog,
                format!("{}: {}", dev.id, dev.embodied_method),
            );
            Some(e * (device_hours / (y * HOURS_PER_YEAR)))
        }
        (None, _) => {
            assumptions.push(format!(
                "no embodied-carbon figure for {} in the catalog: embodied carbon unknown",
                dev.id
            ));
            None
        }
        (Some(_), None) => {
            assumptions.push(format!(
                "no lifetime for {}: pass --lifetime-years to amortize its embodied carbon",
                dev.id
            ));
            None
        }
    };

    // Cost: a device-hour price (which includes energy in cloud prices), else the site's
    // electricity price.
    let cost = match req.price_per_device_hour {
        Some(p) => {
            let p = non_negative("--price-per-device-hour", p)?;
            let c = currency(req.currency.as_deref())?;
            inputs.add(
                "price-per-device-hour",
                p,
                c.code(),
                Origin::Flag,
                "--price-per-device-hour",
            );
            assumptions.push(
                "cost is device-hours × the device-hour price (energy assumed included in it)"
                    .into(),
            );
            Some(Money {
                amount: device_hours * p,
                currency: c,
            })
        }
        None => match &f.price {
            Some(p) => {
                assumptions.push("cost is the electricity only (facility energy × the site's price); pass --price-per-device-hour for hardware".into());
                Some(energy * p)
            }
            None => {
                assumptions.push("cost unknown: no --price-per-device-hour and no electricity price for the site".into());
                None
            }
        },
    };

    let figures = [
        flops,
        device_hours,
        days,
        energy.joules(),
        co2e_location.grams(),
        co2e_market.map_or(0.0, |m| m.grams()),
        embodied.map_or(0.0, |m| m.grams()),
        water.litres(),
        cost.as_ref().map_or(0.0, |c| c.amount),
    ];
    crate::error::ensure_finite(&figures)?;
    Ok(TrainEstimate {
        flops,
        device_hours,
        days,
        it_energy,
        energy,
        co2e_location,
        co2e_market,
        embodied,
        water,
        cost,
        inputs,
        assumptions,
    })
}

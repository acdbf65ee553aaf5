//! `sustain estimate train|sci` and `sustain runs sci`.

use anyhow::{Context, Result};
use sustain_core::format::sig;
use sustain_core::hardware::AcceleratorCatalog;
use sustain_core::units::{CarbonIntensity, CarbonMass, Energy};
use sustain_estimate::infer::{INFER_KEYS, InferEstimate, InferRequest, estimate_infer};
use sustain_estimate::sci::{self, SciReport, sci};
use sustain_estimate::sweep::{self, Axis, Point, Scored, SortBy, parse_axis};
use sustain_estimate::train::{
    Catalogs, TRAIN_KEYS, TrainEstimate, TrainRequest, estimate_train, parse_number,
};
use sustain_ledger::Ledger;

use crate::args::{
    EstimateCommand, EstimateInferArgs, EstimateSciArgs, EstimateTrainArgs, RunsSciArgs,
};
use sustain_estimate::text;
use sustain_meter::Settings;

use super::{open_ledger, out};

/// `sustain estimate ...`.
pub fn estimate(cmd: EstimateCommand, settings: &Settings) -> Result<()> {
    match cmd {
        EstimateCommand::Train(args) => train(*args, settings),
        EstimateCommand::Infer(args) => infer(*args, settings),
        EstimateCommand::Sci(args) => estimate_sci(args, settings),
    }
}

fn infer(args: EstimateInferArgs, settings: &Settings) -> Result<()> {
    let hardware = AcceleratorCatalog::bundled().context("bundled accelerator catalog")?;
    let cat = Catalogs {
        sites: &settings.sites,
        hardware: &hardware,
    };
    let mut r = InferRequest::default();
    let pairs: [(&str, &Option<String>); 17] = [
        ("params", &args.params),
        ("active-params", &args.active_params),
        ("hardware", &args.hardware),
        ("devices", &args.devices),
        ("batch", &args.batch),
        ("requests", &args.requests),
        ("tokens-in", &args.tokens_in),
        ("tokens-out", &args.tokens_out),
        ("precision", &args.precision),
        ("power-w", &args.power_w),
        ("pue", &args.pue),
        ("site", &args.site),
        ("intensity", &args.intensity),
        ("market-intensity", &args.market_intensity),
        ("wue", &args.wue),
        ("price-per-device-hour", &args.price_per_device_hour),
        ("currency", &args.currency),
    ];
    for (k, v) in pairs {
        if let Some(v) = v {
            r.set(k, v)?;
        }
    }
    if r.site.site.is_none() && r.site.intensity.is_none() && settings.config_site.is_some() {
        r.site.site = settings.config_site.clone();
    }
    if !args.out.sweeps.is_empty() {
        let sort = args.out.sort;
        let axes = parse_axes(&args.out.sweeps, INFER_KEYS)?;
        let points = sweep::sweep(&r, &axes, sort, |r| estimate_infer(r, cat))?;
        return finish_sweep(
            &points,
            &axes,
            sort,
            args.out.top,
            args.out.svg.as_deref(),
            args.out.json,
            "Serving options",
            &[
                "DEVICES",
                "ENERGY/REQ",
                "CO2E/REQ",
                "CO2E TOTAL",
                "COST TOTAL",
            ],
            |e: &InferEstimate| {
                vec![
                    e.devices.to_string(),
                    e.per_request.energy.human(),
                    e.per_request.co2e_location.human(),
                    e.total.co2e_location.human(),
                    e.total
                        .cost
                        .as_ref()
                        .map_or("n/a".into(), |c| c.to_string()),
                ]
            },
        );
    }
    if args.out.svg.is_some() {
        return Err(crate::exit::BadInput(
            "--svg draws a sweep: add at least one --sweep KEY=V1,V2".into(),
        )
        .into());
    }
    let e = estimate_infer(&r, cat)?;
    if args.out.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&e.to_json())?
        ))
    } else {
        out(&text::infer_estimate(&e))
    }
}

fn request(args: &EstimateTrainArgs, settings: &Settings) -> Result<TrainRequest> {
    let mut r = TrainRequest::default();
    let pairs: [(&str, &Option<String>); 20] = [
        ("hardware", &args.hardware),
        ("devices", &args.devices),
        ("days", &args.days),
        ("hours", &args.hours),
        ("device-hours", &args.device_hours),
        ("params", &args.params),
        ("active-params", &args.active_params),
        ("tokens", &args.tokens),
        ("flops", &args.flops),
        ("efficiency", &args.efficiency),
        ("precision", &args.precision),
        ("power-w", &args.power_w),
        ("pue", &args.pue),
        ("site", &args.site),
        ("intensity", &args.intensity),
        ("market-intensity", &args.market_intensity),
        ("wue", &args.wue),
        ("lifetime-years", &args.lifetime_years),
        ("price-per-device-hour", &args.price_per_device_hour),
        ("currency", &args.currency),
    ];
    for (k, v) in pairs {
        if let Some(v) = v {
            r.set(k, v)?;
        }
    }
    // The configured default site, when the user chose one and gave no intensity.
    if r.site.site.is_none() && r.site.intensity.is_none() && settings.config_site.is_some() {
        r.site.site = settings.config_site.clone();
    }
    Ok(r)
}

fn train(args: EstimateTrainArgs, settings: &Settings) -> Result<()> {
    let hardware = AcceleratorCatalog::bundled().context("bundled accelerator catalog")?;
    let cat = Catalogs {
        sites: &settings.sites,
        hardware: &hardware,
    };
    let req = request(&args, settings)?;
    if args.out.sweeps.is_empty() {
        if args.out.svg.is_some() {
            return Err(crate::exit::BadInput(
                "--svg draws a sweep: add at least one --sweep KEY=V1,V2".into(),
            )
            .into());
        }
        let e = estimate_train(&req, cat)?;
        return if args.out.json {
            out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&e.to_json())?
            ))
        } else {
            out(&text::train_estimate(&e))
        };
    }
    let sort = args.out.sort;
    let axes = parse_axes(&args.out.sweeps, TRAIN_KEYS)?;
    let points = sweep::sweep(&req, &axes, sort, |r| estimate_train(r, cat))?;
    finish_sweep(
        &points,
        &axes,
        sort,
        args.out.top,
        args.out.svg.as_deref(),
        args.out.json,
        "Training options",
        &["DAYS", "ENERGY", "CO2E LOC", "EMBODIED", "COST"],
        |e: &TrainEstimate| {
            vec![
                sig(e.days),
                e.energy.human(),
                e.co2e_location.human(),
                e.embodied.map_or("n/a".into(), CarbonMass::human),
                e.cost.as_ref().map_or("n/a".into(), |c| c.to_string()),
            ]
        },
    )
}

fn parse_axes(sweeps: &[String], keys: &[&str]) -> Result<Vec<Axis>> {
    Ok(sweeps
        .iter()
        .map(|s| parse_axis(s, keys))
        .collect::<Result<Vec<_>, _>>()?)
}

/// Draws, then prints, a sweep.
#[allow(clippy::too_many_arguments)]
fn finish_sweep<E: Scored>(
    points: &[Point<E>],
    axes: &[Axis],
    sort: SortBy,
    top: usize,
    svg: Option<&std::path::Path>,
    json: bool,
    what: &str,
    header: &[&str],
    cells: impl Fn(&E) -> Vec<String>,
) -> Result<()> {
    if let Some(path) = svg {
        std::fs::write(path, sweep::chart(points, sort, top, what))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if json {
        let arr: Vec<_> = points.iter().map(|p| p.to_json()).collect();
        out(&format!("{}\n", serde_json::to_string_pretty(&arr)?))
    } else {
        let keys: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
        out(&text::sweep_table(&keys, points, top, header, cells))
    }
}

fn num(key: &str, v: &str) -> Result<f64> {
    Ok(parse_number(key, v)?)
}

fn estimate_sci(args: EstimateSciArgs, settings: &Settings) -> Result<()> {
    let e = num("energy-kwh", &args.energy_kwh)?;
    if !(e.is_finite() && e >= 0.0) {
        return Err(crate::exit::BadInput(format!(
            "invalid --energy-kwh {e}: expected a number of kWh >= 0"
        ))
        .into());
    }
    let (intensity, source) = match (&args.intensity, &args.site) {
        (Some(i), _) => (
            CarbonIntensity::from_g_per_kwh(num("intensity", i)?)?,
            "--intensity".to_string(),
        ),
        (None, Some(site)) => {
            let s = settings.sites.get(site)?;
            (s.intensity, format!("site {}: {}", s.id(), s.record.source))
        }
        (None, None) => {
            return Err(crate::exit::BadInput(
                "missing I: give --intensity G_PER_KWH or --site ID".into(),
            )
            .into());
        }
    };
    let embodied = args
        .embodied_kg
        .as_deref()
        .map(|m| num("embodied-kg", m).map(CarbonMass::from_kg))
        .transpose()?;
    let units = num("units", &args.units)?;
    let sci = sci(
        Energy::from_kwh(e),
        intensity,
        embodied.unwrap_or(CarbonMass::ZERO),
        units,
        &args.per,
    )?;
    let notes = match embodied {
        Some(_) => vec![],
        None => vec![
            "no embodied emissions given (M = 0): SCI counts operational emissions only".into(),
        ],
    };
    print_sci(
        &SciReport {
            sci,
            intensity,
            source,
            notes,
        },
        args.json,
    )
}

fn print_sci(r: &SciReport, json: bool) -> Result<()> {
    if json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&r.to_json())?
        ))
    } else {
        out(&r.text())
    }
}

/// `sustain runs sci`.
pub fn runs_sci(args: RunsSciArgs, settings: &Settings) -> Result<()> {
    let view = open_ledger(settings)?.run(&args.id)?;
    let given = args
        .embodied_g
        .as_deref()
        .map(|m| num("embodied-g", m).map(CarbonMass::from_grams))
        .transpose()?;
    let units = num("units", &args.units)?;
    print_sci(&sci::for_run(&view, given, units, &args.per)?, args.json)
}

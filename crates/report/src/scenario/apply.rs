//! What each lever does to the cells, usage and cost lines of a scenario: one arm per
//! [`Lever`] variant. A lever that moves a share of a cell splits it; the rest keeps the old
//! factors. Method: `docs/methods/scenarios.md`.

use std::path::{Path, PathBuf};

use super::cells::{Cell, State, selects};
use super::lever::{Lever, parse_change};
use super::run::Context;
use super::series::Series;
use crate::error::{ReportError, Result};
use sustain_sched::shift::{ShiftRequest, Shifted, shift};

/// Looks up the measured energy factor of an optimization (`quantize`, `prune`) of a model.
pub(crate) type Measured<'a> = dyn Fn(&str, Option<&str>) -> Option<(f64, String)> + 'a;

/// Where to look for a relative series path: as given, then beside the scenario file.
fn resolve(path: &str, base: Option<&Path>) -> PathBuf {
    let p = PathBuf::from(path);
    if p.is_absolute() || p.exists() {
        return p;
    }
    match base.and_then(Path::parent) {
        Some(dir) => dir.join(&p),
        None => p,
    }
}

/// Applies lever `n`; returns the cells it changed and the basis of its effect.
pub(crate) fn apply(
    l: &Lever,
    n: usize,
    st: &mut State,
    ctx: &Context<'_>,
    measured: &Measured<'_>,
    notes: &mut Vec<String>,
) -> Result<(u64, String)> {
    let (sites, accelerators, base) = (ctx.sites, ctx.accelerators, ctx.file);
    let kind = l.kind().name();
    let sel = l.selection();
    let share = l.share();
    let mut changed = 0u64;
    let lever = |field: &str| format!("{field} of lever {n} ({kind})");
    // Levers that change a share of a cell split it: the rest keeps the old factors.
    // `also` narrows the lever's own filters.
    let split = |st: &mut State, also: &dyn Fn(&Cell) -> bool, f: &dyn Fn(&mut Cell)| -> u64 {
        let mut out = Vec::with_capacity(st.cells.len());
        let mut k = 0;
        for c in st.cells.drain(..) {
            if !selects(&sel, &c) || !also(&c) {
                out.push(c);
                continue;
            }
            k += 1;
            if share < 1.0 {
                out.push(c.scaled(1.0 - share));
            }
            let mut moved = c.scaled(share);
            if share < 1.0 {
                moved.runs = 0; // runs are counted once, in the part that stays
            }
            f(&mut moved);
            out.push(moved);
        }
        st.cells = out;
        k
    };
    let basis = match l {
        Lever::MoveSite { to, from, .. } => {
            let to = sites
                .get(to)
                .map_err(|e| ReportError::invalid(lever("to"), to.clone(), e.to_string()))?;
            if let Some(from) = from {
                sites.get(from).map_err(|e| {
                    ReportError::invalid(lever("from"), from.clone(), e.to_string())
                })?;
            }
            let (pue, intensity) = (to.pue.value(), to.intensity.g_per_kwh());
            let water = to.wue.l_per_kwh() / pue + to.offsite_water.map_or(0.0, |w| w.l_per_kwh());
            let market = to.market_intensity.map(|m| m.g_per_kwh());
            let price = to
                .price
                .as_ref()
                .map(|p| (p.currency().code().to_string(), p.amount_per_kwh()));
            let id = to.record.id.clone();
            let f = |c: &mut Cell| {
                c.site = id.clone();
                c.pue = pue;
                c.intensity = intensity;
                c.shift = 1.0;
                c.water = water;
                c.market = market;
                // A cost is only re-priced where both sites have a price: a run whose cost was
                // unknown stays unknown, and one moved to a site without a price keeps its old
                // price (noted below) rather than looking free.
                if c.price.is_some() && price.is_some() {
                    c.price = price.clone();
                }
            };
            // Cells already at the destination keep their recorded factors.
            changed = split(
                st,
                &|c| from.as_ref().is_none_or(|s| *s == c.site) && c.site != id,
                &f,
            );
            if price.is_none() && changed > 0 {
                notes.push(format!(
                    "lever {n} (move-site): {} has no electricity price, so the moved energy keeps its old price",
                    to.record.id
                ));
            }
            format!(
                "{}: {} g/kWh ({}), PUE {}",
                to.record.id,
                to.intensity.g_per_kwh(),
                to.record.source,
                to.pue.value()
            )
        }
        Lever::Hardware { .. } | Lever::Quantize { .. } | Lever::Prune { .. } => {
            let (factor, basis) = match (l.energy_factor(), l) {
                (Some(f), _) => (f, format!("energy × {f} as given in the scenario")),
                (
                    None,
                    Lever::Hardware {
                        from, to, precision, ..
                    },
                ) => {
                    let precision = precision.as_deref().unwrap_or("bf16");
                    let per_op = |id: &str, field: &str| -> Result<(f64, String)> {
                        let d = accelerators
                            .get(id)
                            .map_err(|e| ReportError::invalid(lever(field), id, e.to_string()))?;
                        let w = d.typical_training_power().map(|p| p.watts()).ok_or_else(|| {
                            ReportError::invalid(
                                lever(field),
                                id,
                                "an accelerator with a published power; give energy_factor instead",
                            )
                        })?;
                        let t = d.peak_tflops(precision).ok_or_else(|| {
                            ReportError::invalid(
                                lever(field),
                                id,
                                format!("an accelerator with a published {precision} peak; choose another precision or give energy_factor"),
                            )
                        })?;
                        Ok((w / t, d.name.clone()))
                    };
                    let (a, an) = per_op(from.as_deref().unwrap_or_default(), "from")?;
                    let (b, bn) = per_op(to.as_deref().unwrap_or_default(), "to")?;
                    (
                        b / a,
                        format!(
                            "energy per {precision} operation, typical power / peak throughput (modelled, data/accelerators.csv): {bn} {:.3} vs {an} {:.3} W per TFLOP/s",
                            b, a
                        ),
                    )
                }
                (None, _) => measured(kind, sel.model).ok_or_else(|| {
                    ReportError::invalid(
                        lever("energy_factor"),
                        "none",
                        format!(
                            "energy_factor = 0.6 (say), or run `sustain compare {} <its {kind}d model>` so the effect is measured",
                            sel.model.unwrap_or("the model")
                        ),
                    )
                })?,
            };
            changed = split(st, &|_| true, &|c: &mut Cell| c.it_wh *= factor);
            basis
        }
        Lever::ShiftHours {
            series,
            window_hours,
            interruptible,
            ..
        } => {
            let path = resolve(series, base);
            let series = Series::read(&path)?;
            let window = window_hours.unwrap_or(24);
            let interruptible = interruptible.unwrap_or(false);
            // Each selected cell's runs as jobs: submitted at their start hour (the hour is all a
            // cell keeps of their starts), as long as their mean duration (at least a minute),
            // due window hours after they would have finished. The runs of a cell are identical
            // jobs and capacity is unlimited, so the policy places them alike: one request
            // stands for them all.
            let mut requests = Vec::new();
            let mut asked = Vec::new();
            for (i, c) in st.cells.iter().enumerate() {
                let minutes = c.run_min.max(1.0);
                if let Some(t) = selects(&sel, c)
                    .then_some(c.hour)
                    .flatten()
                    .and_then(|h| series.locate(h, minutes))
                {
                    requests.push(ShiftRequest {
                        submit: t,
                        duration_min: minutes,
                        window_min: f64::from(window) * 60.0,
                        interruptible,
                    });
                    asked.push(i);
                }
            }
            let placed = shift(&series.series, &requests).map_err(|e| {
                ReportError::invalid(lever("series"), path.display().to_string(), e.to_string())
            })?;
            let mut found: Vec<Option<Shifted>> = vec![None; st.cells.len()];
            for (i, p) in asked.into_iter().zip(placed) {
                found[i] = p;
            }
            let mut missing = 0u64;
            let mut out = Vec::with_capacity(st.cells.len());
            let (mut now_sum, mut best_sum, mut e_sum, mut waited) = (0.0, 0.0, 0.0, 0u64);
            for (c, found) in st.cells.drain(..).zip(found) {
                match (selects(&sel, &c), found) {
                    (true, Some(p)) if p.fifo_g_per_kwh > 0.0 => {
                        changed += 1;
                        if share < 1.0 {
                            out.push(c.scaled(1.0 - share));
                        }
                        let mut moved = c.scaled(share);
                        if share < 1.0 {
                            moved.runs = 0;
                        }
                        let e = moved.facility_wh();
                        now_sum += e * p.fifo_g_per_kwh;
                        best_sum += e * p.scheduled_g_per_kwh;
                        e_sum += e;
                        waited += u64::from(p.scheduled_g_per_kwh < p.fifo_g_per_kwh);
                        moved.shift *= p.scheduled_g_per_kwh / p.fifo_g_per_kwh;
                        out.push(moved);
                    }
                    (true, _) => {
                        missing += 1;
                        out.push(c);
                    }
                    (false, _) => out.push(c),
                }
            }
            st.cells = out;
            if missing > 0 {
                notes.push(format!(
                    "lever {n} (shift-hours): {missing} cells have no hour in {} that covers their runs (or it is zero there) and are left as they are",
                    series.path.display()
                ));
            }
            let avg = |v: f64| if e_sum > 0.0 { v / e_sum } else { 0.0 };
            format!(
                "{}: the carbon policy of sustain-sched on this series taken as a perfect forecast, each cell's runs as jobs of their mean duration submitted at their start hour and due {window} h after they would have finished{}; energy-weighted intensity {:.1} g/kWh at the actual hours, {:.1} as scheduled ({waited} of {changed} cells wait for a lower one; applied as a ratio to each cell's booked intensity)",
                series.path.display(),
                if interruptible { ", interruptible" } else { "" },
                avg(now_sum),
                avg(best_sum)
            )
        }
        Lever::Pue { pue, .. } => {
            let p = *pue;
            changed = split(st, &|_| true, &|c: &mut Cell| {
                // Water per facility kWh: on-site water follows IT energy, so it scales by
                // old PUE / new PUE; off-site water is per facility kWh and stays.
                c.water *= c.pue / p;
                c.pue = p;
            });
            notes.push(format!(
                "lever {n} (pue): on-site and off-site water are not separated in the ledger's totals, so water per facility kWh is scaled by the PUE ratio (an upper bound on the change)"
            ));
            format!("PUE {p}")
        }
        Lever::ContractualPower { g_per_kwh, .. } => {
            let g = g_per_kwh.unwrap_or(0.0);
            // The share is taken per cell, not by splitting: location-based carbon is untouched.
            let mut k = 0;
            for c in st.cells.iter_mut().filter(|c| selects(&sel, c)) {
                k += 1;
                let rest = c.market.unwrap_or(c.intensity * c.shift);
                c.market = Some(share * g + (1.0 - share) * rest);
            }
            changed = k;
            format!(
                "{:.0} % of the energy at {g} g/kWh (market-based only; the rest at the site's market factor or, without one, its grid intensity)",
                share * 100.0
            )
        }
        Lever::EnergyPrice {
            price_per_kwh,
            currency,
            ..
        } => {
            let p = *price_per_kwh;
            let cur = currency.to_ascii_uppercase();
            sustain_core::units::Currency::new(&cur)
                .map_err(|e| ReportError::invalid(lever("currency"), cur.clone(), e.to_string()))?;
            let (mut k, mut unknown) = (0, 0);
            for c in st.cells.iter_mut().filter(|c| selects(&sel, c)) {
                k += 1;
                if c.price.is_none() && c.fixed.is_empty() {
                    unknown += c.runs;
                }
                c.price = Some((cur.clone(), p));
            }
            changed = k;
            if unknown > 0 {
                notes.push(format!(
                    "lever {n} (energy-price): {unknown} runs had no cost (no price at their site); the scenario prices them, so its cost includes energy the actual cost does not"
                ));
            }
            format!("{p} {cur} per kWh")
        }
        Lever::Price {
            product, change, ..
        }
        | Lever::Volume {
            product, change, ..
        } => {
            let volume = matches!(l, Lever::Volume { .. });
            let x = parse_change(&lever("change"), change)?;
            if !st.usage.iter().any(|u| u.product == *product) {
                notes.push(format!(
                    "lever {n} ({kind}): product {product} has no usage in this period, so its revenue does not change"
                ));
            }
            for u in st.usage.iter_mut().filter(|u| u.product == *product) {
                u.revenue *= 1.0 + x;
                if volume {
                    u.requests = (u.requests as f64 * (1.0 + x)).round() as u64;
                    u.tokens = (u.tokens as f64 * (1.0 + x)).round() as u64;
                }
            }
            if volume {
                changed = split(st, &|_| true, &|c: &mut Cell| {
                    c.it_wh *= 1.0 + x;
                    c.embodied_g *= 1.0 + x;
                });
                format!(
                    "{product}: usage, revenue and its runs' energy × {:.3}",
                    1.0 + x
                )
            } else {
                format!("{product}: revenue × {:.3} (volume unchanged)", 1.0 + x)
            }
        }
    };
    Ok((changed, basis))
}

//! Sweeps: the same estimate over a grid of options (`--sweep site=FR,DE --sweep
//! hardware=a100-80gb,h100-sxm`), sorted by carbon or cost. Generic over the estimate: training
//! and serving requests both plug in through [`Request`] and [`Scored`].

use serde_json::{Value, json};

use crate::error::{EstimateError, Result};
use crate::infer::{INFER_KEYS, InferEstimate, InferRequest};
use crate::train::{TRAIN_KEYS, TrainEstimate, TrainRequest};

/// Most points a sweep may have.
pub const MAX_POINTS: usize = 1_000_000;

/// A request whose inputs can be set by flag name.
pub trait Request: Clone {
    /// The inputs `set` accepts.
    const KEYS: &'static [&'static str];
    /// Sets one input.
    fn set(&mut self, key: &str, value: &str) -> Result<()>;
}

impl Request for TrainRequest {
    const KEYS: &'static [&'static str] = TRAIN_KEYS;
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        TrainRequest::set(self, key, value)
    }
}

impl Request for InferRequest {
    const KEYS: &'static [&'static str] = INFER_KEYS;
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        InferRequest::set(self, key, value)
    }
}

/// An estimate that a sweep can rank.
pub trait Scored {
    /// Location-based operational plus embodied carbon, kg.
    fn carbon_kg(&self) -> f64;
    /// Cost amount and currency, when known.
    fn cost(&self) -> Option<(f64, String)>;
    /// The figures as JSON, without the inputs and assumptions that every point shares.
    fn figures_json(&self) -> Value;
}

fn strip(mut j: Value) -> Value {
    if let Some(obj) = j.as_object_mut() {
        obj.remove("inputs");
        obj.remove("assumptions");
    }
    j
}

impl Scored for TrainEstimate {
    fn carbon_kg(&self) -> f64 {
        self.co2e_location.kg() + self.embodied.map(|m| m.kg()).unwrap_or(0.0)
    }
    fn cost(&self) -> Option<(f64, String)> {
        self.cost
            .as_ref()
            .map(|c| (c.amount, c.currency.code().to_string()))
    }
    fn figures_json(&self) -> Value {
        strip(self.to_json())
    }
}

impl Scored for InferEstimate {
    fn carbon_kg(&self) -> f64 {
        self.total.co2e_location.kg() + self.total.embodied.map(|m| m.kg()).unwrap_or(0.0)
    }
    fn cost(&self) -> Option<(f64, String)> {
        self.total
            .cost
            .as_ref()
            .map(|c| (c.amount, c.currency.code().to_string()))
    }
    fn figures_json(&self) -> Value {
        let mut j = strip(self.to_json());
        if let Some(obj) = j.as_object_mut() {
            obj.remove("batch_sizes");
        }
        j
    }
}

/// One swept input and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The input's flag name.
    pub key: String,
    /// Its values, as typed.
    pub values: Vec<String>,
}

/// Parses `KEY=V1,V2,...` for a request type with these `keys`.
pub fn parse_axis(text: &str, keys: &[&str]) -> Result<Axis> {
    let bad = |why: &str| {
        EstimateError::Parse(format!(
            "invalid --sweep {text:?}: {why}; expected KEY=V1,V2,... such as site=FR,DE,US-CA or hardware=a100-80gb,h100-sxm"
        ))
    };
    let (k, v) = text.split_once('=').ok_or_else(|| bad("no '='"))?;
    let key = k.trim().trim_start_matches("--").to_string();
    if !keys.contains(&key.as_str()) {
        return Err(EstimateError::Parse(format!(
            "invalid --sweep {text:?}: unknown input '{key}'; inputs are: {}",
            keys.join(", ")
        )));
    }
    let values: Vec<String> = v
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if values.is_empty() {
        return Err(bad("no values"));
    }
    Ok(Axis { key, values })
}

/// The bar chart (SVG) of the best `top` points of a sweep (at most 60), by what it is sorted
/// by; `what` names the options ("Training options").
pub fn chart<E: Scored>(points: &[Point<E>], sort: SortBy, top: usize, what: &str) -> String {
    use sustain_core::chart::{Bar, bar_chart};
    use sustain_core::units::CarbonMass;
    let metric = match sort {
        SortBy::Carbon => "CO2e, location-based operational + embodied",
        SortBy::Cost => "cost",
    };
    let bars: Vec<Bar> = points
        .iter()
        .filter(|p| p.result.is_ok())
        .take(top.clamp(1, 60))
        .map(|p| {
            let (value, annotation) = match sort {
                SortBy::Carbon => {
                    let kg = p.total_co2e_kg().unwrap_or(0.0);
                    (kg, CarbonMass::from_kg(kg).human())
                }
                SortBy::Cost => {
                    let (c, cur) = p.cost().unwrap_or((0.0, String::new()));
                    (c, format!("{} {cur}", sustain_core::format::sig(c)))
                }
            };
            Bar {
                label: p.label(),
                value,
                annotation,
            }
        })
        .collect();
    bar_chart(&format!("{what} by {metric}, best first"), metric, &bars)
}

/// What to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum SortBy {
    /// Location-based carbon, operational plus embodied.
    Carbon,
    /// Cost (points without a cost last).
    Cost,
}

/// One point of the grid.
#[derive(Debug, Clone)]
pub struct Point<E> {
    /// The swept inputs' values at this point.
    pub at: Vec<(String, String)>,
    /// The estimate, or why there is none (an unsupported precision on one device, say).
    pub result: std::result::Result<E, String>,
}

impl<E: Scored> Point<E> {
    /// Operational location-based plus embodied carbon, kg.
    pub fn total_co2e_kg(&self) -> Option<f64> {
        self.result.as_ref().ok().map(Scored::carbon_kg)
    }

    /// Cost amount and currency.
    pub fn cost(&self) -> Option<(f64, String)> {
        self.result.as_ref().ok().and_then(Scored::cost)
    }

    /// A label such as `site=FR hardware=h100-sxm`.
    pub fn label(&self) -> String {
        self.at
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// JSON: the swept values, then the figures or the error.
    pub fn to_json(&self) -> Value {
        let at: serde_json::Map<String, Value> = self
            .at
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        match &self.result {
            Ok(e) => {
                let mut j = e.figures_json();
                j["at"] = Value::Object(at);
                j["total_co2e_kg"] = json!(e.carbon_kg());
                j
            }
            Err(msg) => json!({"at": at, "error": msg}),
        }
    }
}

/// Evaluates `base` at every combination of the axes with `eval`, sorted.
pub fn sweep<R, E, F>(base: &R, axes: &[Axis], sort: SortBy, eval: F) -> Result<Vec<Point<E>>>
where
    R: Request,
    E: Scored,
    F: Fn(&R) -> Result<E>,
{
    let total = axes
        .iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.values.len()));
    match total {
        Some(n) if n <= MAX_POINTS => {}
        _ => {
            return Err(EstimateError::Parse(format!(
                "the sweep has more than {MAX_POINTS} points; use fewer values"
            )));
        }
    }
    let mut keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    keys.sort_unstable();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(EstimateError::Parse(format!(
            "--sweep {} is given twice; put all its values in one --sweep",
            w[0]
        )));
    }
    let mut points = Vec::new();
    let mut idx = vec![0usize; axes.len()];
    loop {
        let mut req = base.clone();
        let mut at = Vec::with_capacity(axes.len());
        let mut set_err = None;
        for (a, &i) in axes.iter().zip(&idx) {
            let v = &a.values[i];
            if let Err(e) = req.set(&a.key, v) {
                set_err.get_or_insert(e.to_string());
            }
            at.push((a.key.clone(), v.clone()));
        }
        let result = match set_err {
            Some(e) => Err(e),
            None => eval(&req).map_err(|e| e.to_string()),
        };
        points.push(Point { at, result });
        // Next combination (odometer).
        let mut d = axes.len();
        loop {
            if d == 0 {
                sort_points(&mut points, sort);
                return Ok(points);
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < axes[d].values.len() {
                break;
            }
            idx[d] = 0;
        }
    }
}

fn sort_points<E: Scored>(points: &mut [Point<E>], sort: SortBy) {
    let key = |p: &Point<E>| match sort {
        SortBy::Carbon => p.total_co2e_kg(),
        SortBy::Cost => p.cost().map(|c| c.0),
    };
    points.sort_by(|a, b| match (key(a), key(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

//! Jobs to schedule, from CSV or TOML, each checked before anything is planned.
//!
//! CSV columns (header names, any order): `id`, `submit`, `duration_min`, `deadline` (the job
//! must *finish* by then) required; `interruptible` (true/false, default false), `power_kw`
//! (default 1.0) or `gpus` with `device` (a catalog accelerator: gpus × its typical training
//! draw), `params` and `tokens` (with `gpus` and `device`, and no `duration_min`: the duration
//! and draw of `sustain estimate train` for that model size), `priority` (integer, higher first, default 0), `site` (home site: where and when the
//! baseline runs it), `sites` (allowed sites, `;`-separated; default the home site only),
//! `command` (what an executor runs). TOML: the same fields in `[[job]]` tables.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SchedError, invalid, io};
use crate::time::{at, format_timestamp, parse_timestamp};

/// The default draw of a job without `power_kw` or `gpus`, kW.
pub const DEFAULT_POWER_KW: f64 = 1.0;

/// A job, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// Unique id.
    pub id: String,
    /// When it is submitted (it cannot start before).
    #[serde(serialize_with = "ser_time")]
    pub submit: NaiveDateTime,
    /// How long it runs, minutes.
    pub duration_min: f64,
    /// When it must have finished.
    #[serde(serialize_with = "ser_time")]
    pub deadline: NaiveDateTime,
    /// Whether it may be suspended and resumed.
    pub interruptible: bool,
    /// Its draw while running, kW.
    pub power_kw: f64,
    /// Higher runs first.
    pub priority: i64,
    /// Home site: where the baseline runs it (`None`: the only site given).
    pub site: Option<String>,
    /// Sites it may run at (empty: the home site only).
    pub sites: Vec<String>,
    /// What an executor runs.
    pub command: Option<String>,
    /// Where it was read (`jobs.csv line 4`), for messages.
    #[serde(skip)]
    pub origin: String,
}

fn ser_time<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(*t))
}

impl Job {
    /// Its energy, kWh (power × duration).
    pub fn energy_kwh(&self) -> f64 {
        self.power_kw * self.duration_min / 60.0
    }

    /// When it would finish if started at submit.
    pub fn earliest_finish(&self) -> NaiveDateTime {
        at(self.submit, self.duration_min.ceil() as i64)
    }
}

/// A row as written, before checks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    id: Option<String>,
    submit: Option<String>,
    duration_min: Option<String>,
    deadline: Option<String>,
    interruptible: Option<String>,
    power_kw: Option<String>,
    gpus: Option<String>,
    device: Option<String>,
    params: Option<String>,
    tokens: Option<String>,
    priority: Option<String>,
    site: Option<String>,
    sites: Option<String>,
    command: Option<String>,
}

/// The columns a jobs file may have, for messages.
pub const COLUMNS: &str = "id, submit, duration_min, deadline, interruptible, power_kw, gpus, device, params, tokens, priority, site, sites, command";

/// Reads jobs from a `.csv` or `.toml` file.
pub fn read(path: &Path) -> Result<Vec<Job>> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let name = path.display().to_string();
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let raws = if is_toml {
        read_toml(&name, &text)?
    } else {
        read_csv(&name, &text)?
    };
    check_all(raws)
}

/// Reads jobs from CSV text; `name` is the file in messages.
pub fn from_csv(name: &str, text: &str) -> Result<Vec<Job>> {
    check_all(read_csv(name, text)?)
}

fn read_csv(name: &str, text: &str) -> Result<Vec<(String, RawJob)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| invalid(format!("{name} header"), e, COLUMNS))?
        .clone();
    for h in &header {
        if !COLUMNS.split(", ").any(|c| c == h) {
            return Err(invalid(
                format!("{name} column"),
                h,
                format!("one of {COLUMNS}"),
            ));
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| invalid(name.to_string(), e, "a CSV row per job"))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let raw: RawJob = record
            .deserialize(Some(&header))
            .map_err(|e| invalid(format!("{name} line {line}"), e, COLUMNS))?;
        out.push((format!("{name} line {line}"), raw));
    }
    Ok(out)
}

fn read_toml(name: &str, text: &str) -> Result<Vec<(String, RawJob)>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        job: Vec<toml::Table>,
    }
    let file: File = toml::from_str(text).map_err(|e| {
        invalid(
            name.to_string(),
            e.message(),
            "[[job]] tables with the fields of a jobs CSV",
        )
    })?;
    file.job
        .into_iter()
        .enumerate()
        .map(|(i, table)| {
            let at = format!("{name} job {}", i + 1);
            // Values as their text, so CSV and TOML go through one set of checks.
            let mut raw = toml::Table::new();
            for (k, v) in table {
                let text = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(";"),
                    other => other.to_string(),
                };
                raw.insert(k, toml::Value::String(text));
            }
            let raw: RawJob = raw
                .try_into()
                .map_err(|e: toml::de::Error| invalid(at.clone(), e.message(), COLUMNS))?;
            Ok((at, raw))
        })
        .collect()
}

fn check_all(raws: Vec<(String, RawJob)>) -> Result<Vec<Job>> {
    let mut seen = HashSet::new();
    let mut jobs = Vec::with_capacity(raws.len());
    for (origin, raw) in raws {
        let job = check(&origin, raw)?;
        if !seen.insert(job.id.clone()) {
            return Err(invalid(
                format!("{origin}, id"),
                &job.id,
                "an id used by no other job",
            ));
        }
        jobs.push(job);
    }
    if jobs.is_empty() {
        return Err(SchedError::Inconsistent(
            "no jobs: the file has a header but no rows".into(),
        ));
    }
    Ok(jobs)
}

fn required<'a>(origin: &str, field: &str, v: &'a Option<String>) -> Result<&'a str> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(invalid(
            format!("{origin}, {field}"),
            "",
            "a value (the column is required)",
        )),
    }
}

fn check(origin: &str, raw: RawJob) -> Result<Job> {
    let id = required(origin, "id", &raw.id)?.to_string();
    let at_job = |field: &str| format!("{origin} (job {id}), {field}");
    let submit = parse_timestamp(&at_job("submit"), required(origin, "submit", &raw.submit)?)?;
    let deadline = parse_timestamp(
        &at_job("deadline"),
        required(origin, "deadline", &raw.deadline)?,
    )?;
    let estimated = estimated(&at_job, &raw)?;
    let duration_min: f64 = match (&estimated, given(&raw.duration_min)) {
        (Some(_), Some(d)) => {
            return Err(invalid(
                at_job("duration_min"),
                d,
                "either duration_min or params and tokens (estimated), not both",
            ));
        }
        (Some(e), None) => e.0,
        (None, _) => {
            let d = required(origin, "duration_min", &raw.duration_min)?;
            d.parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v > 0.0 && *v <= 366.0 * 1440.0)
                .ok_or_else(|| {
                    invalid(
                        at_job("duration_min"),
                        d,
                        "minutes, above 0 and at most a year",
                    )
                })?
        }
    };
    let interruptible = match raw.interruptible.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            _ => return Err(invalid(at_job("interruptible"), v, "true or false")),
        },
    };
    let power_kw = match estimated {
        Some((_, kw)) if given(&raw.power_kw).is_none() => kw,
        _ => power(&at_job, &raw)?,
    };
    let priority = match raw.priority.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(v) => v
            .parse()
            .map_err(|_| invalid(at_job("priority"), v, "an integer (higher runs first)"))?,
    };
    let site = raw
        .site
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let sites: Vec<String> = raw
        .sites
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let finish = at(submit, duration_min.ceil() as i64);
    if deadline < finish {
        return Err(invalid(
            at_job("deadline"),
            format_timestamp(deadline),
            format!(
                "a time at or after submit + duration ({} + {} min = {})",
                format_timestamp(submit),
                duration_min,
                format_timestamp(finish)
            ),
        ));
    }
    Ok(Job {
        id,
        submit,
        duration_min,
        deadline,
        interruptible,
        power_kw,
        priority,
        site,
        sites,
        command: raw.command.filter(|c| !c.trim().is_empty()),
        origin: origin.to_string(),
    })
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Duration (minutes) and IT draw (kW) from `params` and `tokens` on `gpus` × `device`, as
/// `sustain estimate train` makes them (6·N·D FLOPs at the device's model-FLOPs utilization;
/// `docs/methods/estimate-train.md`). `None` when neither is given.
fn estimated(at_job: &dyn Fn(&str) -> String, raw: &RawJob) -> Result<Option<(f64, f64)>> {
    let (params, tokens) = (given(&raw.params), given(&raw.tokens));
    if params.is_none() && tokens.is_none() {
        return Ok(None);
    }
    let expected = "params and tokens together, with gpus and device (e.g. 7B, 1T, 64, h100-sxm)";
    let (Some(params), Some(tokens), Some(gpus), Some(device)) =
        (params, tokens, given(&raw.gpus), given(&raw.device))
    else {
        return Err(invalid(at_job("params"), "incomplete", expected));
    };
    let number = |key: &str, text: &str| {
        sustain_estimate::train::parse_number(key, text)
            .map_err(|e| invalid(at_job(key), text, e.to_string()))
    };
    let request = sustain_estimate::TrainRequest {
        hardware: Some(device),
        devices: Some(number("gpus", &gpus)?),
        params: Some(number("params", &params)?),
        tokens: Some(number("tokens", &tokens)?),
        ..Default::default()
    };
    let sites = sustain_core::site::SiteCatalog::bundled()?;
    let hardware = sustain_core::hardware::AcceleratorCatalog::bundled()?;
    let e = sustain_estimate::estimate_train(
        &request,
        sustain_estimate::Catalogs {
            sites: &sites,
            hardware: &hardware,
        },
    )
    .map_err(|e| {
        invalid(
            at_job("params"),
            &params,
            format!("a model size the estimator takes ({e})"),
        )
    })?;
    let minutes = (e.days * 1440.0).ceil();
    if !(minutes > 0.0 && minutes <= 366.0 * 1440.0) {
        return Err(invalid(
            at_job("params"),
            params,
            format!("a job of at most a year (estimated {:.1} days)", e.days),
        ));
    }
    Ok(Some((minutes, e.it_energy.kwh() / (e.days * 24.0))))
}

fn power(at_job: &dyn Fn(&str) -> String, raw: &RawJob) -> Result<f64> {
    match (given(&raw.power_kw), given(&raw.gpus), given(&raw.device)) {
        (Some(_), Some(_), _) => Err(invalid(
            at_job("power_kw"),
            "with gpus",
            "either power_kw or gpus and device, not both",
        )),
        (Some(p), None, _) => p
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && (0.0..=100_000.0).contains(v))
            .ok_or_else(|| invalid(at_job("power_kw"), &p, "kilowatts, 0 to 100000")),
        (None, Some(g), device) => {
            let gpus: u32 = g
                .parse()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    invalid(at_job("gpus"), &g, "a whole number of devices, 1 or more")
                })?;
            let device = device.ok_or_else(|| {
                invalid(
                    at_job("device"),
                    "",
                    "a catalog accelerator id with gpus (`sustain catalog hardware`)",
                )
            })?;
            let catalog = sustain_core::hardware::AcceleratorCatalog::bundled()?;
            let record = catalog.get(&device)?;
            let watts = record
                .typical_training_power()
                .or_else(|| record.tdp())
                .ok_or_else(|| {
                    invalid(
                        at_job("device"),
                        &device,
                        "a catalog device with a known draw, or power_kw",
                    )
                })?
                .watts();
            Ok(f64::from(gpus) * watts / 1000.0)
        }
        (None, None, Some(d)) => Err(invalid(
            at_job("gpus"),
            "",
            format!("a number of {d} devices"),
        )),
        (None, None, None) => Ok(DEFAULT_POWER_KW),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "id,submit,duration_min,deadline,interruptible,power_kw,priority,site,sites\n";

    #[test]
    fn a_full_row_reads_with_its_defaults() {
        let jobs = from_csv(
            "jobs.csv",
            &format!("{HEADER}a,2020-03-02 09:00,240,2020-03-03 09:00,true,2.5,3,gb,gb;fr\nb,2020-03-02T10:00:00Z,30,2020-03-02 11:00,,,,,\n"),
        )
        .unwrap();
        assert_eq!(jobs[0].sites, vec!["gb", "fr"]);
        assert!(jobs[0].interruptible);
        assert_eq!(jobs[0].power_kw, 2.5);
        assert_eq!(jobs[0].priority, 3);
        assert_eq!(jobs[1].power_kw, DEFAULT_POWER_KW);
        assert!(!jobs[1].interruptible);
        assert_eq!(jobs[1].site, None);
        assert!((jobs[0].energy_kwh() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn bad_rows_are_named_with_what_would_be_right() {
        let cases = [
            ("a,2020-03-02 09:00,240,2020-03-02 12:00,,,,,", "deadline"),
            ("a,2020-03-02 09:00,240,2020-03-03 09:00,,-1,,,", "power_kw"),
            ("a,02/03/2020 09:00,240,2020-03-03 09:00,,,,,", "submit"),
            (
                "a,2020-03-02 09:00,abc,2020-03-03 09:00,,,,,",
                "duration_min",
            ),
            (
                "a,2020-03-02 09:00,240,2020-03-03 09:00,maybe,,,,",
                "interruptible",
            ),
            (
                "a,2020-03-02 09:00,240,2020-03-03 09:00,,,high,,",
                "priority",
            ),
        ];
        for (row, field) in cases {
            let e = from_csv("jobs.csv", &format!("{HEADER}{row}\n")).unwrap_err();
            let m = e.to_string();
            assert!(e.is_bad_input(), "{m}");
            assert!(
                m.contains("jobs.csv line 2") && m.contains(field) && m.contains("expected"),
                "{field}: {m}"
            );
        }
        let dup = from_csv(
            "jobs.csv",
            &format!("{HEADER}a,2020-03-02 09:00,30,2020-03-03 09:00,,,,,\na,2020-03-02 09:00,30,2020-03-03 09:00,,,,,\n"),
        )
        .unwrap_err();
        assert!(dup.to_string().contains("line 3, id"), "{dup}");
        let col = from_csv("jobs.csv", "id,submit,runtime\n").unwrap_err();
        assert!(
            col.to_string().contains("runtime") && col.to_string().contains("duration_min"),
            "{col}"
        );
    }

    #[test]
    fn gpus_of_a_catalog_device_give_the_power() {
        let jobs = from_csv(
            "jobs.csv",
            "id,submit,duration_min,deadline,gpus,device\na,2020-03-02 09:00,60,2020-03-02 18:00,8,h100-sxm\n",
        )
        .unwrap();
        // 8 × 700 W, the catalog's typical training draw of an H100 SXM.
        assert!(
            (jobs[0].power_kw - 5.6).abs() < 1e-12,
            "{}",
            jobs[0].power_kw
        );
        let e = from_csv(
            "jobs.csv",
            "id,submit,duration_min,deadline,gpus,device,power_kw\na,2020-03-02 09:00,60,2020-03-02 18:00,8,h100-sxm,3\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("either power_kw or gpus"), "{e}");
        let e = from_csv(
            "jobs.csv",
            "id,submit,duration_min,deadline,gpus,device\na,2020-03-02 09:00,60,2020-03-02 18:00,8,h900\n",
        )
        .unwrap_err();
        assert!(e.is_bad_input(), "{e}");
    }

    #[test]
    fn a_model_size_gives_the_duration_and_draw_sustain_estimate_gives() {
        let jobs = from_csv(
            "jobs.csv",
            "id,submit,deadline,gpus,device,params,tokens\na,2020-03-02 09:00,2020-03-09 09:00,64,h100-sxm,7B,100B\n",
        )
        .unwrap();
        let sites = sustain_core::site::SiteCatalog::bundled().unwrap();
        let hardware = sustain_core::hardware::AcceleratorCatalog::bundled().unwrap();
        let e = sustain_estimate::estimate_train(
            &sustain_estimate::TrainRequest {
                hardware: Some("h100-sxm".into()),
                devices: Some(64.0),
                params: Some(7e9),
                tokens: Some(1e11),
                ..Default::default()
            },
            sustain_estimate::Catalogs {
                sites: &sites,
                hardware: &hardware,
            },
        )
        .unwrap();
        assert_eq!(jobs[0].duration_min, (e.days * 1440.0).ceil());
        let draw_kw = e.it_energy.kwh() / (e.days * 24.0);
        assert!((jobs[0].power_kw - draw_kw).abs() < 1e-9 * draw_kw);
        let e = from_csv(
            "jobs.csv",
            "id,submit,deadline,params,tokens\na,2020-03-02 09:00,2020-03-09 09:00,7B,100B\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("gpus and device"), "{e}");
    }

    #[test]
    fn toml_jobs_read_like_csv_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("jobs.toml");
        std::fs::write(
            &p,
            "[[job]]\nid = \"a\"\nsubmit = \"2020-03-02 09:00\"\nduration_min = 240\ndeadline = \"2020-03-03 09:00\"\ninterruptible = true\nsites = [\"gb\", \"fr\"]\nsite = \"gb\"\n",
        )
        .unwrap();
        let jobs = read(&p).unwrap();
        assert_eq!(jobs[0].duration_min, 240.0);
        assert_eq!(jobs[0].sites, vec!["gb", "fr"]);
        assert!(jobs[0].interruptible);
    }
}

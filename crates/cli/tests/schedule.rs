//! `sustain schedule` end to end: simulate, plan and best on the shared 2020 series, figures
//! checked against an independent computation here; the executors' files; and every kind of bad
//! input the issue names, each a clear error and exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sustain");
const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/carbon-intensity"
);

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env("SUSTAIN_LEDGER", self.path("ledger.sqlite"))
            .env("HOME", self.dir.path())
            .env_remove("SUSTAIN_CONFIG")
            .output()
            .unwrap()
    }
    fn json(&self, args: &[&str]) -> Value {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    }
}

fn gb() -> String {
    format!("gb={SHARED}/gb_2020.csv")
}

/// Great Britain's 2020 series as (minute since 2019-12-20 00:00, value) at 30 minutes: the
/// 15-minute stretch from 31 October averaged in pairs, as a user would with a spreadsheet.
fn gb_half_hours() -> Vec<f64> {
    let text = std::fs::read_to_string(Path::new(SHARED).join("gb_2020.csv")).unwrap();
    let mut slots: std::collections::BTreeMap<i64, (f64, u32)> = Default::default();
    let origin = chrono::NaiveDate::from_ymd_opt(2019, 12, 20)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    for line in text.lines().skip(1) {
        let (t, v) = line.split_once(',').unwrap();
        let t = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
        let slot = (t - origin).num_minutes().div_euclid(30);
        let e = slots.entry(slot).or_default();
        e.0 += v.parse::<f64>().unwrap();
        e.1 += 1;
    }
    let n = *slots.keys().last().unwrap() as usize + 1;
    let mut out = vec![f64::NAN; n];
    for (k, (s, c)) in slots {
        out[k as usize] = s / f64::from(c);
    }
    out
}

fn slot_of(t: &str) -> usize {
    let origin = chrono::NaiveDate::from_ymd_opt(2019, 12, 20)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let t = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap();
    ((t - origin).num_minutes() / 30) as usize
}

#[test]
fn a_simulation_reports_the_contracted_fields_with_figures_checked_here() {
    let env = Env::new();
    let jobs = env.run(&[
        "schedule", "jobs", "--count", "40", "--site", "gb", "--seed", "3",
    ]);
    assert!(jobs.status.success());
    std::fs::write(env.path("jobs.csv"), &jobs.stdout).unwrap();
    let v = env.json(&[
        "schedule",
        "simulate",
        "--jobs",
        "jobs.csv",
        "--intensity",
        &gb(),
        "--forecast-error",
        "0.05",
        "--seeds",
        "3",
        "--json",
        "--svg",
        "chart.svg",
    ]);
    for key in [
        "jobs",
        "saved_pct",
        "deadline_misses",
        "mean_wait_min",
        "moved_jobs",
        "per_site",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["jobs"], 40);
    let base = v["baseline"]["co2e_g"].as_f64().unwrap();
    let policy = v["policy"]["co2e_g"].as_f64().unwrap();
    assert!((v["saved_pct"].as_f64().unwrap() - (base - policy) / base * 100.0).abs() < 1e-9);
    assert_eq!(v["deadline_misses"], 0);
    assert!(policy < base);
    assert_eq!(v["seeds"].as_array().unwrap().len(), 3);
    // fifo's carbon, recomputed here: each job (1 kW, whole half hours, submitted on the half
    // hour) runs from submit; g = Σ intensity × 0.5 h.
    let series = gb_half_hours();
    let csv = String::from_utf8(jobs.stdout).unwrap();
    let mut expected = 0.0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (start, minutes) = (slot_of(f[1]), f[2].parse::<f64>().unwrap());
        let n = (minutes / 30.0) as usize;
        expected += series[start..start + n].iter().sum::<f64>() * 0.5;
    }
    assert!(
        (base - expected).abs() < 1e-6 * expected,
        "fifo {base} g, computed here {expected} g"
    );
    assert!(
        v["per_site"]["gb"]["mean_intensity_g_per_kwh"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let svg = std::fs::read_to_string(env.path("chart.svg")).unwrap();
    assert!(
        svg.starts_with("<svg")
            && svg.contains("Carbon intensity")
            && svg.contains("fifo (baseline)")
    );
}

#[test]
fn a_plan_never_predicts_more_than_running_at_submit_and_best_matches_a_brute_force_search() {
    let env = Env::new();
    env.write(
        "jobs.csv",
        "id,submit,duration_min,deadline,power_kw,site,command\n\
         a,2020-03-02 09:00,240,2020-03-03 09:00,2,gb,echo a\n\
         b,2020-03-02 10:00,90,2020-03-02 18:00,1,gb,echo b\n",
    );
    let v = env.json(&[
        "schedule",
        "plan",
        "--jobs",
        "jobs.csv",
        "--intensity",
        &gb(),
        "--json",
    ]);
    let jobs = v["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    for j in jobs {
        assert!(
            j["predicted_co2e_g"].as_f64().unwrap()
                <= j["baseline_co2e_g"].as_f64().unwrap() + 1e-9
        );
        assert_eq!(j["late"], false);
        assert!(
            j["segments"][0]["start"].as_str().unwrap() >= j["job"]["submit"].as_str().unwrap()
        );
    }
    // best: a 4 h job between 2020-03-02 09:00 and 2020-03-03 09:00, searched here by hand.
    let w = env.json(&[
        "schedule",
        "best",
        "--duration",
        "4h",
        "--after",
        "2020-03-02 09:00",
        "--by",
        "2020-03-03 09:00",
        "--intensity",
        &gb(),
        "--json",
    ]);
    let series = gb_half_hours();
    let first = slot_of("2020-03-02 09:00");
    let (mut best_i, mut best_mean) = (first, f64::INFINITY);
    for i in first..=first + 48 - 8 {
        let m = series[i..i + 8].iter().sum::<f64>() / 8.0;
        if m < best_mean - 1e-12 {
            (best_i, best_mean) = (i, m);
        }
    }
    let origin = chrono::NaiveDate::from_ymd_opt(2019, 12, 20)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let start = (origin + chrono::Duration::minutes(30 * best_i as i64))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    assert_eq!(w[0]["start"], start.as_str());
    assert!((w[0]["mean_g_per_kwh"].as_f64().unwrap() - best_mean).abs() < 1e-9);
}

#[test]
fn the_executors_write_scripts_and_manifests_and_name_a_missing_engine() {
    let env = Env::new();
    env.write(
        "jobs.csv",
        "id,submit,duration_min,deadline,site,command,priority\n\
         train-1,2020-03-02 09:00,120,2020-03-03 09:00,gb,python train.py,5\n\
         train-2,2020-03-02 09:00,60,2020-03-02 18:00,gb,python eval.py,1\n",
    );
    let base = ["schedule", "run", "--jobs", "jobs.csv", "--intensity"];
    let v = env.json(
        &[
            &base[..],
            &[
                gb().as_str(),
                "--executor",
                "slurm",
                "--dry-run",
                "--dir",
                "slurm",
                "--json",
            ],
        ]
        .concat(),
    );
    assert_eq!(v["jobs"].as_array().unwrap().len(), 2);
    let file = v["jobs"][0]["file"].as_str().unwrap();
    let script = std::fs::read_to_string(env.path(file)).unwrap();
    let start = v["jobs"][0]["start"].as_str().unwrap().replace(' ', "T");
    assert!(script.contains(&format!("--begin={start}")), "{script}");
    assert!(
        script.contains("--partition=gb") && script.contains("python train.py"),
        "{script}"
    );
    let v = env.json(
        &[
            &base[..],
            &[
                gb().as_str(),
                "--executor",
                "kubernetes",
                "--dry-run",
                "--dir",
                "k8s",
                "--json",
            ],
        ]
        .concat(),
    );
    let file = v["jobs"][1]["file"].as_str().unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path(file)).unwrap()).unwrap();
    assert_eq!(manifest["spec"]["suspend"], true);
    assert_eq!(
        manifest["spec"]["template"]["spec"]["nodeSelector"]["topology.kubernetes.io/region"],
        "gb"
    );
    // Every Job is due long after 2020; none before the plan starts.
    let due = env.json(&[
        "schedule",
        "release",
        "--dir",
        "k8s",
        "--dry-run",
        "--now",
        "2030-01-01 00:00",
        "--json",
    ]);
    assert_eq!(due["released"].as_array().unwrap().len(), 2);
    let early = env.json(&[
        "schedule",
        "release",
        "--dir",
        "k8s",
        "--dry-run",
        "--now",
        "2020-03-01 00:00",
        "--json",
    ]);
    assert_eq!(early["released"].as_array().unwrap().len(), 0);
    // No sbatch on PATH: a runtime error naming it, and how to do without.
    let o = Command::new(BIN)
        .args(
            [
                &base[..],
                &[gb().as_str(), "--executor", "slurm", "--dir", "s2"],
            ]
            .concat(),
        )
        .current_dir(env.dir.path())
        .env("PATH", env.path("empty-path"))
        .env("HOME", env.dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sbatch not found") && err.contains("install"),
        "{err}"
    );
    assert!(
        !env.path("s2/submitted.tsv").exists(),
        "nothing was submitted"
    );
}

#[test]
fn bad_input_is_named_and_exits_2() {
    let env = Env::new();
    let header = "id,submit,duration_min,deadline,power_kw,site\n";
    let good_row = "a,2020-03-02 09:00,60,2020-03-02 18:00,1,gb\n";
    // Half-hourly from 00:00 to 05:30, 02:00 missing.
    let gap: String = (0..12)
        .filter(|i| *i != 4)
        .map(|i| format!("2020-03-02 {:02}:{:02}:00,100\n", i / 2, 30 * (i % 2)))
        .collect();
    env.write("gap.csv", &format!("Time,Carbon Intensity\n{gap}"));
    let cases: Vec<(String, Vec<String>, &str)> = vec![
        (
            format!("{header}a,2020-03-02 09:00,600,2020-03-02 12:00,1,gb\n"),
            vec![gb()],
            "deadline",
        ),
        (
            format!("{header}a,2020-03-02 09:00,60,2020-03-02 18:00,1,mars\n"),
            vec![gb()],
            "unknown site",
        ),
        (
            format!("{header}a,2020-03-02 00:00,30,2020-03-02 01:00,1,gb\n"),
            vec!["gb=gap.csv".into()],
            "gap",
        ),
        (
            format!("{header}a,02/03/2020 09:00,60,2020-03-02 18:00,1,gb\n"),
            vec![gb()],
            "submit",
        ),
        (
            format!("{header}a,2020-03-02 09:00,60,2020-03-02 18:00,-2,gb\n"),
            vec![gb()],
            "power_kw",
        ),
        (
            format!("{header}{good_row}"),
            vec![gb(), "--capacity".into(), "gb=0".into()],
            "capacity",
        ),
        (
            format!("{header}{good_row}"),
            vec![gb(), "--forecast-error".into(), "2".into()],
            "forecast-error",
        ),
        (
            format!("{header}{good_row}"),
            vec!["gb".into()],
            "SITE=FILE",
        ),
    ];
    for (jobs, extra, needle) in cases {
        env.write("jobs.csv", &jobs);
        let mut args = vec![
            "schedule".to_string(),
            "simulate".into(),
            "--jobs".into(),
            "jobs.csv".into(),
            "--intensity".into(),
        ];
        args.extend(extra);
        let o = env.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{needle}: {err}");
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_recorded_plan_shows_its_avoided_carbon_in_the_report_and_a_simulation_does_not() {
    let env = Env::new();
    env.write(
        "jobs.csv",
        "id,submit,duration_min,deadline,power_kw,site\n\
         a,2020-03-02 09:00,240,2020-03-03 09:00,2,gb\n\
         b,2020-03-10 10:00,90,2020-03-10 18:00,1,gb\n",
    );
    let sim = env.run(&[
        "schedule",
        "simulate",
        "--jobs",
        "jobs.csv",
        "--intensity",
        &gb(),
        "--record",
        "--json",
    ]);
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    let report = env.json(&["report", "--period", "2020-Q1", "--format", "json"]);
    assert!(
        report["environmental"].get("avoided_co2e_g").is_none(),
        "a simulation is never counted"
    );
    let plan = env.json(&[
        "schedule",
        "plan",
        "--jobs",
        "jobs.csv",
        "--intensity",
        &gb(),
        "--record",
        "--tag",
        "product=chat",
        "--json",
    ]);
    let expected: f64 = plan["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["baseline_co2e_g"].as_f64().unwrap() - j["predicted_co2e_g"].as_f64().unwrap())
        .sum();
    assert!(expected > 0.0);
    let report = env.json(&["report", "--period", "2020-Q1", "--format", "json"]);
    let avoided = report["environmental"]["avoided_co2e_g"].as_f64().unwrap();
    assert!(
        (avoided - expected).abs() < 1e-6 * expected,
        "report {avoided} g, plan {expected} g"
    );
    let added = env.run(&["product", "add", "chat", "--currency", "USD"]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let scoped = env.json(&[
        "report",
        "--period",
        "2020-Q1",
        "--scope",
        "product:chat",
        "--format",
        "json",
    ]);
    assert!(
        (scoped["environmental"]["avoided_co2e_g"].as_f64().unwrap() - expected).abs()
            < 1e-6 * expected
    );
}

#[test]
fn the_local_executor_runs_each_job_metered_and_records_its_outcome() {
    let env = Env::new();
    // A one-minute series around now: the current minute is the cleanest, so the job runs at
    // once (the executor waits for its slot on the real clock).
    let now = chrono::Utc::now().naive_utc();
    let now = now - chrono::Duration::seconds(chrono::Timelike::second(&now) as i64);
    let mut series = String::from("time,gco2_per_kwh\n");
    for i in -5..30 {
        let t = now + chrono::Duration::minutes(i);
        series.push_str(&format!(
            "{},{}\n",
            t.format("%Y-%m-%d %H:%M"),
            if i == 0 || i == 1 { 50 } else { 300 }
        ));
    }
    env.write("s.csv", &series);
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
    env.write(
        "jobs.csv",
        &format!(
            "id,submit,duration_min,deadline,site,command\nhello,{},1,{},gb,echo hello from a plan\nfails,{},1,{},gb,exit 3\n",
            fmt(now),
            fmt(now + chrono::Duration::minutes(5)),
            fmt(now),
            fmt(now + chrono::Duration::minutes(5)),
        ),
    );
    let o = env.run(&[
        "schedule",
        "run",
        "--jobs",
        "jobs.csv",
        "--intensity",
        "gb=s.csv",
        "--step",
        "1",
        "--executor",
        "local",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "one job failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let jobs = v["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    let hello = jobs.iter().find(|j| j["job_id"] == "hello").unwrap();
    assert_eq!(hello["exit_code"], 0);
    let out = std::fs::read_to_string(env.path("sustain-schedule").join("hello.out")).unwrap();
    assert!(out.contains("hello from a plan"), "{out:?}");
    let runs = env.json(&["runs", "list", "--json"]);
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2, "both jobs recorded as runs");
    let failed = runs.iter().find(|r| r["name"] == "fails").unwrap();
    assert_eq!(failed["exit_code"], 3);
    assert_eq!(failed["tags"]["schedule.plan"], v["plan"]);
    let db = rusqlite::Connection::open(env.path("ledger.sqlite")).unwrap();
    let outcomes: i64 = db
        .query_row("SELECT count(*) FROM schedule_outcomes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(outcomes, 2, "each job that ran has its outcome");
}

//! The ledger through the binary: every command that records refuses figures outside their
//! plausible bounds (exit 2, the field and the bound named, nothing recorded); a period stays
//! readable whatever an older ledger holds; a period ending on 9999-12-31 reports its runs; the
//! default ledger is private; an auditor's read-only copy is read by every read-only command
//! without a trace, and a write on it fails with exit 1.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{Datelike, NaiveDate, Utc};
use serde_json::Value;
use sustain_core::business::{SavedScenario, Target};
use sustain_core::run::RunStart;
use sustain_ledger::{Business, Ledger, Role, SqliteLedger, Tokens};
use sustain_testkit as kit;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("powercap")).unwrap();
        Env { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// `sustain` with this environment and the ledger at `ledger` (the default one if none).
    fn cmd_on(&self, ledger: Option<&Path>) -> Command {
        let mut c = Command::cargo_bin("sustain").unwrap();
        c.env_clear()
            .current_dir(self.dir.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .env("SUSTAIN_POWERCAP_ROOT", self.path("powercap"));
        if let Some(l) = ledger {
            c.env("SUSTAIN_LEDGER", l);
        }
        c
    }

    fn sustain(&self, args: &[&str]) -> std::process::Output {
        self.cmd_on(Some(&self.path("ledger.sqlite")))
            .args(args)
            .output()
            .unwrap()
    }
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_command_that_records_refuses_figures_outside_their_bounds() {
    let env = Env::new();
    let ok = env.sustain(&[
        "product",
        "add",
        "chat",
        "--price-per-1k-requests",
        "2",
        "--currency",
        "USD",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let csv = env.path("usage.csv");
    std::fs::write(
        &csv,
        "date,product,requests\n2026-07-01,chat,5\n2026-07-02,chat,18446744073709551615\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "usage",
                "add",
                "--product",
                "chat",
                "--requests",
                "18446744073709551615",
            ],
            "--requests = 18446744073709551615 is out of bounds: expected a number of requests >= 0.0 and <= 1e12",
        ),
        (
            vec![
                "usage",
                "add",
                "--product",
                "chat",
                "--tokens",
                "1152921504606846976",
            ],
            "--tokens = 1152921504606846976 is out of bounds",
        ),
        (
            vec![
                "usage",
                "add",
                "--product",
                "chat",
                "--requests",
                "1",
                "--revenue",
                "1e308",
                "--currency",
                "USD",
            ],
            "--revenue = 1e308 is out of bounds",
        ),
        (
            vec![
                "usage",
                "add",
                "--product",
                "chat",
                "--requests",
                "1",
                "--date",
                "9999-01-01",
            ],
            "2000 to 2100",
        ),
        (
            vec!["usage", "import", csv],
            "line 3: --requests = 18446744073709551615 is out of bounds",
        ),
        (
            vec![
                "cost",
                "add",
                "--amount",
                "1e308",
                "--currency",
                "USD",
                "--category",
                "staff",
            ],
            "--amount = 1e308 is out of bounds",
        ),
        (
            vec![
                "product",
                "add",
                "p",
                "--price-per-1k-requests",
                "1e308",
                "--currency",
                "USD",
            ],
            "--price-per-1k-requests = 1e308 is out of bounds",
        ),
        (
            vec![
                "indicator",
                "add",
                "hours",
                "--value",
                "-1e308",
                "--unit",
                "h",
            ],
            "--value = -1e308 is out of bounds",
        ),
        (
            vec![
                "indicator",
                "weight",
                "hours",
                "--weight",
                "1e308",
                "--direction",
                "higher",
                "--reference",
                "10",
            ],
            "--weight = 1e308 is out of bounds",
        ),
        (
            vec![
                "target",
                "add",
                "t",
                "--metric",
                "energy_wh",
                "--baseline",
                "2026-Q1",
                "--goal",
                "1e300",
                "--by",
                "2027-12-31",
            ],
            "--goal = 1e300 is out of bounds",
        ),
        (
            vec![
                "target",
                "add",
                "t",
                "--metric",
                "energy_wh",
                "--baseline",
                "2026-Q1",
                "--goal",
                "-30%",
                "--by",
                "9999-12-31",
            ],
            "--by = 9999-12-31 is out of bounds",
        ),
    ];
    for (args, needle) in cases {
        let o = env.sustain(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    // `sustain run`'s figures from the configuration: its own failures exit 125.
    let o = env.sustain(&["run", "--host-embodied-kg", "1e9", "--", "true"]);
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("host embodied emissions = 1e9 is out of bounds"),
        "{}",
        stderr(&o)
    );
    let config = env.path("sustain.toml");
    for (text, needle) in [
        (
            "[[sites]]\nid = \"dc\"\nintensity_g_per_kwh = 1e308\n",
            "carbon intensity of site 'dc' = 1e308 is out of bounds",
        ),
        ("[meter]\ncpu_tdp_w = 1e12\n", "CPU TDP"),
        (
            "[cost]\nhourly_rate = 1e300\ncurrency = \"USD\"\n",
            "hourly rate = 1e300 is out of bounds",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        let o = env.sustain(&["--config", config.to_str().unwrap(), "product", "list"]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{text}: {}", stderr(&o));
    }
    // Nothing of the refused input was recorded: the product alone is in the audit log.
    let o = env.sustain(&["audit", "--verify"]);
    assert!(stdout(&o).contains("1 entries"), "{}", stdout(&o));
    let o = env.sustain(&["runs", "list", "--json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap(),
        serde_json::json!([])
    );
}

/// A ledger with two runs in July 2026, a product, usage, a cost line, an indicator, a target,
/// a scenario and a token.
fn fixture(path: &Path) {
    let l = SqliteLedger::open(path).unwrap();
    let fr = kit::site("FR");
    for (id, day, j) in [("ok-1", 2, 3600.0), ("ok-2", 20, 7200.0)] {
        let s = RunStart {
            tags: kit::tags(&[("product", "chat")]),
            ..kit::run_start(id, kit::at(2026, 7, day, 10, 0), &fr)
        };
        l.record_run(&s, &[], &kit::run_end(&s, &fr, kit::energy(j, j, 0.0), 600))
            .unwrap();
    }
    let day = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap();
    l.add_product(&kit::chat(), "test").unwrap();
    l.add_usage(&[kit::chat_usage(day, 12_000, 0)], "test", "usage.add")
        .unwrap();
    l.add_cost_line(&kit::storage_cost(day), "test").unwrap();
    l.add_indicator(&kit::training_hours(day), "test").unwrap();
    l.add_target(
        &Target {
            name: "less".into(),
            metric: "energy_wh".into(),
            scope: "company".into(),
            baseline: "2026-Q3".into(),
            goal: sustain_core::business::Goal::Relative(-0.3),
            by: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
            recorded_at: Utc::now(),
        },
        "test",
    )
    .unwrap();
    l.save_scenario(
        &SavedScenario {
            name: "same".into(),
            body: "name = \"same\"\n".into(),
            recorded_at: Utc::now(),
        },
        "test",
    )
    .unwrap();
    l.create_token("auditor", Role::Viewer, "test").unwrap();
}

fn report_json(env: &Env, period: &str) -> Value {
    let o = env.sustain(&["report", "--period", period, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn figures(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("excluded");
    o.remove("notes");
    v
}

#[test]
fn a_period_stays_readable_whatever_an_older_ledger_holds() {
    let env = Env::new();
    let path = env.path("ledger.sqlite");
    fixture(&path);
    let before = report_json(&env, "2026-07");
    assert!(before.get("excluded").is_none());
    let planted =
        kit::old_ledger::plant(&path, NaiveDate::from_ymd_opt(2026, 7, 9).unwrap(), "chat");
    let after = report_json(&env, "2026-07");
    assert_eq!(
        figures(after.clone()),
        figures(before),
        "the valid records' figures"
    );
    assert_eq!(after["excluded"].as_array().unwrap().len(), planted.total());
    assert!(
        !serde_json::to_string(&after["headline"])
            .unwrap()
            .contains("null")
    );
    let o = env.sustain(&["report", "--period", "2026-07"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(
        md.contains("**Warning:** 10 record(s) of this period are left out"),
        "{md}"
    );
    assert!(md.contains("old-energy"), "{md}");
    for args in [
        vec!["report", "--period", "2026-07", "--format", "csv"],
        vec!["report", "--period", "2026-07", "--format", "html"],
        vec!["cost", "list", "--period", "2026-07"],
        vec!["indicator", "list", "--period", "2026-07"],
        vec!["target", "list", "--period", "2026-07"],
        vec!["runs", "list"],
        vec!["runs", "show", "old-energy"],
        vec!["export", "--format", "json"],
    ] {
        let o = env.sustain(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_period_ending_on_9999_12_31_reports_its_runs() {
    let env = Env::new();
    fixture(&env.path("ledger.sqlite"));
    let all = report_json(&env, "2026-01-01..9999-12-31");
    assert_eq!(all["headline"]["runs"], 2);
    assert_eq!(all["headline"]["requests"], 12_000);
    assert_eq!(all["has_data"], true);
    let o = env.sustain(&["report", "--period", "2026-01-01..9999-12-31"]);
    assert!(!stdout(&o).contains("## No data"), "{}", stdout(&o));
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_default_ledger_and_its_directory_are_readable_by_the_user_only() {
    let env = Env::new();
    let o = env
        .cmd_on(None)
        .args(["product", "add", "chat"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = env.path("home/.local/share/sustain");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("ledger.sqlite")), 0o600);
    for side in ["ledger.sqlite-wal", "ledger.sqlite-shm"] {
        if dir.join(side).exists() {
            assert_eq!(mode(&dir.join(side)), 0o600, "{side}");
        }
    }
}

#[cfg(unix)]
#[test]
fn every_read_only_command_reads_an_auditors_read_only_copy() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let original = env.path("ledger.sqlite");
    fixture(&original);
    let audit = env.path("audit");
    std::fs::create_dir(&audit).unwrap();
    let copy = audit.join("ledger.sqlite");
    std::fs::copy(&original, &copy).unwrap();
    // A run left open by a meter that died: a writable ledger would mark it incomplete.
    {
        let l = SqliteLedger::open(&copy).unwrap();
        let now = Utc::now();
        let s = RunStart {
            meter: sustain_core::run::MeterIdentity {
                pid: u32::MAX - 1,
                ..kit::meter()
            },
            ..kit::run_start(
                "open-1",
                kit::at(now.year(), now.month(), 1, 0, 0),
                &kit::site("FR"),
            )
        };
        l.start_run(&s).unwrap();
    }
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&audit, std::fs::Permissions::from_mode(0o555)).unwrap();
    let bytes = std::fs::read(&copy).unwrap();
    let run = |args: &[&str]| env.cmd_on(Some(&copy)).args(args).output().unwrap();
    for args in [
        vec!["runs", "list"],
        vec!["runs", "list", "--json"],
        vec!["runs", "show", "ok-1"],
        vec!["runs", "sci", "ok-1", "--per", "run"],
        vec!["export", "--format", "json"],
        vec!["export", "--format", "csv"],
        vec!["report", "--period", "2026-07"],
        vec!["report", "--period", "2026-07", "--format", "json"],
        vec!["target", "list"],
        vec!["cost", "list", "--period", "2026-07"],
        vec!["product", "list"],
        vec!["indicator", "list", "--period", "2026-07"],
        vec!["indicator", "weights"],
        vec!["audit"],
        vec!["audit", "--verify"],
        vec!["scenario", "list"],
        vec!["token", "list"],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(!stdout(&o).is_empty(), "{args:?} printed nothing");
    }
    // The run whose meter died is still open: nothing was written.
    let o = run(&["runs", "show", "open-1"]);
    assert!(stdout(&o).contains("running"), "{}", stdout(&o));
    let o = run(&["-v", "runs", "list"]);
    assert!(
        stderr(&o).contains("is read-only"),
        "an info line says so: {}",
        stderr(&o)
    );
    // A write fails with a clear error, exit 1.
    let o = run(&["product", "add", "video"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("is read-only"), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(&audit)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["ledger.sqlite".to_string()],
        "no -wal or -shm beside it"
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        bytes,
        "the copy is unchanged"
    );
    std::fs::set_permissions(&audit, std::fs::Permissions::from_mode(0o755)).unwrap();
}

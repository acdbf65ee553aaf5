//! End-to-end tests of the `sustain` binary: each test gets its own directory, ledger, config
//! home and (empty or fake) powercap tree, and drives the binary as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sustain");

/// A busy loop of about `secs` seconds in a child shell (so the tree has depth).
fn busy(secs: f64) -> String {
    format!("timeout {secs} sh -c 'while :; do :; done'; exit 0")
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("powercap")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Env { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn ledger(&self) -> PathBuf {
        self.path("ledger.sqlite")
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env_clear()
            .current_dir(self.dir.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .env("SUSTAIN_LEDGER", self.ledger())
            .env("SUSTAIN_POWERCAP_ROOT", self.path("powercap"))
            .env("SUSTAIN_BUSY_TIMEOUT_MS", "20000")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("spawn sustain")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// `sustain run --quiet ... -- sh -c SCRIPT`, returning the exit code and the recorded run.
    fn run_sh(&self, extra: &[&str], script: &str) -> (i32, Value) {
        let mut args = vec!["run", "--json"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "sh", "-c", script]);
        let out = self.run(&args);
        let code = out.status.code().expect("exit code");
        let list = self.json(&["runs", "list", "--json", "--limit", "1"]);
        (code, list[0].clone())
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_busy_loop_reports_more_cpu_energy_than_a_sleep_of_the_same_length() {
    let env = Env::new();
    let (code, busy_run) = env.run_sh(&["--interval", "0.2"], &busy(1.5));
    assert_eq!(code, 0);
    let (code, sleep_run) = env.run_sh(&["--interval", "0.2"], "sleep 1.5");
    assert_eq!(code, 0);
    let busy_cpu = f(&busy_run["energy"]["cpu_wh"]);
    let sleep_cpu = f(&sleep_run["energy"]["cpu_wh"]);
    assert!(
        busy_cpu > 10.0 * sleep_cpu && busy_cpu > 0.0,
        "busy {busy_cpu} Wh, sleep {sleep_cpu} Wh"
    );
    // The busy loop ran in a grandchild: the whole tree is metered.
    assert!(f(&busy_run["cpu_s"]) > 0.3, "{}", busy_run["cpu_s"]);
    assert!(f(&sleep_run["cpu_s"]) < 0.3, "{}", sleep_run["cpu_s"]);
    assert_eq!(busy_run["energy"]["sources"]["cpu"], "modelled");
    assert_eq!(busy_run["energy"]["sources"]["gpu"], "none");
    assert!(f(&busy_run["samples"]) >= 5.0);
    // Carbon is facility energy x intensity of the default site (WORLD, PUE 1).
    let intensity = f(&busy_run["site_factors"]["intensity_g_per_kwh"]);
    let total_wh = f(&busy_run["energy"]["total_wh"]);
    let g = f(&busy_run["co2e"]["location_g"]);
    assert!((g - total_wh / 1000.0 * intensity).abs() < 1e-12 + g * 1e-9);
    assert_eq!(busy_run["co2e"]["market_g"], Value::Null);
}

#[test]
fn the_run_json_has_the_documented_fields() {
    let env = Env::new();
    let out = env.run(&[
        "run",
        "--quiet",
        "--name",
        "hello",
        "--tag",
        "team=vision",
        "--tag",
        "stage=test",
        "--site",
        "FR",
        "--",
        "echo",
        "hi",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hi\n",
        "stdout passes through"
    );
    let id = env.json(&["runs", "list", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = env.json(&["runs", "show", &id[..8], "--json"]);
    for key in [
        "id",
        "name",
        "kind",
        "command",
        "status",
        "exit_code",
        "started_at",
        "ended_at",
        "duration_s",
        "cpu_s",
        "peak_rss_bytes",
        "site",
        "energy",
        "co2e",
        "water_l",
        "cost",
        "tags",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    for key in ["cpu_wh", "gpu_wh", "ram_wh", "total_wh", "sources"] {
        assert!(v["energy"].get(key).is_some(), "missing energy.{key}");
    }
    for key in ["cpu", "gpu", "ram"] {
        assert!(
            v["energy"]["sources"][key].is_string(),
            "energy.sources.{key}"
        );
    }
    assert!(v["co2e"].get("location_g").is_some() && v["co2e"].get("market_g").is_some());
    assert!(v["cost"].get("amount").is_some() && v["cost"].get("currency").is_some());
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["name"], "hello");
    assert_eq!(v["kind"], "command");
    assert_eq!(v["command"], serde_json::json!(["echo", "hi"]));
    assert_eq!(v["status"], "succeeded");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["site"], "FR");
    assert_eq!(v["tags"]["team"], "vision");
    assert_eq!(v["tags"]["stage"], "test");
    let total = f(&v["energy"]["total_wh"]);
    let parts = f(&v["energy"]["cpu_wh"]) + f(&v["energy"]["gpu_wh"]) + f(&v["energy"]["ram_wh"]);
    assert!((total - parts).abs() <= 1e-12 + total * 1e-9);
}

#[test]
fn exit_codes_and_signals_propagate_and_are_recorded() {
    let env = Env::new();
    let (code, run) = env.run_sh(&[], "exit 3");
    assert_eq!(code, 3);
    assert_eq!(run["status"], "failed");
    assert_eq!(run["exit_code"], 3);

    let (code, run) = env.run_sh(&[], "kill -TERM $$");
    assert_eq!(code, 128 + 15);
    assert_eq!(run["status"], "killed");
    assert_eq!(run["signal"], 15);
    assert_eq!(run["exit_code"], 143);

    let out = env.run(&["run", "--quiet", "--", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(
        stderr(&out).contains("cannot start '/definitely/not/here'"),
        "{}",
        stderr(&out)
    );
    let run = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(run["status"], "failed_to_start");
    assert_eq!(run["exit_code"], 127);

    let script = env.path("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let out = env.run(&["run", "--quiet", "--", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert_eq!(
        env.json(&["runs", "list", "--json"])[0]["status"],
        "failed_to_start"
    );
}

#[test]
fn sigterm_to_sustain_is_forwarded_to_the_command() {
    let env = Env::new();
    let child = env
        .cmd()
        .args(["run", "--quiet", "--", "sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: kill with the pid of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let t = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "sleep did not get the signal"
    );
    assert_eq!(out.status.code(), Some(143));
    let run = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(run["status"], "killed");
    assert_eq!(run["signal"], 15);
}

/// A fixed amount of CPU work (about 0.7 s on the development VM), independent of load.
fn work(iterations: u32) -> String {
    format!("i=0; while [ $i -lt {iterations} ]; do i=$((i+1)); done")
}

#[test]
fn orphaned_descendants_are_still_metered() {
    let env = Env::new();
    let (code, direct) = env.run_sh(&["--interval", "0.2"], &work(300_000));
    assert_eq!(code, 0);
    // The subshell starts the same work in the background and exits at once: the loop is
    // re-parented to Sustain (a child subreaper), and the command waits for its marker file.
    let done = env.path("done");
    let script = format!(
        "( ( {}; touch {} ) & ); while [ ! -f {} ]; do sleep 0.05; done",
        work(300_000),
        done.display(),
        done.display()
    );
    let (code, orphaned) = env.run_sh(&["--interval", "0.2"], &script);
    assert_eq!(code, 0);
    let (d, o) = (f(&direct["cpu_s"]), f(&orphaned["cpu_s"]));
    // Without the subreaper the orphan's CPU time would be lost entirely.
    assert!(o > 0.7 * d, "orphaned {o} s, direct {d} s");
}

#[test]
fn killing_sustain_leaves_an_incomplete_run_with_its_samples() {
    let env = Env::new();
    let mut child = env
        .cmd()
        .args([
            "run",
            "--quiet",
            "--interval",
            "0.1",
            "--",
            "sh",
            "-c",
            &busy(2.5),
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    child.kill().unwrap(); // SIGKILL: no chance to record an end
    child.wait().unwrap();
    // The orphaned loop ends by itself (timeout 2.5).
    let run = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(run["status"], "incomplete", "{run}");
    assert!(f(&run["samples"]) >= 5.0, "{run}");
    assert!(f(&run["energy"]["cpu_wh"]) > 0.0, "{run}");
    assert!(f(&run["co2e"]["location_g"]) > 0.0);
    assert!(run["notes"][0].as_str().unwrap().contains("meter stopped"));
    // The ledger is intact and usable.
    let (code, _) = env.run_sh(&[], "true");
    assert_eq!(code, 0);
    assert_eq!(
        env.json(&["runs", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn eight_parallel_runs_on_one_ledger_all_record() {
    let env = Env::new();
    // Create the ledger first so the eight race on writes, not only on creation... and also
    // test a race on creation with a second ledger.
    for ledger in ["ledger.sqlite", "fresh.sqlite"] {
        if ledger == "ledger.sqlite" {
            env.run_sh(&[], "true");
        }
        let children: Vec<_> = (0..8)
            .map(|i| {
                env.cmd()
                    .env("SUSTAIN_LEDGER", env.path(ledger))
                    .args([
                        "run",
                        "--quiet",
                        "--interval",
                        "0.05",
                        "--name",
                        &format!("p{i}"),
                        "--",
                    ])
                    .args(["sh", "-c", &busy(0.8)])
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            assert!(!stderr(&out).contains("locked"), "{}", stderr(&out));
        }
        let out = env
            .cmd()
            .env("SUSTAIN_LEDGER", env.path(ledger))
            .args(["runs", "list", "--json", "--limit", "100"])
            .output()
            .unwrap();
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        let parallel: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["name"].as_str().unwrap().starts_with('p'))
            .collect();
        assert_eq!(parallel.len(), 8, "{ledger}");
        assert!(
            parallel
                .iter()
                .all(|r| r["status"] == "succeeded" && f(&r["samples"]) >= 5.0)
        );
    }
}

#[test]
fn rapl_from_a_fake_powercap_tree_is_measured_with_wraparound() {
    let env = Env::new();
    let zone = env.path("powercap/intel-rapl:0");
    std::fs::create_dir_all(&zone).unwrap();
    std::fs::write(zone.join("name"), "package-0\n").unwrap();
    std::fs::write(zone.join("max_energy_range_uj"), "1000000000\n").unwrap();
    std::fs::write(zone.join("energy_uj"), "999000000\n").unwrap();
    // The command itself advances the counter past its wrap: 1 J to the top, then 4 J.
    // It keeps working after the write, so the interval that sees the increment has CPU time
    // to attribute it by.
    let script = format!(
        "{w}; echo 4000000 > {}; {w}",
        zone.join("energy_uj").display(),
        w = work(150_000),
    );
    let (code, run) = env.run_sh(&["--interval", "0.1"], &script);
    assert_eq!(code, 0);
    assert_eq!(run["energy"]["sources"]["cpu"], "measured");
    let cpu_j = f(&run["energy"]["cpu_wh"]) * 3600.0;
    assert!(cpu_j > 0.0 && cpu_j <= 5.0 + 1e-6, "cpu {cpu_j} J");
    assert!(
        run["energy"]["methods"]["cpu"]
            .as_str()
            .unwrap()
            .contains("RAPL package-0")
    );
}

#[test]
fn configured_sites_give_market_carbon_water_and_cost() {
    let env = Env::new();
    let cfg = env.path("config.toml");
    std::fs::write(
        &cfg,
        r#"
site = "lab"
[cost]
hourly_rate = 3.6
currency = "EUR"
[[sites]]
id = "lab"
base = "DE"
pue = 1.5
wue_l_per_kwh = 2.0
offsite_water_l_per_kwh = 1.0
market_g_per_kwh = 20
price_per_kwh = 0.25
currency = "EUR"
"#,
    )
    .unwrap();
    let out = env
        .cmd()
        .env("SUSTAIN_CONFIG", &cfg)
        .args(["run", "--quiet", "--", "sh", "-c", &busy(0.6)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(v["site"], "lab");
    let it_kwh = f(&v["energy"]["total_wh"]) / 1000.0;
    let facility_kwh = it_kwh * 1.5;
    let de = f(&v["site_factors"]["intensity_g_per_kwh"]);
    assert!((f(&v["co2e"]["location_g"]) - facility_kwh * de).abs() < 1e-9);
    assert!((f(&v["co2e"]["market_g"]) - facility_kwh * 20.0).abs() < 1e-9);
    assert!((f(&v["water_l"]) - (it_kwh * 2.0 + facility_kwh * 1.0)).abs() < 1e-9);
    let expected_cost = facility_kwh * 0.25 + 3.6 * f(&v["duration_s"]) / 3600.0;
    assert!(
        (f(&v["cost"]["amount"]) - expected_cost).abs() < 1e-9,
        "{v}"
    );
    assert_eq!(v["cost"]["currency"], "EUR");
}

#[test]
fn bad_input_gets_clear_errors_and_loses_nothing() {
    let env = Env::new();
    let (code, first) = env.run_sh(&[], "true");
    assert_eq!(code, 0);
    let ledger_before = std::fs::read(env.ledger()).unwrap();

    let cases: &[(&[&str], i32, &str)] = &[
        (&["run", "--tag", "novalue", "--", "true"], 125, "KEY=VALUE"),
        (
            &["run", "--interval", "0", "--", "true"],
            125,
            "between 0.05 and 3600",
        ),
        (
            &["run", "--interval", "soon", "--", "true"],
            125,
            "between 0.05 and 3600",
        ),
        (&["run", "--site", "FRA", "--", "true"], 125, "did you mean"),
        (
            &["run", "--site", "nowhere-at-all", "--", "true"],
            125,
            "sustain catalog sites",
        ),
        (&["run", "true"], 125, "--"),
        (&["run"], 125, "CMD"),
        (&["runs", "show", "zzzz"], 2, "no run with id"),
        (&["runs", "list", "--since", "yesterday"], 2, "2026-07-01"),
        (
            &["catalog", "sites", "--kind", "planet"],
            2,
            "expected one of",
        ),
        (&["export", "--format", "xml"], 2, "codecarbon"),
        (&["bogus"], 2, "unrecognized subcommand"),
    ];
    for (args, code, needle) in cases {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
    // Unknown site on a valid run: the command is not started.
    let marker = env.path("started");
    let out = env.run(&[
        "run",
        "--site",
        "XX-YY",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        !marker.exists(),
        "the command must not run when the input is bad"
    );

    // A config file with a typo.
    let cfg = env.path("bad.toml");
    std::fs::write(&cfg, "[meter]\ncpu_tdp = 65\n").unwrap();
    let out = env
        .cmd()
        .env("SUSTAIN_CONFIG", &cfg)
        .args(["runs", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.toml") && stderr(&out).contains("cpu_tdp"),
        "{}",
        stderr(&out)
    );

    // Nothing recorded was lost.
    let list = env.json(&["runs", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], first["id"]);
    assert!(std::fs::read(env.ledger()).unwrap().len() >= ledger_before.len());
}

#[test]
fn ledgers_that_cannot_be_used_are_refused_clearly() {
    let env = Env::new();
    let text = env.path("notes.txt");
    std::fs::write(&text, "my notes\n".repeat(1000)).unwrap();
    let check = |ledger: &Path, cmd: &[&str], code: i32, needle: &str| {
        let out = env
            .cmd()
            .env("SUSTAIN_LEDGER", ledger)
            .args(cmd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{cmd:?} {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{cmd:?}: {}", stderr(&out));
    };
    check(&text, &["runs", "list"], 1, "not a Sustain ledger");
    check(&text, &["run", "--", "true"], 125, "not a Sustain ledger");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "my notes\n".repeat(1000)
    );
    check(&env.path(""), &["runs", "list"], 1, "directory");
    check(
        &text.join("ledger.sqlite"),
        &["runs", "list"],
        1,
        "not a directory",
    );

    // A ledger locked by another writer: a clear message after the (short) timeout.
    let ledger = env.ledger();
    env.run_sh(&[], "true");
    let holder = rusqlite::Connection::open(&ledger).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let out = env
        .cmd()
        .env("SUSTAIN_BUSY_TIMEOUT_MS", "300")
        .args(["run", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("locked by another process"),
        "{}",
        stderr(&out)
    );
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(
        env.json(&["runs", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn catalogs_list_reference_data_with_sources() {
    let env = Env::new();
    let sites = env.json(&["catalog", "sites", "--json"]);
    let sites = sites.as_array().unwrap();
    assert!(sites.len() > 300);
    for s in sites {
        for key in [
            "id",
            "name",
            "intensity_g_per_kwh",
            "pue",
            "wue_l_per_kwh",
            "source",
            "year",
        ] {
            assert!(s.get(key).is_some(), "{key} missing in {s}");
        }
        assert!(!s["source"].as_str().unwrap().is_empty());
    }
    for id in [
        "FR",
        "DE",
        "US-CA",
        "CN-BJ",
        "gcp:europe-west1",
        "aws:us-east-1",
        "azure:westeurope",
        "WORLD",
    ] {
        assert!(sites.iter().any(|s| s["id"] == id), "{id}");
    }
    let cloud = env.json(&[
        "catalog",
        "sites",
        "--kind",
        "cloud",
        "--search",
        "europe-west1",
        "--json",
    ]);
    assert!(
        cloud
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["kind"] == "cloud")
    );

    let hw = env.json(&["catalog", "hardware", "--json"]);
    let hw = hw.as_array().unwrap();
    assert!(
        hw.iter()
            .any(|d| d["id"] == "a100-80gb" && d["kind"] == "gpu")
    );
    assert!(
        hw.iter()
            .any(|d| d["kind"] == "cpu" && d["id"] == "AMD EPYC 7B12")
    );
    let text = env.run(&["catalog", "hardware"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("h100-sxm"));
}

#[test]
fn codecarbon_export_has_its_columns_and_consistent_figures() {
    let env = Env::new();
    env.run_sh(
        &["--site", "gcp:europe-west1", "--tag", "project=demo"],
        &busy(0.4),
    );
    let out = env.run(&["export", "--format", "codecarbon"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with(
        "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed"
    ), "{header}");
    for col in [
        "water_consumed",
        "country_name",
        "country_iso_code",
        "region",
        "cpu_model",
        "gpu_model",
        "ram_total_size",
        "pue",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "{col} missing from {header}"
        );
    }
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rec: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rec.len(), 1);
    let hdr: Vec<String> = header.split(',').map(String::from).collect();
    let col = |name: &str| rec[0][hdr.iter().position(|h| h == name).unwrap()].to_string();
    let run = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(col("run_id"), run["id"].as_str().unwrap());
    assert_eq!(col("project_name"), "demo");
    assert_eq!(col("country_iso_code"), "BEL");
    assert_eq!(col("cloud_provider"), "gcp");
    assert_eq!(col("cloud_region"), "europe-west1");
    let emissions: f64 = col("emissions").parse().unwrap();
    assert!((emissions - f(&run["co2e"]["location_g"]) / 1000.0).abs() < 1e-15 + emissions * 1e-9);
    let energy: f64 = col("energy_consumed").parse().unwrap();
    assert!((energy - f(&run["energy"]["facility_wh"]) / 1000.0).abs() < 1e-15 + energy * 1e-9);

    let csv_out = env.run(&["export", "--format", "csv", "--since", "2020-01-01"]);
    assert!(String::from_utf8_lossy(&csv_out.stdout).starts_with("id,name,kind,status"));
    let json_out = env.json(&["export", "--format", "json"]);
    assert_eq!(json_out.as_array().unwrap().len(), 1);
    let none = env.run(&["export", "--format", "csv", "--since", "2999-01-01"]);
    assert_eq!(String::from_utf8_lossy(&none.stdout).lines().count(), 1);
}

#[test]
fn every_command_has_help_with_examples() {
    let env = Env::new();
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["runs", "--help"],
        vec!["catalog", "--help"],
        vec!["estimate", "--help"],
        vec!["runs", "list", "--help"],
        vec!["runs", "show", "--help"],
        vec!["catalog", "sites", "--help"],
        vec!["catalog", "hardware", "--help"],
        vec!["export", "--help"],
        vec!["estimate", "train", "--help"],
        vec!["estimate", "sci", "--help"],
        vec!["estimate", "infer", "--help"],
        vec!["train", "--help"],
        vec!["eval", "--help"],
        vec!["predict", "--help"],
        vec!["generate", "--help"],
        vec!["product", "--help"],
        vec!["product", "add", "--help"],
        vec!["usage", "--help"],
        vec!["cost", "--help"],
        vec!["report", "--help"],
        vec!["audit", "--help"],
        vec!["target", "--help"],
        vec!["runs", "sci", "--help"],
        vec!["indicator", "--help"],
        vec!["indicator", "add", "--help"],
        vec!["indicator", "weight", "--help"],
        vec!["scenario", "--help"],
        vec!["scenario", "run", "--help"],
        vec!["scenario", "list", "--help"],
    ] {
        let out = env.run(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Examples"),
            "{args:?}"
        );
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    let out = Command::new("bash")
        .args([
            "-c",
            &format!("set -o pipefail; '{BIN}' catalog hardware --kind cpu | head -n 2 >/dev/null"),
        ])
        .env("SUSTAIN_LEDGER", env.ledger())
        .env("HOME", env.path("home"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn estimate_train_reproduces_a_published_training_and_lists_its_inputs() {
    let env = Env::new();
    // BLOOM 176B with its exact inputs (Luccioni et al. 2022): 433,196 kWh, 24.7 tCO2e.
    let v = env.json(&[
        "estimate",
        "train",
        "--hardware",
        "a100-80gb",
        "--devices",
        "384",
        "--device-hours",
        "1082990",
        "--power-w",
        "400",
        "--pue",
        "1",
        "--intensity",
        "57",
        "--json",
    ]);
    assert!(
        (f(&v["energy_kwh"]) - 433_196.0).abs() / 433_196.0 < 0.01,
        "{v}"
    );
    assert!((f(&v["co2e_kg"]["location"]) / 1000.0 - 24.7).abs() / 24.7 < 0.01);
    assert!(v["co2e_kg"]["market"].is_null());
    for key in [
        "flops",
        "device_hours",
        "days",
        "it_energy_kwh",
        "embodied_co2e_kg",
        "water_l",
        "cost",
        "inputs",
        "assumptions",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let inputs = v["inputs"].as_array().unwrap();
    let origin = |name: &str| {
        inputs
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| i["origin"].clone())
    };
    assert_eq!(origin("power-w").unwrap(), "flag");
    assert_eq!(origin("wue").unwrap(), "default");

    // Human output: a table with the same figures and the assumptions.
    let out = env.run(&[
        "estimate",
        "train",
        "--params",
        "7B",
        "--tokens",
        "1T",
        "--hardware",
        "h100-sxm",
        "--devices",
        "64",
        "--site",
        "FR",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("carbon, location-based") && text.contains("Assumptions"),
        "{text}"
    );
}

#[test]
fn estimate_sweeps_are_sorted_and_drawn() {
    let env = Env::new();
    let svg = env.path("options.svg");
    let v = env.json(&[
        "estimate",
        "train",
        "--params",
        "7B",
        "--tokens",
        "1T",
        "--hardware",
        "h100-sxm",
        "--devices",
        "64",
        "--sweep",
        "site=DE,FR,US-CA",
        "--sweep",
        "hardware=a100-80gb,h100-sxm,tpu-v5e",
        "--svg",
        svg.to_str().unwrap(),
        "--json",
    ]);
    let points = v.as_array().unwrap();
    assert_eq!(points.len(), 9);
    let totals: Vec<f64> = points
        .iter()
        .filter_map(|p| p["total_co2e_kg"].as_f64())
        .collect();
    assert_eq!(
        totals.len(),
        6,
        "tpu-v5e has no power figure: 3 points are errors"
    );
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "{totals:?}");
    assert_eq!(points[0]["at"]["site"], "FR");
    assert!(
        points.last().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("--power-w")
    );
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.starts_with("<svg") && drawn.contains("site=FR hardware=h100-sxm"));

    for (args, needle) in [
        (vec!["--sweep", "colour=red"], "unknown input"),
        (vec!["--sweep", "site"], "KEY=V1,V2"),
        (vec!["--svg", "x.svg"], "--sweep"),
    ] {
        let mut full = vec![
            "estimate",
            "train",
            "--params",
            "7B",
            "--tokens",
            "1T",
            "--hardware",
            "h100-sxm",
            "--devices",
            "8",
        ];
        full.extend(args);
        let out = env.run(&full);
        assert_eq!(out.status.code(), Some(2), "{full:?}");
        assert!(stderr(&out).contains(needle), "{full:?}: {}", stderr(&out));
    }
}

#[test]
fn estimate_errors_exit_2_with_the_fix() {
    let env = Env::new();
    for (args, needle) in [
        (
            vec![
                "--hardware",
                "a100-80gb",
                "--devices",
                "8",
                "--days",
                "2",
                "--device-hours",
                "9",
            ],
            "give one of",
        ),
        (
            vec!["--hardware", "a100-80gb", "--devices", "0", "--days", "2"],
            "whole number >= 1",
        ),
        (
            vec![
                "--hardware",
                "a100-80gb",
                "--devices",
                "8",
                "--params",
                "7B",
                "--tokens",
                "1T",
                "--efficiency",
                "1.2",
            ],
            "(0, 1]",
        ),
        (
            vec![
                "--hardware",
                "v100",
                "--devices",
                "8",
                "--params",
                "7B",
                "--tokens",
                "1T",
                "--precision",
                "bf16",
            ],
            "v100 supports",
        ),
        (
            vec!["--hardware", "h100", "--devices", "8", "--days", "1"],
            "did you mean",
        ),
        (
            vec![
                "--hardware",
                "h100-sxm",
                "--devices",
                "8",
                "--days",
                "1",
                "--site",
                "Mars",
            ],
            "unknown site",
        ),
        (
            vec![
                "--hardware",
                "h100-sxm",
                "--devices",
                "eight",
                "--days",
                "1",
            ],
            "70B",
        ),
    ] {
        let mut full = vec!["estimate", "train"];
        full.extend(args);
        let out = env.run(&full);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{full:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn sci_for_an_estimate_and_for_a_recorded_run() {
    let env = Env::new();
    let v = env.json(&[
        "estimate",
        "sci",
        "--energy-kwh",
        "2",
        "--intensity",
        "300",
        "--embodied-kg",
        "0.1",
        "--units",
        "1000",
        "--per",
        "request",
        "--json",
    ]);
    assert!((f(&v["sci_g_per_unit"]) - 0.7).abs() < 1e-12, "{v}");
    let (_, run) = env.run_sh(&["--site", "DE"], &work(100_000));
    let id = run["id"].as_str().unwrap();
    let v = env.json(&[
        "runs",
        "sci",
        &id[..8],
        "--per",
        "request",
        "--units",
        "10",
        "--json",
    ]);
    // M defaults to the run's recorded embodied carbon.
    let m = f(&run["embodied"]["co2e_g"]);
    assert!(m > 0.0, "{run}");
    let expected = (f(&run["energy"]["facility_wh"]) / 1000.0
        * f(&run["site_factors"]["intensity_g_per_kwh"])
        + m)
        / 10.0;
    assert!(
        (f(&v["sci_g_per_unit"]) - expected).abs() <= 1e-12 + expected * 1e-9,
        "{v} vs {expected}"
    );
    assert!((f(&v["embodied_g"]) - m).abs() <= 1e-15 + m * 1e-12, "{v}");
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("recorded embodied"),
        "{v}"
    );
    // --embodied-g replaces it.
    let v = env.json(&[
        "runs",
        "sci",
        &id[..8],
        "--per",
        "request",
        "--units",
        "10",
        "--embodied-g",
        "0",
        "--json",
    ]);
    assert_eq!(f(&v["embodied_g"]), 0.0);
    let out = env.run(&["runs", "sci", &id[..8], "--per", "request", "--units", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("functional units"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn estimate_infer_gives_per_request_per_token_and_total_figures() {
    let env = Env::new();
    let v = env.json(&[
        "estimate",
        "infer",
        "--params",
        "70B",
        "--hardware",
        "h100-sxm",
        "--requests",
        "10k",
        "--tokens-in",
        "1000",
        "--tokens-out",
        "500",
        "--site",
        "FR",
        "--json",
    ]);
    // 140 GB of bf16 weights x 1.2 overhead, plus the KV cache of 64 sequences of 1,500 tokens
    // (about 26 GB), need three 80 GB devices.
    assert_eq!(v["devices_needed"], 3, "{v}");
    let per = f(&v["per_request"]["energy_wh"]);
    let per_1k = f(&v["per_1k_output_tokens"]["energy_wh"]);
    let total = f(&v["total"]["energy_wh"]);
    assert!(per > 0.0);
    assert!(
        (per_1k - per * 2.0).abs() <= 1e-9 * per_1k,
        "500 output tokens per request"
    );
    assert!((total - per * 10_000.0).abs() <= 1e-9 * total);
    let co2 = f(&v["per_request"]["co2e_g"]["location"]);
    assert!(
        (co2 - per / 1000.0 * 56.039).abs() <= 1e-6 * co2 + 1e-12,
        "{co2}"
    );
    // A serving sweep, sorted by total carbon.
    let pts = env.json(&[
        "estimate",
        "infer",
        "--params",
        "8B",
        "--hardware",
        "h100-sxm",
        "--requests",
        "1000",
        "--tokens-in",
        "500",
        "--tokens-out",
        "300",
        "--sweep",
        "site=DE,FR",
        "--sweep",
        "batch=8,64",
        "--json",
    ]);
    let pts = pts.as_array().unwrap();
    assert_eq!(pts.len(), 4);
    assert_eq!(pts[0]["at"]["site"], "FR");
    assert_eq!(pts[0]["at"]["batch"], "64");
    assert!(
        pts.windows(2)
            .all(|w| f(&w[0]["total_co2e_kg"]) <= f(&w[1]["total_co2e_kg"]))
    );
    // Larger batches: less energy per request.
    let rows = v["batch_sizes"].as_array().unwrap();
    let energies: Vec<f64> = rows
        .iter()
        .map(|r| f(&r["energy_wh_per_request"]))
        .collect();
    assert!(energies.windows(2).all(|w| w[1] <= w[0]), "{energies:?}");
    for (args, needle) in [
        (
            vec![
                "--params",
                "70B",
                "--hardware",
                "h100-sxm",
                "--devices",
                "1",
                "--requests",
                "1",
                "--tokens-in",
                "10",
                "--tokens-out",
                "10",
            ],
            "at least 3",
        ),
        (
            vec![
                "--params",
                "8B",
                "--hardware",
                "h100-sxm",
                "--requests",
                "1",
                "--tokens-in",
                "10",
            ],
            "--tokens-out",
        ),
        (
            vec![
                "--params",
                "8B",
                "--hardware",
                "tpu-v5e",
                "--requests",
                "1",
                "--tokens-in",
                "10",
                "--tokens-out",
                "10",
            ],
            "--power-w",
        ),
        (
            vec![
                "--params",
                "8B",
                "--active-params",
                "9B",
                "--hardware",
                "h100-sxm",
                "--requests",
                "1",
                "--tokens-in",
                "1",
                "--tokens-out",
                "1",
            ],
            "at most --params",
        ),
    ] {
        let mut full = vec!["estimate", "infer"];
        full.extend(args);
        let out = env.run(&full);
        assert_eq!(out.status.code(), Some(2), "{full:?}");
        assert!(stderr(&out).contains(needle), "{full:?}: {}", stderr(&out));
    }
}

#[test]
fn train_records_a_metered_run_with_its_metrics_and_eval_reuses_the_model() {
    let env = Env::new();
    let out_dir = env.path("model");
    let v = env.json(&[
        "train",
        "tabular-mlp",
        "--epochs",
        "25",
        "--seed",
        "7",
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    let acc = f(&v["metrics"]["test"]["accuracy"]);
    assert!(acc >= 0.95, "{v}");
    for key in ["precision", "recall", "f1"] {
        assert!(v["metrics"]["test"][key].is_number(), "{key}");
    }
    assert!(f(&v["energy"]["total_wh"]) > 0.0);
    assert!(v["co2e"]["location_g"].is_number());
    assert_eq!(v["epochs"], 25);
    assert!(f(&v["samples_per_s"]) > 0.0);
    for file in [
        "model.safetensors",
        "config.json",
        "metrics.json",
        "loss.svg",
        "accuracy.svg",
    ] {
        assert!(out_dir.join(file).exists(), "{file}");
    }
    let run = &env.json(&["runs", "show", v["run_id"].as_str().unwrap(), "--json"]);
    assert_eq!(run["kind"], "train");
    assert_eq!(run["status"], "succeeded");
    assert_eq!(
        run["tags"]["dataset_sha256"],
        "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"
    );
    assert_eq!(
        run["outcomes"]["metrics"]["test"]["accuracy"],
        v["metrics"]["test"]["accuracy"]
    );

    // Same seed, same data: same metrics.
    let again = env.json(&[
        "train",
        "tabular-mlp",
        "--epochs",
        "25",
        "--seed",
        "7",
        "--out",
        env.path("m2").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(again["metrics"]["test"], v["metrics"]["test"]);

    // Eval on the model's own test split gives the training run's test metrics.
    let e = env.json(&["eval", "--model", out_dir.to_str().unwrap(), "--json"]);
    assert_eq!(
        e["metrics"]["test"]["accuracy"],
        v["metrics"]["test"]["accuracy"]
    );
    let listed = env.json(&["runs", "list", "--json"]);
    assert_eq!(listed[0]["kind"], "eval");

    // Predict: the first row of the data set (malignant), inline and from a file.
    let row = "17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189";
    let p = env.json(&[
        "predict",
        "--model",
        out_dir.to_str().unwrap(),
        row,
        "--json",
    ]);
    assert_eq!(p["predictions"][0]["class"], "malignant", "{p}");
    let probs = p["predictions"][0]["probabilities"].as_object().unwrap();
    assert!((probs.values().map(f).sum::<f64>() - 1.0).abs() < 1e-9);
    let file = env.path("rows.csv");
    std::fs::write(&file, format!("{row}\n{row}\n")).unwrap();
    let p = env.json(&[
        "predict",
        "--model",
        out_dir.to_str().unwrap(),
        file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(p["predictions"].as_array().unwrap().len(), 2);
    assert_eq!(env.json(&["runs", "list", "--json"])[0]["kind"], "infer");
    let bad = env.run(&["predict", "--model", out_dir.to_str().unwrap(), "1,2,3"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("takes 30 features"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn train_bad_input_is_refused_and_divergence_is_recorded_as_failed() {
    let env = Env::new();
    let bad_csv = env.path("ragged.csv");
    std::fs::write(&bad_csv, "a,b,label\n1,2,x\n3\n").unwrap();
    let one_class = env.path("one.csv");
    std::fs::write(&one_class, "a,label\n1,x\n2,x\n").unwrap();
    for (args, code, needle) in [
        (vec!["train", "image-gan"], 2, "tasks are tabular-mlp"),
        (
            vec!["train", "tabular-mlp", "--optimizer", "lbfgs"],
            2,
            "sgd, sgd-momentum, adam, adamw",
        ),
        (
            vec!["train", "tabular-mlp", "--loss", "hinge"],
            2,
            "cross-entropy, bce, mse",
        ),
        (
            vec!["train", "tabular-mlp", "--dataset", "/no/such.csv"],
            2,
            "cannot read dataset",
        ),
        (
            vec![
                "train",
                "tabular-mlp",
                "--dataset",
                bad_csv.to_str().unwrap(),
            ],
            2,
            "fields",
        ),
        (
            vec![
                "train",
                "tabular-mlp",
                "--dataset",
                one_class.to_str().unwrap(),
            ],
            2,
            "single class",
        ),
        (vec!["train", "tabular-mlp", "--epochs", "0"], 2, "--epochs"),
        (
            vec!["train", "tabular-mlp", "--device", "cuda"],
            2,
            "no CUDA support",
        ),
        (
            vec!["train", "tabular-mlp", "--device", "tpu"],
            2,
            "cpu, cuda or cuda:N",
        ),
        (vec!["eval", "--model", "/no/such/dir"], 2, "config.json"),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    let out = env.run(&[
        "train",
        "tabular-mlp",
        "--optimizer",
        "sgd",
        "--lr",
        "1e9",
        "--epochs",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("diverged"), "{}", stderr(&out));
    let run = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(run["kind"], "train");
    assert_eq!(run["status"], "failed");
    assert!(run["notes"][0].as_str().unwrap().contains("diverged"));
}

#[test]
fn digits_cnn_reaches_its_bar_on_the_8x8_digits() {
    let env = Env::new();
    let dir = env.path("cnn");
    let v = env.json(&[
        "train",
        "digits-cnn",
        "--out",
        dir.to_str().unwrap(),
        "--json",
    ]);
    let acc = f(&v["metrics"]["test"]["accuracy"]);
    assert!(acc >= 0.97, "{acc}");
    assert_eq!(
        v["metrics"]["test"]["confusion"].as_array().unwrap().len(),
        10
    );
    let e = env.json(&["eval", "--model", dir.to_str().unwrap(), "--json"]);
    assert_eq!(
        e["metrics"]["test"]["accuracy"],
        v["metrics"]["test"]["accuracy"]
    );
    // The wrong kind of data for the task: a clear error.
    let out = env.run(&["train", "digits-cnn", "--dataset", "breast-cancer"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("side divides by 4"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn text_lstm_reaches_its_bar_on_rotten_tomatoes_and_classifies_new_texts() {
    let env = Env::new();
    let dir = env.path("lstm");
    let out = env.run(&[
        "train",
        "text-lstm",
        "--out",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "run scripts/fetch-datasets.sh first: {}",
        stderr(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let acc = f(&v["metrics"]["test"]["accuracy"]);
    assert!(acc >= 0.70, "{acc}");
    // The model's version is the hash of its weights file.
    let sum = Command::new("sha256sum")
        .arg(dir.join("model.safetensors"))
        .output()
        .unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    assert_eq!(v["model_sha256"].as_str().unwrap(), &sum[..64]);
    assert_eq!(v["metrics"]["test"]["per_class"][0]["class"], "fresh");
    assert_eq!(
        v["metrics"]["test"]["per_class"][0]["support"]
            .as_u64()
            .unwrap()
            + v["metrics"]["test"]["per_class"][1]["support"]
                .as_u64()
                .unwrap(),
        1921
    );
    let run = env.json(&["runs", "show", v["run_id"].as_str().unwrap(), "--json"]);
    assert_eq!(run["tags"]["dataset"], "rotten-tomatoes");
    assert_eq!(
        run["tags"]["dataset_sha256"],
        "a180db82841ef402f5a34c0ba16157c032c3401143c95d8a6b2a5416fd383507"
    );
    // eval on the same test split gives the same figures from the saved model.
    let e = env.json(&["eval", "--model", dir.to_str().unwrap(), "--json"]);
    assert_eq!(
        e["metrics"]["test"]["accuracy"],
        v["metrics"]["test"]["accuracy"]
    );
    // predict: texts on the command line and in a file.
    let texts = env.path("texts.txt");
    std::fs::write(
        &texts,
        "A warm, funny and moving film.\n\nDull, tedious and far too long.\n",
    )
    .unwrap();
    let p = env.json(&[
        "predict",
        "--model",
        dir.to_str().unwrap(),
        texts.to_str().unwrap(),
        "A triumph: beautifully acted and wise.",
        "--json",
    ]);
    let classes: Vec<&str> = p["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["fresh", "rotten", "fresh"]);
    let run = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(run["kind"], "infer");

    // A JSONL file of the user's own, with its own field names, and bad ones.
    let jsonl = env.path("tickets.jsonl");
    let mut body = String::new();
    for i in 0..40 {
        body.push_str(&format!(
            "{{\"body\": \"printer jam on floor {i}\", \"team\": \"hardware\"}}\n{{\"body\": \"password reset for user {i}\", \"team\": \"accounts\"}}\n"
        ));
    }
    std::fs::write(&jsonl, body).unwrap();
    let t = env.json(&[
        "train",
        "text-lstm",
        "--dataset",
        jsonl.to_str().unwrap(),
        "--text-column",
        "body",
        "--label",
        "team",
        "--epochs",
        "5",
        "--out",
        env.path("tickets").to_str().unwrap(),
        "--json",
    ]);
    assert!(f(&t["metrics"]["test"]["accuracy"]) >= 0.9, "{t}");
    let no_text = env.path("no-text.csv");
    std::fs::write(&no_text, "review,label\nfine,pos\ndull,neg\n").unwrap();
    for (args, needle) in [
        (
            vec!["train", "text-lstm", "--dataset", no_text.to_str().unwrap()],
            "no column 'text'",
        ),
        (
            vec!["train", "text-lstm", "--dataset", "imdb"],
            "give rotten-tomatoes",
        ),
        (
            vec!["train", "text-lstm", "--dataset", jsonl.to_str().unwrap()],
            "no string field 'text'",
        ),
        (
            vec!["predict", "--model", dir.to_str().unwrap(), "  "],
            "no text to classify",
        ),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn char_gpt_beats_the_unigram_baseline_by_30_percent_and_generates_text() {
    let env = Env::new();
    let dir = env.path("gpt");
    let v = env.json(&[
        "train",
        "char-gpt",
        "--epochs",
        "1",
        "--out",
        dir.to_str().unwrap(),
        "--json",
    ]);
    let val = &v["metrics"]["val"];
    assert!(f(&val["reduction_vs_unigram"]) >= 0.30, "{val}");
    assert!(
        (f(&val["loss"]) - f(&val["unigram_loss"]) * (1.0 - f(&val["reduction_vs_unigram"]))).abs()
            < 1e-9
    );
    assert!(
        f(&val["unigram_loss"]) > 2.8 && f(&val["unigram_loss"]) < 3.2,
        "{val}"
    );
    assert_eq!(v["samples"].as_array().unwrap().len(), 2);
    assert!(v["samples"][0].as_str().unwrap().chars().count() > 240);
    assert!(dir.join("samples.txt").exists());
    let run = env.json(&["runs", "show", v["run_id"].as_str().unwrap(), "--json"]);
    assert_eq!(run["tags"]["dataset"], "kjv-pentateuch");
    assert!(f(&run["outcomes"]["metrics"]["val"]["reduction_vs_unigram"]) >= 0.30);

    let generate = |seed: &str| {
        env.json(&[
            "generate",
            "--model",
            dir.to_str().unwrap(),
            "--prompt",
            "And God said",
            "--length",
            "60",
            "--seed",
            seed,
            "--json",
        ])
    };
    let (a, b, c) = (generate("1"), generate("1"), generate("2"));
    assert_eq!(a["text"].as_str().unwrap().chars().count(), 60);
    assert_eq!(a["text"], b["text"]);
    assert_ne!(a["text"], c["text"]);
    let run = &env.json(&["runs", "list", "--json"])[0];
    assert_eq!(run["kind"], "infer");
    // Plain output: prompt and continuation on stdout.
    let out = env.run(&[
        "generate",
        "--model",
        dir.to_str().unwrap(),
        "--prompt",
        "In the",
        "--length",
        "20",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("In the"));
    // eval: the test part of the corpus, with the baseline.
    let e = env.json(&["eval", "--model", dir.to_str().unwrap(), "--json"]);
    assert_eq!(e["metrics"]["test"], v["metrics"]["test"]);

    let tiny = env.path("tiny.txt");
    std::fs::write(&tiny, "too short").unwrap();
    let tabular = env.path("mlp");
    env.json(&[
        "train",
        "tabular-mlp",
        "--epochs",
        "1",
        "--out",
        tabular.to_str().unwrap(),
        "--json",
    ]);
    for (args, needle) in [
        (
            vec!["train", "char-gpt", "--dataset", tiny.to_str().unwrap()],
            "at least 2000",
        ),
        (
            vec!["train", "char-gpt", "--d-model", "30", "--heads", "4"],
            "--heads (4) divides",
        ),
        (
            vec!["train", "char-gpt", "--loss", "mse"],
            "cross-entropy: char-gpt",
        ),
        (
            vec![
                "generate",
                "--model",
                tabular.to_str().unwrap(),
                "--prompt",
                "x",
            ],
            "needs a char-gpt model",
        ),
        (
            vec![
                "generate",
                "--model",
                dir.to_str().unwrap(),
                "--prompt",
                "x",
                "--temperature",
                "-1",
            ],
            "--temperature",
        ),
        (
            vec![
                "generate",
                "--model",
                dir.to_str().unwrap(),
                "--prompt",
                "x",
                "--length",
                "0",
            ],
            "--length",
        ),
        (
            vec!["predict", "--model", dir.to_str().unwrap(), "x"],
            "sustain generate",
        ),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn products_usage_costs_and_the_report_agree_with_the_runs() {
    let env = Env::new();
    // Two metered runs of product chat at a priced site, one of product search.
    let (_, a) = env.run_sh(
        &["--site", "US-CA", "--tag", "product=chat"],
        &work(300_000),
    );
    let (_, b) = env.run_sh(
        &["--site", "US-CA", "--tag", "product=chat"],
        &work(300_000),
    );
    let (_, c) = env.run_sh(&["--site", "FR", "--tag", "product=search"], "sleep 0.2");
    let ok = |args: &[&str]| {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(&[
        "product",
        "add",
        "chat",
        "--price-per-1k-requests",
        "2.50",
        "--currency",
        "usd",
    ]);
    ok(&[
        "product",
        "add",
        "search",
        "--unit",
        "query",
        "--price-per-1m-tokens",
        "0.10",
        "--currency",
        "USD",
    ]);
    let today = chrono::Utc::now().date_naive().to_string();
    let month = &today[..7];
    let u = env.json(&[
        "usage",
        "add",
        "--product",
        "chat",
        "--requests",
        "12000",
        "--tokens",
        "300000",
        "--json",
    ]);
    assert_eq!(u["revenue"], 30.0);
    let csv = env.path("usage.csv");
    std::fs::write(&csv, format!("date,product,requests,tokens,revenue,currency\n{today},search,5000,2000000,,\n{today},chat,100,,1.25,USD\n")).unwrap();
    assert!(ok(&["usage", "import", csv.to_str().unwrap()]).contains("2 usage rows"));
    ok(&[
        "cost",
        "add",
        "--amount",
        "12.5",
        "--currency",
        "USD",
        "--category",
        "storage",
        "--scope",
        "product:chat",
    ]);
    ok(&[
        "cost",
        "add",
        "--amount",
        "100",
        "--currency",
        "USD",
        "--category",
        "staff",
    ]);

    let r = env.json(&["report", "--period", month, "--format", "json"]);
    let runs = [&a, &b, &c];
    let sum = |f: &dyn Fn(&Value) -> f64| runs.iter().map(|r| f(r)).sum::<f64>();
    let g = sum(&|r| f(&r["co2e"]["location_g"]));
    assert!(
        (f(&r["environmental"]["co2e_location_g"]) - g).abs() < 1e-6,
        "{r}"
    );
    assert_eq!(r["environmental"]["runs"], 3);
    // Embodied carbon: the sum of the runs' own figures, apart from the operational carbon.
    let m = sum(&|r| f(&r["embodied"]["co2e_g"]));
    assert!(m > 0.0);
    assert!(
        (f(&r["environmental"]["embodied_co2e_g"]) - m).abs() <= 1e-12 + m * 1e-9,
        "{r}"
    );
    assert_eq!(r["environmental"]["embodied_runs"], 3);
    let run_cost = sum(&|r| r["cost"]["amount"].as_f64().unwrap_or(0.0));
    let total = f(&r["economic"]["total_cost"]["USD"]);
    assert!(
        (total - (run_cost + 112.5)).abs() < 0.005,
        "{total} vs {run_cost}"
    );
    let revenue = 30.0 + 5000.0 * 0.0 + 2_000_000.0 * 0.10 / 1e6 + 1.25;
    assert!((f(&r["economic"]["revenue"]["USD"]) - revenue).abs() < 0.005);
    assert_eq!(r["economic"]["requests"], 17_100);
    assert!(r["economic"]["runs_without_cost"].as_u64().unwrap() <= 1);

    // The product scope, and the Markdown and CSV renderings of the same figures.
    let chat = env.json(&[
        "report",
        "--period",
        month,
        "--scope",
        "product:chat",
        "--format",
        "json",
    ]);
    assert_eq!(chat["environmental"]["runs"], 2);
    assert!((f(&chat["economic"]["revenue"]["USD"]) - 31.25).abs() < 0.005);
    let md = ok(&["report", "--period", month]);
    assert!(md.contains("## Environmental account") && md.contains("## Economic account"));
    assert!(md.contains(&format!("**{:.2} USD**", total)), "{md}");
    let out = env.path("r.csv");
    let o = env.run(&[
        "report",
        "--period",
        month,
        "--format",
        "csv",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("economic,revenue,all,")
    );

    // The audit log: five changes, chained.
    assert!(ok(&["audit", "--verify"]).contains("6 entries"));
    let log = env.json(&["audit", "--json"]);
    assert_eq!(log[3]["action"], "usage.import");

    // A target on this month's chat carbon per 1k requests: judged on the same month, it sits on
    // the line's start; the report of the product carries it.
    ok(&[
        "target",
        "add",
        "chat-carbon",
        "--metric",
        "co2e_per_1k_requests",
        "--scope",
        "product:chat",
        "--baseline",
        month,
        "--goal",
        "-30%",
        "--by",
        "2030-12-31",
    ]);
    let t = env.json(&["target", "list", "--period", month, "--json"]);
    assert_eq!(t[0]["verdict"], "on-track", "{t}");
    let per_1k = f(&chat["environmental"]["co2e_location_g"]) * 1e3 / 12_100.0;
    assert!((f(&t[0]["value"]) - per_1k).abs() < 1e-9, "{t}");
    assert!((f(&t[0]["goal_value"]) - 0.7 * per_1k).abs() < 1e-9);
    let rt = env.json(&[
        "report",
        "--period",
        month,
        "--scope",
        "product:chat",
        "--format",
        "json",
    ]);
    assert_eq!(rt["targets"][0]["target"]["name"], "chat-carbon");
    assert!(ok(&["report", "--period", month, "--scope", "product:chat"]).contains("## Targets"));
    for (args, needle) in [
        (
            vec![
                "target",
                "add",
                "x",
                "--metric",
                "joy",
                "--baseline",
                month,
                "--goal",
                "-5%",
                "--by",
                "2030-01-01",
            ],
            "co2e_per_1k_requests",
        ),
        (
            vec![
                "target",
                "add",
                "x",
                "--metric",
                "energy_wh",
                "--baseline",
                month,
                "--goal",
                "-5%",
                "--by",
                "2020-01-01",
            ],
            "after the baseline period",
        ),
        (
            vec![
                "target",
                "add",
                "x",
                "--metric",
                "energy_wh",
                "--baseline",
                month,
                "--goal",
                "less",
                "--by",
                "2030-01-01",
            ],
            "-30%",
        ),
    ] {
        let o = env.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }

    // Bad input: clear errors, exit 2, nothing recorded.
    let bad_csv = env.path("bad.csv");
    std::fs::write(
        &bad_csv,
        format!("date,product,requests\n{today},chat,12\n{today},video,3\n"),
    )
    .unwrap();
    let no_header = env.path("nohead.csv");
    std::fs::write(&no_header, "day,product,count\n").unwrap();
    for (args, needle) in [
        (vec!["report", "--period", "2026-Q5"], "2026-Q3"),
        (
            vec!["report", "--period", month, "--scope", "product:video"],
            "chat, search",
        ),
        (
            vec!["report", "--period", month, "--scope", "region:eu"],
            "product:NAME",
        ),
        (
            vec!["report", "--period", month, "--format", "pdf"],
            "md, html, json or csv",
        ),
        (
            vec!["usage", "add", "--product", "video", "--requests", "1"],
            "sustain product add video",
        ),
        (
            vec!["usage", "import", bad_csv.to_str().unwrap()],
            "line 3: unknown product 'video'",
        ),
        (
            vec!["usage", "import", no_header.to_str().unwrap()],
            "needs date, product and requests",
        ),
        (
            vec!["usage", "add", "--product", "chat", "--date", "yesterday"],
            "2026-07-10",
        ),
        (
            vec![
                "cost",
                "add",
                "--amount",
                "-5",
                "--currency",
                "USD",
                "--category",
                "x",
            ],
            ">= 0",
        ),
        (
            vec![
                "cost",
                "add",
                "--amount",
                "5",
                "--currency",
                "dollars",
                "--category",
                "x",
            ],
            "ISO 4217",
        ),
        (
            vec!["product", "add", "free", "--price-per-1k-requests", "1"],
            "--currency",
        ),
    ] {
        let o = env.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    // Nothing of the refused input was recorded (6 entries and the target).
    assert!(ok(&["audit", "--verify"]).contains("7 entries"));
    // A period with no data says so.
    assert!(ok(&["report", "--period", "2020-Q1"]).contains("## No data"));
}

#[test]
fn fairness_social_index_scenarios_and_model_sheets_end_to_end() {
    let env = Env::new();
    let month = chrono::Utc::now().date_naive().to_string()[..7].to_string();
    let t = env.json(&[
        "train",
        "tabular-mlp",
        "--dataset",
        "german-credit",
        "--out",
        "credit",
        "--epochs",
        "5",
        "--json",
    ]);
    assert!(f(&t["metrics"]["test"]["accuracy"]) > 0.6, "{t}");
    let e = env.json(&[
        "eval",
        "--model",
        "credit",
        "--sensitive",
        "sex",
        "--positive",
        "good",
        "--json",
    ]);
    let fair = &e["fairness"];
    assert_eq!(fair["attribute"], "sex");
    assert_eq!(fair["positive_class"], "good");
    let groups = fair["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    // The groups partition the 150 test rows, and each rate is its own count ratio.
    let rows: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(rows, 150);
    let sr: Vec<f64> = groups
        .iter()
        .map(|g| {
            let r = &g["selection_rate"];
            let v = f(&r["value"]);
            assert_eq!(v, f(&r["k"]) / f(&r["n"]));
            assert!(f(&r["low"]) <= v && v <= f(&r["high"]));
            v
        })
        .collect();
    let dpd = f(&fair["demographic_parity_difference"]["value"]);
    assert!((dpd - (sr[0] - sr[1]).abs()).abs() < 1e-12);
    let rate = |g: &Value, k: &str| f(&g[k]["value"]);
    let eod = (rate(&groups[0], "true_positive_rate") - rate(&groups[1], "true_positive_rate"))
        .abs()
        .max(
            (rate(&groups[0], "false_positive_rate") - rate(&groups[1], "false_positive_rate"))
                .abs(),
        );
    assert!((f(&fair["equalized_odds_difference"]["value"]) - eod).abs() < 1e-12);

    // Bad input: exit 2, the fix named, nothing recorded.
    let before = env
        .json(&["runs", "list", "--json"])
        .as_array()
        .unwrap()
        .len();
    for (args, want) in [
        (
            vec!["eval", "--model", "credit", "--sensitive", "age"],
            "it has: sex",
        ),
        (
            vec![
                "eval",
                "--model",
                "credit",
                "--sensitive",
                "sex",
                "--positive",
                "maybe",
            ],
            "classes are: bad, good",
        ),
        (
            vec!["eval", "--model", "credit", "--positive", "good"],
            "--sensitive",
        ),
        (
            vec![
                "eval",
                "--model",
                "credit",
                "--sensitive",
                "sex",
                "--min-group-size",
                "0",
            ],
            "at least 1",
        ),
        (
            vec![
                "indicator",
                "add",
                "fairness.mine",
                "--value",
                "1",
                "--unit",
                "h",
            ],
            "fairness.*",
        ),
        (
            vec![
                "indicator",
                "weight",
                "x",
                "--weight",
                "1",
                "--direction",
                "up",
                "--reference",
                "1",
            ],
            "higher or lower",
        ),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(
        env.json(&["runs", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        before
    );

    // Indicators and weights make the social index: 120 of 400 h scores 30; the DPD scores
    // 100 x min(1, 0.05 / dpd); weights 1 and 3.
    let ok = |args: &[&str]| {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    ok(&[
        "indicator",
        "add",
        "training_hours",
        "--value",
        "120",
        "--unit",
        "h",
    ]);
    ok(&[
        "indicator",
        "weight",
        "training_hours",
        "--weight",
        "1",
        "--direction",
        "higher",
        "--reference",
        "400",
    ]);
    ok(&[
        "indicator",
        "weight",
        "fairness.demographic_parity_difference",
        "--weight",
        "3",
        "--direction",
        "lower",
        "--reference",
        "0.05",
    ]);
    let r = env.json(&["report", "--period", &month, "--format", "json"]);
    let social = &r["social"];
    assert_eq!(
        f(&social["fairness"][0]["demographic_parity_difference"][0]),
        dpd
    );
    assert_eq!(f(&social["indicators"][0]["total"]), 120.0);
    let dpd_score = if dpd <= 0.05 {
        100.0
    } else {
        100.0 * 0.05 / dpd
    };
    let want = (30.0 + 3.0 * dpd_score) / 4.0;
    assert!(
        (f(&social["index"]["score"]) - want).abs() < 1e-9,
        "{social}"
    );
    // The model sheet: the training run's carbon in the Hugging Face block.
    let sheet = &r["model_sheets"][0];
    assert_eq!(sheet["model"], "credit");
    assert_eq!(sheet["fairness"].as_array().unwrap().len(), 1);
    let g = f(&t["co2e"]["location_g"]);
    assert!(
        (f(&sheet["co2e_location_g"]) - g).abs() <= 1e-12 * g.max(1.0),
        "{sheet}"
    );
    assert!(
        sheet["hugging_face_yaml"]
            .as_str()
            .unwrap()
            .contains(&format!("emissions: {g:.6}"))
    );
    assert!(
        sheet["annex_xi"]["2(e) energy consumption"]
            .as_str()
            .unwrap()
            .contains("kWh")
    );

    // A scenario: every run moved to France. The scenario's carbon is its facility energy at
    // France's intensity from the catalog.
    let fr = env.json(&["catalog", "sites", "--search", "FR", "--json"]);
    let fr = fr
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "FR")
        .unwrap()
        .clone();
    std::fs::write(
        env.path("plan.toml"),
        "name = \"to-france\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\n",
    )
    .unwrap();
    let s = env.json(&[
        "scenario",
        "run",
        "plan.toml",
        "--period",
        &month,
        "--json",
        "--save",
    ]);
    let sc = &s["scenario"];
    let intensity = f(&fr["intensity_g_per_kwh"]);
    assert!(f(&sc["facility_wh"]) > 0.0);
    assert!(
        (f(&sc["co2e_location_g"]) - f(&sc["facility_wh"]) / 1e3 * intensity).abs()
            < 1e-9 * f(&sc["co2e_location_g"]).max(1.0),
        "{s}"
    );
    assert_eq!(
        f(&s["actual"]["co2e_location_g"]),
        f(&r["environmental"]["co2e_location_g"])
    );
    // Typos: exit 2 with the suggestion; an unknown saved name says how to list them.
    std::fs::write(
        env.path("typo.toml"),
        "name = \"t\"\n[[lever]]\ntype = \"move-sites\"\nto = \"FR\"\n",
    )
    .unwrap();
    for (args, want) in [
        (
            vec!["scenario", "run", "typo.toml"],
            "did you mean \"move-site\"",
        ),
        (vec!["scenario", "run", "nope.toml"], "does not exist"),
        (vec!["scenario", "run", "nope"], "sustain scenario list"),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    // The saved scenario runs by name, and the report shows it with the strategy map.
    let again = env.json(&["scenario", "run", "to-france", "--period", &month, "--json"]);
    assert_eq!(again["scenario"], s["scenario"]);
    ok(&[
        "target",
        "add",
        "carbon",
        "--metric",
        "co2e_location_g",
        "--baseline",
        &month,
        "--goal",
        "-30%",
        "--by",
        "2030-12-31",
    ]);
    let out = env.run(&["report", "--period", &month]);
    let md = String::from_utf8_lossy(&out.stdout);
    for want in [
        "## Social account",
        "### Social index:",
        "## Strategy map",
        "L_to_france_1 --> M_co2e_location_g",
        "M_co2e_location_g --> T_carbon",
        "### Scenario to-france",
        "## Model sheets",
        "co2_eq_emissions:",
        "EU AI Act Annex XI",
    ] {
        assert!(md.contains(want), "missing {want:?} in:\n{md}");
    }
    let audit = env.json(&["audit", "--json"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for a in ["indicator.add", "index.weight", "scenario.save"] {
        assert!(actions.contains(&a), "{actions:?}");
    }
}

#[test]
fn each_run_records_its_embodied_carbon_by_the_sci_formula() {
    let env = Env::new();
    // M = TE x (run time / lifetime) x resource share; the share is the run's CPU time over
    // wall time x logical CPUs, or 1 with --embodied-share whole.
    let check = |run: &Value, kg: f64, years: f64, whole: bool| {
        let h = run["duration_s"].as_f64().unwrap() / 3600.0;
        let cpus = run["host"]["logical_cpus"].as_f64().unwrap();
        let share = if whole {
            1.0
        } else {
            (run["cpu_s"].as_f64().unwrap() / (run["duration_s"].as_f64().unwrap() * cpus)).min(1.0)
        };
        let want = kg * 1e3 * h / (years * 8766.0) * share;
        let got = f(&run["embodied"]["co2e_g"]);
        assert!(
            (got - want).abs() <= want * 1e-9 + 1e-15,
            "{got} vs {want}: {run}"
        );
        assert_eq!(run["embodied"]["source"], "modelled");
        assert_eq!(run["host"]["embodied"]["kgco2e"].as_f64(), Some(kg));
    };
    let (code, run) = env.run_sh(&[], &work(100_000));
    assert_eq!(code, 0);
    check(&run, 1230.3, 4.0, false);
    assert!(
        run["embodied"]["method"]
            .as_str()
            .unwrap()
            .contains("SCI Guide"),
        "{run}"
    );
    let (code, run) = env.run_sh(
        &["--host-embodied-kg", "2500", "--embodied-share", "whole"],
        "sleep 0.3",
    );
    assert_eq!(code, 0);
    check(&run, 2500.0, 4.0, true);
    // The config file and the environment give the same settings.
    let cfg = env.path("embodied.toml");
    std::fs::write(
        &cfg,
        "[embodied]\nhost_kgco2e = 800\nlifetime_years = 5\nshare = \"whole\"\nsource = \"Dell R650 PCF\"\n",
    )
    .unwrap();
    let (code, run) = env.run_sh(&["--config", cfg.to_str().unwrap()], "sleep 0.2");
    assert_eq!(code, 0);
    check(&run, 800.0, 5.0, true);
    assert_eq!(run["host"]["embodied"]["source"], "Dell R650 PCF");
    // Bad figures: a clear error before anything runs, and nothing is recorded.
    let before = env
        .json(&["runs", "list", "--json"])
        .as_array()
        .unwrap()
        .len();
    std::fs::write(&cfg, "[embodied]\nlifetime_years = 0\n").unwrap();
    let out = env.run(&["--config", cfg.to_str().unwrap(), "run", "--", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expected a number of years > 0"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["run", "--host-embodied-kg=-5", "--", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(stderr(&out).contains("kgCO2e >= 0"), "{}", stderr(&out));
    let after = env
        .json(&["runs", "list", "--json"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
}

#[test]
fn training_runs_of_a_product_give_its_sci_per_training_run() {
    let env = Env::new();
    let ok = |args: &[&str]| {
        let out = env.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    ok(&[
        "product",
        "add",
        "chat",
        "--price-per-1k-requests",
        "2",
        "--currency",
        "USD",
    ]);
    // An external training script, and Sustain's own training, both tagged with the product.
    let (code, script) = env.run_sh(
        &["--kind", "train", "--tag", "product=chat"],
        &work(100_000),
    );
    assert_eq!(code, 0);
    assert_eq!(script["kind"], "train");
    let out_dir = env.path("mlp");
    let v = env.json(&[
        "train",
        "tabular-mlp",
        "--epochs",
        "2",
        "--out",
        out_dir.to_str().unwrap(),
        "--tag",
        "product=chat",
        "--json",
    ]);
    let own = env.json(&["runs", "show", v["run_id"].as_str().unwrap(), "--json"]);
    assert_eq!(own["tags"]["product"], "chat");
    assert_eq!(own["tags"]["model"], out_dir.to_str().unwrap());
    // An inference run of the product is not a training run.
    let (_, _) = env.run_sh(&["--kind", "infer", "--tag", "product=chat"], "true");

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let r = env.json(&["report", "--period", &month, "--format", "json"]);
    let chat = r["environmental"]["per_product"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["product"] == "chat")
        .unwrap()
        .clone();
    assert_eq!(chat["runs"], 3, "{chat}");
    assert_eq!(chat["training_runs"], 2, "{chat}");
    let sci = |r: &Value| f(&r["co2e"]["location_g"]) + f(&r["embodied"]["co2e_g"]);
    let want = (sci(&script) + sci(&own)) / 2.0;
    let got = f(&chat["sci_g_per_training_run"]);
    assert!((got - want).abs() <= want * 1e-9, "{got} vs {want}");
    // No requests yet: the per-request SCI is none, not 0.
    assert!(chat["sci_g_per_1k_requests"].is_null(), "{chat}");

    // Sustain's own tags cannot be replaced, and an unknown kind is refused: nothing recorded.
    let before = env
        .json(&["runs", "list", "--json"])
        .as_array()
        .unwrap()
        .len();
    let out = env.run(&["train", "tabular-mlp", "--tag", "model=other"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Sustain sets the tag model"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["run", "--kind", "training", "--", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(stderr(&out).contains("possible values"), "{}", stderr(&out));
    let after = env
        .json(&["runs", "list", "--json"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
}

#[test]
fn target_help_lists_every_metric_a_target_can_track() {
    let env = Env::new();
    let out = env.run(&["target", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    for (metric, ..) in sustain_report::targets::METRICS {
        assert!(
            help.contains(&format!(" {metric},")) || help.contains(&format!(" {metric}.")),
            "`sustain target --help` does not list {metric}"
        );
    }
}

/// Issue 11: user CSV files are read as CSV (a byte-order mark before the header, quoted
/// fields with commas, a quoted label equal to an unquoted one, CRLF line ends); a `--label`
/// that is not a column is an error naming the columns; bad input is exit 2 everywhere and
/// records nothing (a file too short to split, a binary scenario file).
#[test]
fn user_files_are_read_as_csv_and_bad_input_exits_2_recording_nothing() {
    let env = Env::new();
    let csv = env.path("survey.csv");
    let mut text = String::from("\u{feff}\"age, years\",score,label\r\n");
    for i in 0..40 {
        let label = match i % 3 {
            0 => "\"yes\"",
            1 => "yes",
            _ => "no",
        };
        text.push_str(&format!("\"{}\",{},{label}\r\n", 20 + i, i % 7));
    }
    std::fs::write(&csv, text).unwrap();
    let out = env.json(&[
        "train",
        "tabular-mlp",
        "--dataset",
        csv.to_str().unwrap(),
        "--epochs",
        "2",
        "--out",
        "survey",
        "--json",
    ]);
    let classes: Vec<&str> = out["metrics"]["test"]["per_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    // The BOM did not hide `label`: it is the label (two classes, "yes" quoted or not), and
    // the feature named `age, years` is one column.
    assert_eq!(classes, ["no", "yes"]);
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("survey/config.json")).unwrap())
            .unwrap();
    assert_eq!(config["inputs"], 2);
    let recorded = env
        .json(&["runs", "list", "--json"])
        .as_array()
        .unwrap()
        .len();

    let two = env.path("two.csv");
    std::fs::write(&two, "a,b,label\n1,2,x\n3,4,y\n").unwrap();
    let binary = env.path("scenario.toml");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x9f, 0x92, 0x96, 0x00, 0xc3]).unwrap();
    for (args, needle) in [
        (
            vec!["train", "tabular-mlp", "--dataset", two.to_str().unwrap()],
            "too few to split",
        ),
        (
            vec![
                "train",
                "tabular-mlp",
                "--dataset",
                csv.to_str().unwrap(),
                "--label",
                "diagnosis",
            ],
            "has no column 'diagnosis'; its columns are: age, years, score, label",
        ),
        (
            vec!["scenario", "run", binary.to_str().unwrap()],
            "not UTF-8 text",
        ),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    let after = env
        .json(&["runs", "list", "--json"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, recorded, "bad input records no run");
}

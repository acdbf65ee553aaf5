//! End to end in a real headless browser: `sustain serve` on a port, Chromium driven by
//! chromedriver over the WebDriver protocol (a few JSON requests, so no client library), a login
//! with a token, the overview's figures checked against the API, a screenshot under
//! `target/tmp/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`. `scripts/check.sh` installs them and sets
//! `SUSTAIN_E2E_BROWSER=1`, which makes their absence a failure; without the variable the test
//! is skipped with a notice when they are missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_sustain");
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// A child process killed when dropped (also when an assertion fails).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// One WebDriver command; the answer's `value`.
fn wd(a: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Value {
    let res = match (method, body) {
        ("GET", _) => a.get(url).call(),
        ("DELETE", _) => a.delete(url).call(),
        (_, b) => a
            .post(url)
            .header("Content-Type", "application/json")
            .send(b.unwrap_or(json!({})).to_string()),
    };
    let mut res = res.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert!(status < 400, "{method} {url}: {status} {text}");
    v["value"].clone()
}

fn b64decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// `12.3 kWh` -> 12300 (in the base unit).
fn parse_si(text: &str) -> f64 {
    let mut parts = text.split_whitespace();
    let n: f64 = parts.next().unwrap().parse().unwrap();
    let unit = parts.next().unwrap_or("");
    let scale = match unit.chars().next() {
        Some('G') => 1e9,
        Some('M') => 1e6,
        Some('k') => 1e3,
        Some('m') => 1e-3,
        Some('µ') => 1e-6,
        _ => 1.0,
    };
    n * scale
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn overview_in_a_headless_browser_shows_the_apis_figures() {
    let required = std::env::var("SUSTAIN_E2E_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(driver)) = (
        find(&["chromium", "chromium-browser"]),
        find(&["chromedriver"]),
    ) else {
        assert!(
            !required,
            "SUSTAIN_E2E_BROWSER=1 but chromium or chromedriver is missing: apt-get install chromium chromium-driver"
        );
        eprintln!(
            "NOTICE: browser test skipped: chromium and chromedriver not found (apt-get install chromium chromium-driver; scripts/check.sh does, and sets SUSTAIN_E2E_BROWSER=1)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.sqlite");
    std::fs::create_dir_all(dir.path().join("powercap")).unwrap();
    let sustain = |args: &[&str]| {
        let out = Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("SUSTAIN_LEDGER", &ledger)
            .env("SUSTAIN_POWERCAP_ROOT", dir.path().join("powercap"))
            .env("USER", "tester")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // A ledger with this month's runs, usage and costs, and last month's usage and costs.
    let today = chrono::Utc::now().date_naive();
    let last_month = chrono::Datelike::with_day(&today, 1)
        .unwrap()
        .pred_opt()
        .unwrap();
    sustain(&[
        "product",
        "add",
        "chat",
        "--price-per-1k-requests",
        "2.5",
        "--currency",
        "USD",
    ]);
    for (site, tag) in [
        ("FR", "product=chat"),
        ("DE", "product=chat"),
        ("US-CA", "team=ml"),
    ] {
        sustain(&[
            "run",
            "--quiet",
            "--site",
            site,
            "--tag",
            tag,
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done",
        ]);
    }
    for (day, requests, cost) in [(today, "120000", "40"), (last_month, "80000", "25")] {
        let d = day.to_string();
        sustain(&[
            "usage",
            "add",
            "--product",
            "chat",
            "--requests",
            requests,
            "--date",
            &d,
        ]);
        sustain(&[
            "cost",
            "add",
            "--amount",
            cost,
            "--currency",
            "USD",
            "--category",
            "storage",
            "--date",
            &d,
        ]);
    }
    let token = sustain(&["token", "create", "--role", "viewer", "--name", "browser"])
        .trim()
        .to_string();

    let mut server = Guard(
        Command::new(BIN)
            .env("SUSTAIN_LEDGER", &ledger)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stderr.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("sustain serve exited").unwrap();
        if let Some(rest) = line.split(" on http://").nth(1) {
            break format!("http://{}", rest.split_whitespace().next().unwrap());
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let a = agent();
    let mut res = a
        .get(format!("{base}/api/v1/overview"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let api: Value = serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(api["headline"]["runs"], 3, "{api}");

    let port = free_port();
    let _driver = Guard(
        Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let wd_url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.get(format!("{wd_url}/status")).call().is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = tempfile::tempdir().unwrap();
    let session = wd(
        &a,
        "POST",
        &format!("{wd_url}/session"),
        Some(json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}})),
    );
    let sid = session["sessionId"]
        .as_str()
        .expect("session id")
        .to_string();
    let s = format!("{wd_url}/session/{sid}");
    let find_el = |css: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut r = a
                .post(format!("{s}/element"))
                .header("Content-Type", "application/json")
                .send(json!({"using": "css selector", "value": css}).to_string())
                .unwrap();
            let ok = r.status().as_u16() == 200;
            let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
            if ok {
                return v["value"][ELEMENT].as_str().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "no element {css}: {v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let current_url = || {
        wd(&a, "GET", &format!("{s}/url"), None)
            .as_str()
            .unwrap()
            .to_string()
    };

    // Not logged in: the overview sends the browser to the login form.
    wd(
        &a,
        "POST",
        &format!("{s}/url"),
        Some(json!({"url": format!("{base}/")})),
    );
    assert!(current_url().contains("/login?next=/"), "{}", current_url());
    let field = find_el("#token");
    wd(
        &a,
        "POST",
        &format!("{s}/element/{field}/value"),
        Some(json!({"text": token})),
    );
    let button = find_el("#login");
    wd(&a, "POST", &format!("{s}/element/{button}/click"), None);
    let card = find_el(".card[data-metric=energy_wh]");
    assert_eq!(current_url(), format!("{base}/"));
    let _ = card;

    // Every headline card shows the API's figure: exactly in data-value, to its three
    // significant digits on screen.
    let text_of = |el: &str| wd(&a, "GET", &format!("{s}/element/{el}/text"), None);
    let attr = |el: &str, name: &str| {
        wd(
            &a,
            "GET",
            &format!("{s}/element/{el}/attribute/{name}"),
            None,
        )
    };
    for metric in [
        "energy_wh",
        "co2e_location_g",
        "embodied_co2e_g",
        "water_l",
        "runs",
        "requests",
    ] {
        let card = find_el(&format!(".card[data-metric={metric}]"));
        let want = api["headline"][metric].as_f64().unwrap();
        let exact: f64 = attr(&card, "data-value").as_str().unwrap().parse().unwrap();
        assert!(
            (exact - want).abs() <= 1e-12 * want.abs(),
            "{metric}: {exact} != {want}"
        );
        let prev: f64 = attr(&card, "data-previous")
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        // A previous period without embodied figures shows "no data" and carries 0.
        let want_prev = api["previous"][metric].as_f64().unwrap_or(0.0);
        assert!(
            (prev - want_prev).abs() <= 1e-12 * want_prev.abs(),
            "{metric} previous"
        );
        let value = find_el(&format!(".card[data-metric={metric}] .value"));
        let shown = text_of(&value).as_str().unwrap().to_string();
        let n = parse_si(&shown);
        assert!(
            (n - want).abs() <= 0.006 * want.abs() + 1e-12,
            "{metric}: the page shows {shown:?}, the API says {want}"
        );
    }
    let cost = find_el(".card[data-metric=cost] .value");
    let shown = text_of(&cost).as_str().unwrap().to_string();
    let want = api["headline"]["cost"]["USD"].as_f64().unwrap();
    assert_eq!(shown, format!("{want:.2} USD"));
    let requests = find_el(".card[data-metric=requests] .prev");
    assert!(
        text_of(&requests).as_str().unwrap().contains("+50.0 %"),
        "120,000 against 80,000"
    );

    // The charts arrive in a second request; a screenshot to look at once they are in.
    find_el("#overview-charts figure svg");
    let png = b64decode(
        wd(&a, "GET", &format!("{s}/screenshot"), None)
            .as_str()
            .unwrap(),
    );
    assert_eq!(&png[1..4], b"PNG");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("overview.png"), &png).unwrap();
    eprintln!("screenshot: {}", shots.join("overview.png").display());

    // The accounts page with a scope picked in its selector.
    wd(
        &a,
        "POST",
        &format!("{s}/url"),
        Some(json!({"url": format!("{base}/accounts?scope=product:chat")})),
    );
    let report = find_el(".report");
    let text = text_of(&report).as_str().unwrap().to_string();
    assert!(
        text.contains("product:chat") && text.contains("Environmental account"),
        "{text}"
    );
    let png = b64decode(
        wd(&a, "GET", &format!("{s}/screenshot"), None)
            .as_str()
            .unwrap(),
    );
    std::fs::write(shots.join("accounts.png"), &png).unwrap();

    wd(&a, "DELETE", &s, None);
    server.0.kill().ok();
}

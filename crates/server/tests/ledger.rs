//! The API against records outside their plausible bounds, as a hostile or careless client
//! would send them, and against a ledger that already holds them; and concurrent pushes of one
//! run. Driven in process (`tower::ServiceExt::oneshot`).

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Value, json};
use sustain_core::run::RunStart;
use sustain_ledger::{Business, Ledger, Role, SqliteLedger, Tokens};
use sustain_server::wire::RunUpload;
use sustain_server::{AppState, app};
use sustain_testkit as kit;
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    app: Router,
    editor: String,
    viewer: String,
    /// The first day of this month (the API's default period).
    day: NaiveDate,
}

/// Two runs, a product, usage and a cost line this month; an editor and a viewer token.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let l = SqliteLedger::open(&path).unwrap();
    let now = Utc::now();
    let day = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap();
    let fr = kit::site("FR");
    for (id, hour, j) in [("ok-1", 1, 3600.0), ("ok-2", 2, 7200.0)] {
        let s = RunStart {
            tags: kit::tags(&[("product", "chat")]),
            ..kit::run_start(id, kit::at(day.year(), day.month(), 1, hour, 0), &fr)
        };
        l.record_run(
            &s,
            &[],
            &kit::run_end(&s, &fr, kit::energy(j, 0.0, 0.0), 60),
        )
        .unwrap();
    }
    l.add_product(&kit::chat(), "test").unwrap();
    l.add_usage(&[kit::chat_usage(day, 12_000, 0)], "test", "usage.add")
        .unwrap();
    l.add_cost_line(&kit::storage_cost(day), "test").unwrap();
    let editor = l.create_token("ci", Role::Editor, "test").unwrap().token;
    let viewer = l.create_token("v", Role::Viewer, "test").unwrap().token;
    drop(l);
    Fixture {
        app: app(AppState::open(&path).unwrap()),
        _dir: dir,
        path,
        editor,
        viewer,
        day,
    }
}

struct Answer {
    status: StatusCode,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    auth: (&str, &str),
    body: Option<Value>,
) -> Answer {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(auth.0, auth.1);
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    let req = b
        .body(body.map_or_else(Body::empty, |v| Body::from(v.to_string())))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap();
    Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(f: &Fixture, uri: &str) -> Answer {
    call(
        &f.app,
        Method::GET,
        uri,
        ("authorization", &format!("Bearer {}", f.viewer)),
        None,
    )
    .await
}

async fn page(f: &Fixture, uri: &str) -> Answer {
    call(
        &f.app,
        Method::GET,
        uri,
        ("cookie", &format!("sustain_token={}", f.viewer)),
        None,
    )
    .await
}

async fn post(f: &Fixture, uri: &str, body: Value) -> Answer {
    call(
        &f.app,
        Method::POST,
        uri,
        ("authorization", &format!("Bearer {}", f.editor)),
        Some(body),
    )
    .await
}

fn upload(id: &str, day: NaiveDate) -> Value {
    let fr = kit::site("FR");
    let s = kit::run_start(id, kit::at(day.year(), day.month(), day.day(), 3, 0), &fr);
    let samples = [kit::sample(0, s.started_at, kit::energy(1.0, 0.0, 0.0))];
    let e = kit::run_end(&s, &fr, kit::energy(1.0, 0.0, 0.0), 60);
    serde_json::to_value(RunUpload::new(&s, &samples, &e)).unwrap()
}

#[tokio::test]
async fn every_write_refuses_figures_outside_their_bounds_naming_the_field() {
    let f = fixture();
    let audit_before = SqliteLedger::open(&f.path).unwrap().verify_audit().unwrap();
    let run = upload("pushed-0", f.day);
    let with = |path: &[&str], v: Value| {
        let mut r = run.clone();
        let mut at = &mut r;
        for p in &path[..path.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        at[path[path.len() - 1]] = v;
        r
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/api/v1/usage",
            json!({"product": "chat", "requests": 18446744073709551615u64}),
            "requests",
        ),
        (
            "/api/v1/usage",
            json!({"product": "chat", "tokens": 1u64 << 60}),
            "tokens",
        ),
        (
            "/api/v1/usage",
            json!({"product": "chat", "requests": 1, "revenue": 1e308, "currency": "USD"}),
            "revenue",
        ),
        (
            "/api/v1/usage",
            json!({"product": "chat", "requests": 1, "day": "9999-01-01"}),
            "day",
        ),
        (
            "/api/v1/costs",
            json!({"amount": 1e308, "currency": "USD", "category": "staff"}),
            "amount",
        ),
        (
            "/api/v1/products",
            json!({"name": "p", "price_per_1k_requests": 1e308, "currency": "USD"}),
            "price_per_1k_requests",
        ),
        (
            "/api/v1/products",
            json!({"name": "p", "price_per_1m_tokens": -1e308, "currency": "USD"}),
            "price_per_1m_tokens",
        ),
        (
            "/api/v1/indicators",
            json!({"name": "hours", "value": -1e308, "unit": "h"}),
            "value",
        ),
        (
            "/api/v1/index-weights",
            json!({"indicator": "hours", "weight": 1e308, "direction": "higher", "reference": 10}),
            "weight",
        ),
        (
            "/api/v1/targets",
            json!({"name": "t", "metric": "energy_wh", "baseline": "2026-Q1", "goal": 1e300, "by": "2027-12-31"}),
            "goal",
        ),
        (
            "/api/v1/targets",
            json!({"name": "t", "metric": "energy_wh", "baseline": "2026-Q1", "goal": "-30%", "by": "9999-12-31"}),
            "by",
        ),
        (
            "/api/v1/runs",
            with(&["end", "energy", "cpu", "energy_j"], json!(1e308)),
            "end.energy.cpu.energy_j",
        ),
        (
            "/api/v1/runs",
            with(&["samples", "0", "energy", "gpu", "energy_j"], json!(1e308)),
            "samples[0].energy.gpu.energy_j",
        ),
        (
            "/api/v1/runs",
            with(&["start", "site", "intensity_g_per_kwh"], json!(1e308)),
            "start.site",
        ),
        (
            "/api/v1/runs",
            with(&["end", "duration_s"], json!(1e19)),
            "end.duration_s",
        ),
        (
            "/api/v1/runs",
            with(&["end", "ended_at"], json!("1970-01-01T00:00:00Z")),
            "end.ended_at",
        ),
        (
            "/api/v1/runs",
            with(&["start", "started_at"], json!("9999-01-01T00:00:00Z")),
            "start.started_at",
        ),
        (
            "/api/v1/runs",
            with(&["start", "hourly_rate"], json!([1e300, "USD"])),
            "start.hourly_rate",
        ),
        (
            "/api/v1/runs",
            with(&["end", "peak_rss_bytes"], json!(u64::MAX)),
            "end.peak_rss_bytes",
        ),
    ];
    for (uri, body, field) in cases {
        let a = post(&f, uri, body.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{uri} {body}: {}",
            a.body
        );
        let j = a.json();
        assert_eq!(j["field"], field, "{uri} {body}: {j}");
        let msg = j["error"].as_str().unwrap();
        assert!(
            msg.contains("out of bounds")
                || msg.contains("2000 to 2100")
                || msg.contains("ends at or after"),
            "{uri}: the bound is named: {msg}"
        );
    }
    // Nothing of it was recorded.
    let l = SqliteLedger::open(&f.path).unwrap();
    assert_eq!(l.verify_audit().unwrap(), audit_before);
    assert_eq!(l.runs(&Default::default()).unwrap().len(), 2);
    // A valid push still goes through.
    let a = post(&f, "/api/v1/runs", run).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_pushes_of_one_run_are_created_once_and_conflict_after() {
    let f = std::sync::Arc::new(fixture());
    let body = upload("0193f0aa-0000-7000-8000-00000000cafe", f.day);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (f, body) = (f.clone(), body.clone());
            tokio::spawn(async move { post(&f, "/api/v1/runs", body).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 99), "{statuses:?}");
    let l = SqliteLedger::open(&f.path).unwrap();
    let v = l.run("0193f0aa-0000-7000-8000-00000000cafe").unwrap();
    assert_eq!(v.samples, 1);
}

/// Every number in `v` is finite: a non-finite figure serializes as `null`.
fn finite(v: &Value, at: &str) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| finite(v, &format!("{at}.{k}"))),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| finite(v, &format!("{at}[{i}]"))),
        Value::Number(n) => assert!(n.as_f64().is_some_and(f64::is_finite), "{at}"),
        _ => {}
    }
}

fn without(mut v: Value, keys: &[&str]) -> Value {
    for k in keys {
        v.as_object_mut().unwrap().remove(*k);
    }
    v
}

#[tokio::test]
async fn a_period_stays_readable_whatever_an_older_ledger_holds() {
    let f = fixture();
    let apis = [
        "/api/v1/accounts",
        "/api/v1/overview",
        "/api/v1/usage",
        "/api/v1/reports?format=json",
    ];
    let mut before = Vec::new();
    for uri in apis {
        let a = get(&f, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert!(
            !a.body.contains("\"excluded\""),
            "{uri}: absent within bounds"
        );
        before.push(a.json());
    }
    let metrics_before = get(&f, "/metrics").await.body;
    let planted = kit::old_ledger::plant(&f.path, f.day, "chat");
    // The app caches by the ledger's revision, which planting behind its back does not move:
    // a fresh app reads the planted file.
    let f = Fixture {
        app: app(AppState::open(&f.path).unwrap()),
        ..f
    };
    for (uri, was) in apis.iter().zip(before) {
        let a = get(&f, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        let j = a.json();
        finite(&j, uri);
        // The figures of the valid records alone.
        assert_eq!(
            without(j.clone(), &["excluded", "notes"]),
            without(was, &["excluded", "notes"]),
            "{uri}"
        );
        if *uri != "/api/v1/usage" {
            let names: Vec<&str> = j["excluded"]
                .as_array()
                .unwrap_or_else(|| panic!("{uri} names what it left out: {j}"))
                .iter()
                .map(|r| r["id"].as_str().unwrap())
                .collect();
            for id in &planted.runs {
                assert!(names.contains(&id.as_str()), "{uri}: {id}");
            }
        }
    }
    let metrics = get(&f, "/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert_eq!(
        metrics.body, metrics_before,
        "the all-time totals of the valid runs"
    );
    let md = get(&f, "/api/v1/reports?format=md").await;
    assert_eq!(md.status, StatusCode::OK);
    assert!(
        md.body
            .contains("**Warning:** 10 record(s) of this period are left out"),
        "{}",
        md.body
    );
    assert!(
        md.body.contains("old-energy") || md.body.contains("old\\-energy"),
        "{}",
        md.body
    );
    for uri in ["/", "/products", "/accounts", "/runs"] {
        let a = page(&f, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        for bad in [">inf<", "NaN", ">null<"] {
            assert!(!a.body.contains(bad), "{uri} shows {bad}");
        }
        // `inf` only where a left-out record's value is named.
        assert_eq!(
            a.body.matches(" inf ").count(),
            a.body.matches("= inf is out of bounds").count(),
            "{uri}"
        );
    }
    assert!(page(&f, "/accounts").await.body.contains("old-energy"));
    // A run of the old ledger still shows, as recorded.
    assert_eq!(
        get(&f, "/api/v1/runs/old-energy").await.status,
        StatusCode::OK
    );
}

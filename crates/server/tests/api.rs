//! The server driven in process (`tower::ServiceExt::oneshot`, no socket) on a fixture ledger,
//! plus one test on a real port: authentication and roles, validation answers, figures equal to
//! the report crate's, writes through the API, pushed runs, metrics and the pages. The OpenAPI
//! document against the router is in `tests/openapi.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, Datelike, Utc};
use serde_json::{Value, json};
use sustain_core::business::{CostLine, Product, Usage};
use sustain_core::impacts::Impacts;
use sustain_core::run::{
    EnergyBreakdown, EnergySource, RunEnd, RunKind, RunStart, RunStatus, Sample,
};
use sustain_core::site::Site;
use sustain_ledger::{Business, Ledger, Role, SqliteLedger, Tokens};
use sustain_report::{Period, Scope, accounts};
use sustain_server::wire::RunUpload;
use sustain_server::{AppState, app};
use sustain_testkit as kit;
use tower::ServiceExt;

fn site(id: &str) -> Site {
    kit::site(id)
}

fn month_start(months_back: i32) -> DateTime<Utc> {
    let now = Utc::now();
    let total = now.year() * 12 + now.month0() as i32 - months_back;
    kit::at(
        total.div_euclid(12),
        total.rem_euclid(12) as u32 + 1,
        1,
        0,
        0,
    )
}

fn energy(cpu_j: f64) -> EnergyBreakdown {
    EnergyBreakdown {
        cpu: kit::component(cpu_j, EnergySource::Modelled, false, "TDP model"),
        gpu: kit::component(2.0 * cpu_j, EnergySource::Measured, false, "NVML"),
        ram: kit::component(cpu_j / 10.0, EnergySource::Modelled, true, "RSS model"),
    }
}

fn run(
    id: &str,
    site: &Site,
    at: DateTime<Utc>,
    cpu_j: f64,
    tags: &[(&str, &str)],
) -> (RunStart, Vec<Sample>, RunEnd) {
    let start = RunStart {
        name: format!("job-{id}"),
        kind: if tags.iter().any(|t| t.0 == "model") {
            RunKind::Train
        } else {
            RunKind::Infer
        },
        command: vec!["x".into(), "--y".into()],
        tags: kit::tags(tags),
        ..kit::run_start(id, at, site)
    };
    let samples = (0..3)
        .map(|i| {
            kit::sample(
                i,
                at + chrono::Duration::seconds(i64::from(i) + 1),
                energy(cpu_j / 3.0),
            )
        })
        .collect();
    let e = energy(cpu_j);
    let end = RunEnd {
        cpu_time: Duration::from_secs(50),
        peak_rss_bytes: 1 << 20,
        impacts: Impacts::at_site(e.total(), site),
        // The server computes the embodied figure from the start's host figures.
        embodied: None,
        ..kit::run_end(&start, site, e, 60)
    };
    (start, samples, end)
}

fn record(l: &SqliteLedger, r: &(RunStart, Vec<Sample>, RunEnd)) {
    l.start_run(&r.0).unwrap();
    l.append_samples(&r.0.id, &r.1).unwrap();
    l.finish_run(&r.2).unwrap();
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    app: Router,
    admin: String,
    editor: String,
    viewer: String,
}

/// A ledger with runs this month and last month at two sites, for two products, with usage,
/// a cost line and a target; and one token per role.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let l = SqliteLedger::open(&path).unwrap();
    let (fr, de) = (site("FR"), site("DE"));
    let this = month_start(0) + chrono::Duration::hours(1);
    let last = month_start(1) + chrono::Duration::days(3);
    record(
        &l,
        &run(
            "a1",
            &fr,
            this,
            3600.0,
            &[("product", "chat"), ("team", "ml")],
        ),
    );
    record(
        &l,
        &run(
            "a2",
            &de,
            this + chrono::Duration::minutes(5),
            7200.0,
            &[("product", "search")],
        ),
    );
    record(
        &l,
        &run(
            "a3",
            &de,
            this + chrono::Duration::minutes(9),
            1800.0,
            &[("model", "m1"), ("product", "chat")],
        ),
    );
    record(&l, &run("b1", &fr, last, 900.0, &[("product", "chat")]));
    record(
        &l,
        &run("b2", &de, last + chrono::Duration::hours(2), 450.0, &[]),
    );
    for (name, price) in [("chat", 2.5), ("search", 1.0)] {
        l.add_product(
            &Product {
                name: name.into(),
                unit: "request".into(),
                price_per_1k_requests: Some(price),
                price_per_1m_tokens: None,
                currency: Some("USD".into()),
                description: String::new(),
                recorded_at: Utc::now(),
            },
            "cli:test",
        )
        .unwrap();
    }
    let day = this.date_naive();
    l.add_usage(
        &[Usage {
            product: "chat".into(),
            day,
            requests: 12_000,
            tokens: 400_000,
            revenue: 30.0,
            currency: "USD".into(),
            source: "test".into(),
        }],
        "cli:test",
        "usage.add",
    )
    .unwrap();
    l.add_cost_line(
        &CostLine {
            day,
            scope: "company".into(),
            category: "storage".into(),
            amount: 12.5,
            currency: "USD".into(),
            description: String::new(),
        },
        "cli:test",
    )
    .unwrap();
    let admin = l
        .create_token("root", Role::Admin, "cli:test")
        .unwrap()
        .token;
    let editor = l
        .create_token("ci", Role::Editor, "cli:test")
        .unwrap()
        .token;
    let viewer = l
        .create_token("alice", Role::Viewer, "cli:test")
        .unwrap()
        .token;
    drop(l);
    let app = app(AppState::open(&path).unwrap());
    Fixture {
        _dir: dir,
        path,
        app,
        admin,
        editor,
        viewer,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    send(app, req).await
}

async fn get(f: &Fixture, uri: &str) -> Answer {
    call(&f.app, Method::GET, uri, Some(&f.viewer), None).await
}

#[tokio::test]
async fn no_token_bad_token_viewer_writing_and_revoked_tokens_are_refused() {
    let f = fixture();
    // No token: 401 with a JSON body and a WWW-Authenticate challenge.
    for uri in [
        "/api/v1/runs",
        "/api/v1/overview",
        "/api/v1/accounts",
        "/metrics",
        "/api/v1/tokens",
    ] {
        let a = call(&f.app, Method::GET, uri, None, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(a.headers.contains_key(header::WWW_AUTHENTICATE));
        assert!(
            a.json()["error"].as_str().unwrap().contains("token"),
            "{uri}"
        );
    }
    // A made-up token of the right shape.
    let fake = format!("sst_{}_{}", "0".repeat(12), "1".repeat(64));
    let a = call(&f.app, Method::GET, "/api/v1/runs", Some(&fake), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // A viewer reads, but does not write or manage tokens.
    assert_eq!(get(&f, "/api/v1/runs").await.status, StatusCode::OK);
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/products",
        Some(&f.viewer),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    assert!(a.json()["error"].as_str().unwrap().contains("viewer"));
    let a = call(&f.app, Method::GET, "/api/v1/tokens", Some(&f.editor), None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The admin revokes the viewer's token over the API; it stops working at once.
    let tokens = call(&f.app, Method::GET, "/api/v1/tokens", Some(&f.admin), None)
        .await
        .json();
    assert_eq!(tokens.as_array().unwrap().len(), 3);
    assert!(
        !tokens.to_string().contains(&f.viewer[17..]),
        "secrets are never listed"
    );
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/tokens/alice/revoke",
        Some(&f.admin),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(a.json()["revoked_at"].is_string());
    let a = get(&f, "/api/v1/runs").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.json()["error"].as_str().unwrap().contains("revoked"));
    // A token created over the API works; its text is given once.
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/tokens",
        Some(&f.admin),
        Some(json!({"name": "bob", "role": "viewer"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let bob = a.json()["token"].as_str().unwrap().to_string();
    let a = call(&f.app, Method::GET, "/api/v1/whoami", Some(&bob), None).await;
    assert_eq!(a.json()["name"], "bob");
    assert_eq!(a.json()["role"], "viewer");
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/tokens",
        Some(&f.admin),
        Some(json!({"name": "eve", "role": "owner"})),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("role"))
    );
}

#[tokio::test]
async fn the_cookie_reads_but_never_writes() {
    let f = fixture();
    let cookie = format!("sustain_token={}", f.editor);
    let req = |m: Method, uri: &str, body: Body| {
        Request::builder()
            .method(m)
            .uri(uri)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .unwrap()
    };
    let a = send(&f.app, req(Method::GET, "/api/v1/products", Body::empty())).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = send(
        &f.app,
        req(
            Method::POST,
            "/api/v1/products",
            Body::from(r#"{"name":"x"}"#),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.json()["error"].as_str().unwrap().contains("Bearer"));
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_says_what_is_wrong() {
    let f = fixture();
    let a = get(&f, "/api/v1/accounts?period=2026-Q5").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let j = a.json();
    assert_eq!(j["field"], "period");
    assert!(j["error"].as_str().unwrap().contains("2026-Q3"), "{j}");
    assert!(j["request_id"].is_string());
    let a = get(&f, "/api/v1/accounts?scope=planet:earth").await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("scope"))
    );
    let a = get(&f, "/api/v1/accounts?scope=product:nope").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["error"].as_str().unwrap().contains("chat, search"));
    let a = get(&f, "/api/v1/runs?limit=0").await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    let a = get(&f, "/api/v1/runs?colour=red").await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("colour"))
    );
    let a = get(&f, "/api/v1/runs?status=happy").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = get(&f, "/api/v1/runs/zzzz").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = get(&f, "/api/v1/reports?format=pdf").await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("format"))
    );
    let post = |uri: &'static str, body: Value| {
        let app = f.app.clone();
        let t = f.editor.clone();
        async move { call(&app, Method::POST, uri, Some(&t), Some(body)).await }
    };
    // Unknown product: 422 naming the known ones.
    let a = post("/api/v1/usage", json!({"product": "nope", "requests": 5})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let msg = a.json()["error"].as_str().unwrap().to_string();
    assert!(
        msg.contains("unknown product 'nope'") && msg.contains("chat, search"),
        "{msg}"
    );
    // A field the API does not know, a missing one, a wrong type, broken JSON.
    let a = post("/api/v1/products", json!({"name": "x", "colour": "red"})).await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("colour")),
        "{}",
        a.text()
    );
    let a = post("/api/v1/costs", json!({"amount": 3.0, "currency": "USD"})).await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("category"))
    );
    let a = post(
        "/api/v1/usage",
        json!({"product": "chat", "requests": "many"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/products")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.editor))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": "))
        .unwrap();
    assert_eq!(send(&f.app, req).await.status, StatusCode::BAD_REQUEST);
    // Values the records refuse.
    let a = post(
        "/api/v1/costs",
        json!({"amount": -3.0, "currency": "USD", "category": "staff"}),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("amount"))
    );
    let a = post(
        "/api/v1/costs",
        json!({"amount": 3.0, "currency": "dollars", "category": "staff"}),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("currency"))
    );
    let a = post(
        "/api/v1/usage",
        json!({"product": "chat", "day": "yesterday"}),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("day"))
    );
    let a = post("/api/v1/targets", json!({"name": "t", "metric": "happiness", "baseline": "2026-Q1", "goal": "-30%", "by": "2027-12-31"})).await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("metric"))
    );
    let a = post("/api/v1/targets", json!({"name": "t", "metric": "energy_wh", "baseline": "2026-Q1", "goal": true, "by": "2027-12-31"})).await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("goal"))
    );
    // Unknown routes are JSON 404s.
    let a = get(&f, "/api/v1/nothing").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.json()["error"].as_str().unwrap().contains("openapi"));
}

/// Equal JSON, numbers to the last bit or one (serde_json's default float parser may round the
/// last digit of a printed f64 the other way).
fn same(got: &Value, want: &Value, at: &str) {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1e-300),
                "{at}: {g} != {w}"
            );
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{at}: lengths");
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                same(g, w, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(g), Value::Object(w)) => {
            assert_eq!(
                g.keys().collect::<Vec<_>>(),
                w.keys().collect::<Vec<_>>(),
                "{at}: keys"
            );
            for (k, w) in w {
                same(&g[k], w, &format!("{at}.{k}"));
            }
        }
        (g, w) => assert_eq!(g, w, "{at}"),
    }
}

#[tokio::test]
async fn figures_from_the_api_equal_the_report_crates() {
    let f = fixture();
    let l = SqliteLedger::open(&f.path).unwrap();
    let this = Period::parse(&Utc::now().format("%Y-%m").to_string()).unwrap();
    for (period, scope) in [
        (this.clone(), Scope::Company),
        (this.previous(), Scope::Company),
        (this.clone(), Scope::Product("chat".into())),
        (this.clone(), Scope::Site("DE".into())),
        (
            Period::parse(&Utc::now().format("%Y").to_string()).unwrap(),
            Scope::Company,
        ),
    ] {
        let want = serde_json::to_value(accounts(&l, &period, &scope).unwrap()).unwrap();
        let uri = format!(
            "/api/v1/accounts?period={}&scope={}",
            period.label,
            scope.label()
        );
        let got = get(&f, &uri).await;
        assert_eq!(got.status, StatusCode::OK, "{uri}: {}", got.text());
        same(&got.json(), &want, &uri);
        // Served again from the cache: the same.
        same(
            &get(&f, &uri).await.json(),
            &want,
            &format!("{uri} (cached)"),
        );
    }
    // The overview is this month's headline against the previous month's.
    let a = accounts(&l, &this, &Scope::Company).unwrap();
    let o = get(&f, "/api/v1/overview").await.json();
    same(
        &o["headline"],
        &serde_json::to_value(&a.headline).unwrap(),
        "headline",
    );
    same(
        &o["previous"],
        &serde_json::to_value(&a.previous).unwrap(),
        "previous",
    );
    assert_eq!(o["headline"]["runs"], 3);
    assert_eq!(o["previous"]["runs"], 2);
    let pct = 100.0 * (a.headline.energy_wh - a.previous.energy_wh) / a.previous.energy_wh;
    assert!((o["change_pct"]["energy_wh"].as_f64().unwrap() - pct).abs() < 1e-9);
    // After a write the cache gives the new figures.
    let before = o["headline"]["cost"]["USD"].as_f64().unwrap();
    let w = call(&f.app, Method::POST, "/api/v1/costs", Some(&f.editor), Some(json!({"amount": 100.0, "currency": "USD", "category": "staff", "day": this.from.to_string()}))).await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text());
    let after = get(&f, "/api/v1/overview").await.json()["headline"]["cost"]["USD"]
        .as_f64()
        .unwrap();
    assert!((after - before - 100.0).abs() < 1e-9, "{before} -> {after}");
    // Reports in every format, as the CLI renders them.
    let r = get(
        &f,
        &format!("/api/v1/reports?period={}&format=md", this.label),
    )
    .await;
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "text/markdown; charset=utf-8"
    );
    assert!(
        r.text()
            .starts_with(&format!("# Sustain report: {}, company", this.label))
    );
    let r = get(
        &f,
        &format!("/api/v1/reports?period={}&format=csv", this.label),
    )
    .await;
    assert!(r.text().starts_with("section,metric,group,value,unit"));
    let r = get(&f, "/api/v1/reports").await.json();
    assert_eq!(r["headline"]["runs"], 3);
    assert!(r["targets"].is_array());
}

#[tokio::test]
async fn writes_go_through_the_business_methods_with_the_token_as_actor() {
    let f = fixture();
    let post = |uri: &'static str, body: Value| {
        let app = f.app.clone();
        let t = f.editor.clone();
        async move { call(&app, Method::POST, uri, Some(&t), Some(body)).await }
    };
    let a = post(
        "/api/v1/products",
        json!({"name": "embed", "price_per_1m_tokens": 0.1, "currency": "eur"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(a.json()["currency"], "EUR");
    let names: Vec<String> = get(&f, "/api/v1/products")
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["chat", "embed", "search"]);
    // Revenue from the product's prices when none is given.
    let a = post(
        "/api/v1/usage",
        json!({"product": "embed", "tokens": 2_000_000, "day": "2026-07-10"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert!((a.json()["revenue"].as_f64().unwrap() - 0.2).abs() < 1e-12);
    let u = get(&f, "/api/v1/usage?period=2026-07").await.json();
    assert_eq!(u["usage"][0]["tokens"], 2_000_000);
    let a = post("/api/v1/costs", json!({"amount": 40, "currency": "USD", "category": "licences", "scope": "product:chat", "day": "2026-07-11"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(
        get(&f, "/api/v1/costs?period=2026-07").await.json()["cost_lines"][0]["category"],
        "licences"
    );
    let a = post("/api/v1/targets", json!({"name": "chat-carbon", "metric": "co2e_per_1k_requests", "scope": "product:chat", "baseline": "2026-Q1", "goal": "-30%", "by": "2027-12-31"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let a = post("/api/v1/targets", json!({"name": "energy-cap", "metric": "energy_wh", "baseline": "2026", "goal": 5000, "by": "2027-12-31"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let t = get(&f, "/api/v1/targets").await.json();
    assert_eq!(t.as_array().unwrap().len(), 2);
    assert!(t[0]["verdict"].is_string() && t[0]["explanation"].is_string());
    // The audit log names the token, and its chain holds.
    let l = SqliteLedger::open(&f.path).unwrap();
    let log = l.audit().unwrap();
    let api: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.actor.starts_with("api:"))
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        api,
        [
            ("api:ci", "product.add"),
            ("api:ci", "usage.add"),
            ("api:ci", "cost.add"),
            ("api:ci", "target.add"),
            ("api:ci", "target.add")
        ]
    );
    l.verify_audit().unwrap();
}

fn upload(id: &str, at: DateTime<Utc>) -> RunUpload {
    let r = run(
        id,
        &site("SE"),
        at,
        5000.0,
        &[("product", "chat"), ("team", "remote")],
    );
    RunUpload::new(&r.0, &r.1, &r.2)
}

#[tokio::test]
async fn a_pushed_run_is_validated_recorded_and_counted() {
    let f = fixture();
    let at = month_start(0) + chrono::Duration::hours(5);
    let up = upload("0193f0aa-0000-7000-8000-000000000001", at);
    let body = serde_json::to_value(&up).unwrap();
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.viewer),
        Some(body.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(body.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    // Recorded as a local run would be: samples, end, impacts computed by the server.
    let l = SqliteLedger::open(&f.path).unwrap();
    let v = l.run("0193f0aa").unwrap();
    assert_eq!(v.samples, 3);
    assert_eq!(v.status(), RunStatus::Succeeded);
    let expected = Impacts::at_site(energy(5000.0).total(), &site("SE"));
    assert_eq!(v.end.as_ref().unwrap().impacts, expected);
    // Embodied carbon from the start's host figures: 60 s, 50 s of CPU on 2 CPUs.
    let m = v.end.as_ref().unwrap().embodied.as_ref().unwrap();
    let want = 1230.3e3 * (60.0 / 3600.0) / (4.0 * 8766.0) * (50.0 / 120.0);
    assert!((m.co2e.grams() - want).abs() < 1e-12, "{m:?}");
    assert_eq!(l.samples(&v.start.id).unwrap().len(), 3);
    let j = get(&f, "/api/v1/runs/0193f0aa").await.json();
    assert_eq!(j["tags"]["team"], "remote");
    assert_eq!(
        get(&f, "/api/v1/runs/0193f0aa/samples")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        get(&f, "/api/v1/runs?limit=2")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // In this month's figures at once.
    assert_eq!(
        get(&f, "/api/v1/overview").await.json()["headline"]["runs"],
        4
    );
    // Twice: a conflict. Broken records: 400 naming the field.
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(body.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let mut bad = body.clone();
    bad["start"]["id"] = json!("two-00");
    bad["start"]["host"]["embodied"]["lifetime_years"] = json!(0.0);
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(bad),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("start.host.embodied"))
    );
    let mut bad = body.clone();
    bad["start"]["id"] = json!("two-01");
    bad["end"]["energy"]["cpu"]["energy_j"] = json!(-1.0);
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(bad),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("end.energy.cpu.energy_j"))
    );
    let mut bad = body.clone();
    bad["start"]["id"] = json!("two-02");
    bad["end"]["status"] = json!("running");
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(bad),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("end.status"))
    );
    let mut bad = body.clone();
    bad["start"]["id"] = json!("../etc");
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(bad),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("start.id"))
    );
    let mut bad = body;
    bad["start"]["id"] = json!("two-03");
    bad["start"]["site"]["pue"] = json!(0.2);
    let a = call(
        &f.app,
        Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(bad),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("start.site")),
        "{}",
        a.text()
    );
    assert!(
        l.run("two-").is_err(),
        "nothing of the refused pushes was recorded"
    );
}

#[tokio::test]
async fn internal_errors_are_logged_not_leaked() {
    let f = fixture();
    // A run whose stored start time is unreadable (never written by Sustain).
    let conn = rusqlite::Connection::open(&f.path).unwrap();
    conn.execute(
        "INSERT INTO runs SELECT 'zz-broken', name, kind, command, 'not a time', site_id, site, host, meter, methods, interval_s, tags, hourly_rate, hourly_rate_currency, recorded_at FROM runs LIMIT 1",
        [],
    )
    .unwrap();
    let a = get(&f, "/api/v1/runs/zz-broken").await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    let j = a.json();
    let id = j["request_id"].as_str().unwrap();
    assert_eq!(a.headers["x-request-id"], id);
    assert!(
        !a.text().contains("not a time"),
        "the cause stays in the log: {}",
        a.text()
    );
    assert!(j["error"].as_str().unwrap().contains("request id"));
}

fn metric_sum(text: &str, name: &str, filter: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && l.contains(filter))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

#[tokio::test]
async fn metrics_are_prometheus_text_by_site_kind_and_product() {
    let f = fixture();
    let a = get(&f, "/metrics").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let t = a.text();
    for family in [
        "sustain_runs_total",
        "sustain_facility_energy_joules_total",
        "sustain_co2e_location_grams_total",
        "sustain_water_litres_total",
        "sustain_cost_total",
        "sustain_runs_open",
    ] {
        assert!(
            t.contains(&format!("# TYPE {family} ")),
            "{family} missing:\n{t}"
        );
    }
    // Totals equal the ledger's, and each label splits them.
    let l = SqliteLedger::open(&f.path).unwrap();
    let all = Period::parse("1970-01-01..2100-12-31").unwrap();
    let a = accounts(&l, &all, &Scope::Company).unwrap();
    assert_eq!(metric_sum(&t, "sustain_runs_total", ""), 5.0);
    let g = metric_sum(&t, "sustain_co2e_location_grams_total", "");
    assert!(
        (g - a.environmental.co2e_location_g).abs() < 1e-6 * g.max(1.0),
        "{g}"
    );
    let wh = metric_sum(&t, "sustain_facility_energy_joules_total", "") / 3600.0;
    assert!((wh - a.environmental.energy_wh.facility).abs() < 1e-6 * wh.max(1.0));
    assert_eq!(metric_sum(&t, "sustain_runs_total", "site=\"DE\""), 3.0);
    assert_eq!(
        metric_sum(&t, "sustain_runs_total", "product=\"chat\""),
        3.0
    );
    assert_eq!(metric_sum(&t, "sustain_runs_total", "kind=\"train\""), 1.0);
    let chat = accounts(&l, &all, &Scope::Product("chat".into())).unwrap();
    let g = metric_sum(&t, "sustain_co2e_location_grams_total", "product=\"chat\"");
    assert!((g - chat.environmental.co2e_location_g).abs() < 1e-6 * g.max(1.0));
    // Every sample line parses as NAME{LABELS} VALUE.
    for line in t.lines().filter(|l| !l.starts_with('#')) {
        let (_, v) = line.rsplit_once(' ').unwrap();
        assert!(v.parse::<f64>().is_ok(), "{line}");
    }
}

#[tokio::test]
async fn pages_need_a_login_that_sets_a_strict_httponly_cookie() {
    let f = fixture();
    let page = |uri: &str, cookie: Option<&str>| {
        let mut b = Request::builder().uri(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::empty()).unwrap()
    };
    let a = send(&f.app, page("/accounts?period=2026", None)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.headers[header::LOCATION],
        "/login?next=/accounts%3Fperiod%3D2026"
    );
    let a = send(&f.app, page("/login", None)).await;
    assert!(a.text().contains("type=\"password\""));
    let login = |token: &str, next: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}&next={next}")))
            .unwrap()
    };
    let a = send(&f.app, login("sst_wrong", "/")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.text().contains("unknown or revoked"));
    let a = send(&f.app, login(&f.viewer, "https://evil.example/")).await;
    assert_eq!(a.headers[header::LOCATION], "/", "only local redirects");
    let a = send(&f.app, login(&f.viewer, "/runs")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.headers[header::LOCATION], "/runs");
    let set = a.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    for (uri, needle) in [
        ("/", "data-metric=\"energy_wh\""),
        (
            "/accounts?period=2026&scope=company",
            "Environmental account",
        ),
        ("/runs", "job-a1"),
        ("/models", "Datasets"),
        ("/products", "search"),
        ("/targets", "Targets"),
        ("/scenarios", "No saved scenarios"),
        ("/fragments/overview-charts", "<svg"),
    ] {
        let a = send(&f.app, page(uri, Some(&cookie))).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        let html = a.text();
        assert!(html.contains(needle), "{uri}: {needle}");
        if !uri.starts_with("/fragments") {
            assert!(html.contains("alice (viewer)"), "{uri}");
        }
    }
    // A saved scenario is run on its page, beside the actual figures.
    SqliteLedger::open(&f.path)
        .unwrap()
        .save_scenario(
            &sustain_core::business::SavedScenario {
                name: "to-fr".into(),
                body: "name = \"to-fr\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\n".into(),
                recorded_at: Utc::now(),
            },
            "test",
        )
        .unwrap();
    let a = send(&f.app, page("/scenarios?name=to-fr", Some(&cookie))).await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(
        html.contains("Scenario to-fr") && html.contains("move-site to=FR"),
        "{html}"
    );
    let a = send(&f.app, page("/scenarios?period=someday", Some(&cookie))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    // Bad input on a page is a page with the message.
    let a = send(&f.app, page("/accounts?period=someday", Some(&cookie))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("2026-Q3"));
    let a = send(&f.app, page("/assets/style.css", None)).await;
    assert_eq!(a.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    let a = send(
        &f.app,
        Request::builder()
            .method(Method::POST)
            .uri("/logout")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        a.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
}

#[tokio::test]
async fn text_from_the_ledger_is_escaped_in_pages() {
    let f = fixture();
    let l = SqliteLedger::open(&f.path).unwrap();
    let at = month_start(0) + chrono::Duration::hours(7);
    record(
        &l,
        &run(
            "x1",
            &site("FR"),
            at,
            100.0,
            &[("model", "<script>alert(1)</script>")],
        ),
    );
    let cookie = format!("sustain_token={}", f.viewer);
    for uri in ["/", "/accounts", "/runs"] {
        let req = Request::builder()
            .uri(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap();
        let html = send(&f.app, req).await.text();
        assert!(!html.contains("<script>alert"), "{uri}");
    }
}

fn http(agent: &ureq::Agent, method: &str, url: &str, token: &str) -> (u16, String) {
    let auth = format!("Bearer {token}");
    let res = match method {
        "GET" => agent.get(url).header("Authorization", &auth).call(),
        _ => agent
            .post(url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send("{\"name\": \"live\"}"),
    };
    let mut res = res.unwrap();
    (
        res.status().as_u16(),
        res.body_mut().read_to_string().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_on_a_real_port() {
    let f = fixture();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::open(&f.path).unwrap();
    let server = tokio::spawn(sustain_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let (viewer, editor) = (f.viewer.clone(), f.editor.clone());
    let answers = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let base = format!("http://{addr}");
        vec![
            http(&agent, "GET", &format!("{base}/healthz"), ""),
            http(&agent, "GET", &format!("{base}/api/v1/overview"), &viewer),
            http(&agent, "GET", &format!("{base}/api/v1/overview"), "nope"),
            http(&agent, "POST", &format!("{base}/api/v1/products"), &editor),
            http(&agent, "POST", &format!("{base}/api/v1/products"), &viewer),
        ]
    })
    .await
    .unwrap();
    let codes: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(codes, [200, 200, 401, 201, 403], "{answers:?}");
    let o: Value = serde_json::from_str(&answers[1].1).unwrap();
    assert_eq!(o["headline"]["runs"], 3);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(Path::new(&f.path).exists());
}

#[tokio::test]
async fn the_overview_sums_run_costs_per_currency_like_the_report() {
    let f = fixture();
    let l = SqliteLedger::open(&f.path).unwrap();
    let usd = site("US-CA");
    let mut record_eur = usd.record.clone();
    record_eur.id = "eu-dc".into();
    record_eur.currency = Some("EUR".into());
    record_eur.price_per_kwh = Some(0.31);
    let eur = Site::from_record(record_eur).unwrap();
    let this = month_start(0) + chrono::Duration::hours(3);
    let last = month_start(1) + chrono::Duration::hours(3);
    // Previous month: one currency (the single-pass path); this month: two (the grouped one).
    record(&l, &run("c1", &usd, last, 90_000.0, &[]));
    record(&l, &run("c2", &usd, this, 40_000.0, &[]));
    record(&l, &run("c3", &eur, this, 70_000.0, &[]));
    let month = Period::parse(&Utc::now().format("%Y-%m").to_string()).unwrap();
    let a = accounts(&l, &month, &Scope::Company).unwrap();
    assert_eq!(a.headline.cost.len(), 2, "{:?}", a.headline.cost);
    assert_eq!(a.previous.cost.len(), 1, "{:?}", a.previous.cost);
    let o = get(&f, "/api/v1/overview").await.json();
    same(
        &o["headline"],
        &serde_json::to_value(&a.headline).unwrap(),
        "headline",
    );
    same(
        &o["previous"],
        &serde_json::to_value(&a.previous).unwrap(),
        "previous",
    );
}

#[tokio::test]
async fn indicators_weights_and_scenarios_over_the_api() {
    let f = fixture();
    let post = |uri: &'static str, token: String, body: Value| {
        let app = f.app.clone();
        async move { call(&app, Method::POST, uri, Some(&token), Some(body)).await }
    };
    // Writes need an editor; a viewer is refused.
    let a = post(
        "/api/v1/indicators",
        f.viewer.clone(),
        json!({"name": "training_hours", "value": 10.0, "unit": "h"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = post(
        "/api/v1/indicators",
        f.editor.clone(),
        json!({"name": "training_hours", "value": 120.0, "unit": "h"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let a = post("/api/v1/index-weights", f.editor.clone(), json!({"indicator": "training_hours", "weight": 1.0, "direction": "higher", "reference": 400.0})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    // Bad input: 4xx naming what is wrong.
    for (uri, body, want) in [
        (
            "/api/v1/indicators",
            json!({"name": "fairness.x", "value": 1.0, "unit": "h"}),
            "fairness",
        ),
        (
            "/api/v1/indicators",
            json!({"name": "x", "value": 1.0, "unit": "h", "scope": "galaxy:far"}),
            "company, product:NAME",
        ),
        (
            "/api/v1/indicators",
            json!({"name": "x", "value": 1.0, "unit": "h", "day": "tomorrow"}),
            "2026-07-10",
        ),
        (
            "/api/v1/index-weights",
            json!({"indicator": "x", "weight": 1.0, "direction": "up", "reference": 1.0}),
            "higher or lower",
        ),
        (
            "/api/v1/index-weights",
            json!({"indicator": "x", "weight": -1.0, "direction": "higher", "reference": 1.0}),
            ">= 0",
        ),
        (
            "/api/v1/scenarios",
            json!({"toml": "name = \"s\"\n[[lever]]\ntype = \"move-sites\"\nto = \"FR\"\n"}),
            "did you mean",
        ),
        (
            "/api/v1/scenarios",
            json!({"toml": "name = \"s\"\n[[lever]]\ntype = \"pue\"\npue = 0.5\n"}),
            "PUE >= 1",
        ),
    ] {
        let a = post(uri, f.editor.clone(), body).await;
        assert!(
            a.status.is_client_error(),
            "{uri}: {} {}",
            a.status,
            a.text()
        );
        assert!(a.text().contains(want), "{uri}: {}", a.text());
    }
    // The accounts carry the index: 120 of 400 h scores 30.
    let acc = get(&f, "/api/v1/accounts").await.json();
    assert_eq!(acc["social"]["indicators"][0]["total"], 120.0);
    assert!((acc["social"]["index"]["score"].as_f64().unwrap() - 30.0).abs() < 1e-9);
    assert_eq!(
        get(&f, "/api/v1/indicators").await.json()["indicators"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(&f, "/api/v1/index-weights").await.json()[0]["indicator"],
        "training_hours"
    );
    // A scenario saved, listed and run: every run moved to France equals the report crate's.
    let toml = "name = \"to-fr\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\n";
    let a = post("/api/v1/scenarios", f.editor.clone(), json!({"toml": toml})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let list = get(&f, "/api/v1/scenarios").await.json();
    assert_eq!(list["scenarios"][0]["name"], "to-fr");
    let got = get(&f, "/api/v1/scenarios/to-fr").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let l = SqliteLedger::open(&f.path).unwrap();
    let sites = sustain_core::site::SiteCatalog::bundled().unwrap();
    let acc = sustain_core::hardware::AcceleratorCatalog::bundled().unwrap();
    let want = sustain_report::scenario::run(
        &l,
        &sustain_report::scenario::ScenarioFile::parse(toml).unwrap(),
        &Period::parse(&Utc::now().format("%Y-%m").to_string()).unwrap(),
        &Scope::Company,
        &sustain_report::scenario::Context {
            sites: &sites,
            accelerators: &acc,
            file: None,
        },
    )
    .unwrap();
    same(
        &got.json(),
        &serde_json::to_value(&want).unwrap(),
        "scenario",
    );
    assert!(want.scenario.co2e_location_g < want.actual.co2e_location_g);
    let none = get(&f, "/api/v1/scenarios/nope").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert!(none.text().contains("GET /api/v1/scenarios"));
    // Every change is in the audit log under the editor token's name.
    let audit = l.audit().unwrap();
    for action in ["indicator.add", "index.weight", "scenario.save"] {
        let e = audit.iter().find(|e| e.action == action).unwrap();
        assert!(e.actor.starts_with("api:"), "{}", e.actor);
    }
}

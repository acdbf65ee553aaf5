//! The HTML the server writes, with a hostile value in every user-controlled field the ledger
//! accepts (tag values, run names, sites, hardware, model paths, product units and
//! descriptions, scenario descriptions and levers, a `next` link): each page, the overview's
//! charts, the login form, an error page and the API's HTML report answer 200 (the error page
//! its 4xx) with the value as escaped text and never raw. And every response carries the
//! security headers; a body over the limit is a 413; the public login page shows nothing of the
//! ledger.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sha2::{Digest, Sha256};
use sustain_core::business::{Product, SavedScenario};
use sustain_core::run::{HostInfo, RunEnd, RunKind, RunStart};
use sustain_core::site::SiteCatalog;
use sustain_ledger::{Business, Ledger, Role, SqliteLedger, Tokens};
use sustain_server::{AppState, app};
use sustain_testkit as kit;
use tower::ServiceExt;

/// A value that is markup in HTML, in an attribute, in SVG and in Markdown, named after its
/// field.
fn hostile(field: &str) -> String {
    format!(
        "<script>alert('{field}')</script>\"><img src=x onerror=alert('{field}')>]]></svg><script>|*_[{field}](javascript:x)"
    )
}

/// The value as maud writes it in text and attributes.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn this_month() -> (DateTime<Utc>, String) {
    let now = Utc::now();
    let start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 1, 0, 0)
        .unwrap();
    (start, now.format("%Y-%m").to_string())
}

/// A succeeded training run with hostile text in its name, tags, site, hardware and model path.
fn record(l: &SqliteLedger, id: &str, at: DateTime<Utc>) {
    let mut site = SiteCatalog::bundled().unwrap().get("FR").unwrap().clone();
    site.record.id = hostile("site");
    site.record.name = hostile("site name");
    let tags: BTreeMap<String, String> = [
        ("model", hostile("model tag")),
        ("product", hostile("product tag")),
        ("team", hostile("team tag")),
        ("dataset", hostile("dataset tag")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let start = RunStart {
        name: hostile("run name"),
        kind: RunKind::Train,
        command: vec![hostile("command")],
        host: HostInfo {
            cpu_model: hostile("hardware"),
            ..kit::host()
        },
        tags,
        ..kit::run_start(id, at, &site)
    };
    l.start_run(&start).unwrap();
    l.finish_run(&RunEnd {
        outcomes: serde_json::json!({
            "model_sha256": "ab".repeat(32),
            "dataset_sha256": "cd".repeat(32),
            "model_path": hostile("model path"),
            "metrics": {"test": {"accuracy": 0.5}},
        }),
        ..kit::run_end(&start, &site, kit::energy(3.6e6, 0.0, 0.0), 60)
    })
    .unwrap();
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    app: Router,
    viewer: String,
    editor: String,
    month: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let l = SqliteLedger::open(&path).unwrap();
    let (start, month) = this_month();
    record(&l, "0193f0aa-0000-7000-8000-000000000001", start);
    l.add_product(
        &Product {
            name: "chat".into(),
            unit: hostile("product unit"),
            price_per_1k_requests: Some(2.5),
            price_per_1m_tokens: None,
            currency: Some("USD".into()),
            description: hostile("product description"),
            recorded_at: Utc::now(),
        },
        "test",
    )
    .unwrap();
    let lever_product = hostile("lever product").replace('"', "\\\"");
    let description = hostile("scenario description").replace('"', "\\\"");
    l.save_scenario(
        &SavedScenario {
            name: "plan".into(),
            body: format!(
                "name = \"plan\"\ndescription = \"{description}\"\n[[lever]]\ntype = \"move-site\"\nto = \"DE\"\nproduct = \"{lever_product}\"\n"
            ),
            recorded_at: Utc::now(),
        },
        "test",
    )
    .unwrap();
    let viewer = l.create_token("alice", Role::Viewer, "test").unwrap().token;
    let editor = l.create_token("ci", Role::Editor, "test").unwrap().token;
    drop(l);
    let app = app(AppState::open(&path).unwrap());
    Fixture {
        _dir: dir,
        path,
        app,
        viewer,
        editor,
        month,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// GET `uri` with the viewer's token in the login cookie (as a browser sends it).
async fn page(f: &Fixture, uri: &str) -> Answer {
    let req = Request::builder()
        .uri(uri)
        .header(header::COOKIE, format!("sustain_token={}", f.viewer))
        .body(Body::empty())
        .unwrap();
    send(&f.app, req).await
}

// Tag keys are not here: every door refuses a key other than letters, digits, '-', '_', '.'
// and '/' (`RunStart::validate`), so a key cannot carry markup.
const FIELDS: [&str; 15] = [
    "site",
    "site name",
    "model tag",
    "product tag",
    "team tag",
    "dataset tag",
    "run name",
    "command",
    "hardware",
    "model path",
    "product unit",
    "product description",
    "scenario description",
    "lever product",
    "next",
];

#[tokio::test]
async fn every_page_and_the_html_report_show_hostile_text_escaped() {
    let f = fixture();
    let m = &f.month;
    let next = format!("/{}", hostile("next"));
    let enc: String = next
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'/' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let pages: Vec<(String, Vec<&str>)> = vec![
        ("/".into(), vec![]),
        (
            "/fragments/overview-charts".into(),
            vec!["site", "model tag"],
        ),
        (
            format!("/accounts?period={m}"),
            vec!["site", "model tag", "product tag"],
        ),
        (
            "/runs".into(),
            vec![
                "site",
                "model tag",
                "product tag",
                "team tag",
                "dataset tag",
                "run name",
            ],
        ),
        ("/models".into(), vec!["site", "run name", "model path"]),
        (
            "/products".into(),
            vec!["product unit", "product description"],
        ),
        ("/targets".into(), vec![]),
        (
            format!("/scenarios?name=plan&period={m}"),
            vec!["scenario description", "lever product"],
        ),
        (format!("/login?next={enc}"), vec!["next"]),
    ];
    for (uri, shown) in &pages {
        let a = page(&f, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text);
        for field in FIELDS {
            let h = hostile(field);
            assert!(!a.text.contains(&h), "{uri}: {field} raw");
            if shown.contains(&field) {
                assert!(a.text.contains(&escaped(&h)), "{uri}: {field} not shown");
            }
        }
        assert!(
            !a.text.contains("<script>") && !a.text.contains("<img"),
            "{uri}"
        );
    }
    // The API's HTML report, read with a token: the accounts, the model sheet, the scenario.
    let req = Request::builder()
        .uri(format!("/api/v1/reports?period={m}&format=html"))
        .header(header::AUTHORIZATION, format!("Bearer {}", f.viewer))
        .body(Body::empty())
        .unwrap();
    let a = send(&f.app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    for field in FIELDS {
        assert!(!a.text.contains(&hostile(field)), "report: {field} raw");
    }
    for field in [
        "site",
        "site name",
        "model tag",
        "product tag",
        "hardware",
        "dataset tag",
        "scenario description",
        "lever product",
    ] {
        assert!(
            a.text.contains(&escaped(&hostile(field))),
            "report: {field} not shown"
        );
    }
    assert!(a.text.contains("Model sheets") && a.text.contains("Scenario plan"));
    // An error page repeats the bad input, escaped.
    let a = page(&f, "/accounts?scope=product:%3Cscript%3Ex").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(!a.text.contains("<script>x") && a.text.contains("&lt;script&gt;x"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let f = fixture();
    let bearer = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", f.viewer))
            .body(Body::empty())
            .unwrap()
    };
    let plain = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
    let report = format!("/api/v1/reports?period={}&format=html", f.month);
    let answers = [
        ("page", send(&f.app, plain("/login")).await, 200),
        ("api", send(&f.app, bearer("/api/v1/whoami")).await, 200),
        ("metrics", send(&f.app, bearer("/metrics")).await, 200),
        ("asset", send(&f.app, plain("/assets/app.js")).await, 200),
        ("401", send(&f.app, plain("/api/v1/runs")).await, 401),
        ("404", send(&f.app, bearer("/api/v1/nothing")).await, 404),
        ("redirect", send(&f.app, plain("/runs")).await, 303),
        ("report", send(&f.app, bearer(&report)).await, 200),
    ];
    for (what, a, status) in &answers {
        assert_eq!(a.status.as_u16(), *status, "{what}");
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self';"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert_eq!(
            a.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{what}"
        );
        assert_eq!(a.headers[header::X_FRAME_OPTIONS], "DENY", "{what}");
    }
    // No page has an inline script; the report's one inline stylesheet is allowed by its hash.
    let (_, login, _) = &answers[0];
    assert!(
        login
            .text
            .contains("<script src=\"/assets/app.js\" defer></script>")
    );
    let (_, report, _) = &answers[7];
    assert!(!report.text.contains("<script"));
    let css = report
        .text
        .split("<style>")
        .nth(1)
        .and_then(|s| s.split("</style>").next())
        .unwrap();
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    let csp = report.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains(&format!("style-src 'self' 'sha256-{hash}'")),
        "{csp}"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let f = fixture();
    let body = format!(
        "{{\"name\": \"big\", \"description\": \"{}\"}}",
        "x".repeat(3 << 20)
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/products")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.editor))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let a = send(&f.app, req).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text);
    let v: serde_json::Value = serde_json::from_str(&a.text).unwrap();
    assert_eq!(v["status"], 413);
    assert!(v["error"].as_str().unwrap().contains("larger than"), "{v}");
    // Under the limit, the same route answers as before.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/products")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.editor))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": \"small\"}"))
        .unwrap();
    assert_eq!(send(&f.app, req).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_public_login_page_shows_nothing_of_the_ledger() {
    let f = fixture();
    let path = f.path.display().to_string();
    let login = send(
        &f.app,
        Request::builder()
            .uri("/login")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(!login.text.contains(&path), "{}", login.text);
    assert!(!login.text.contains("ledger.sqlite") && !login.text.contains("/tmp"));
    // A wrong token gets the form again, still without the path.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("token=sst_wrong&next=/"))
        .unwrap();
    let wrong = send(&f.app, req).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.text.contains(&path));
    // A signed-in viewer sees which ledger the figures come from.
    assert!(page(&f, "/").await.text.contains(&path));
}

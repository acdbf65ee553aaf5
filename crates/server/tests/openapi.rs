//! The OpenAPI document against the router that serves it: every documented operation is routed
//! and guarded by the role it states; no route is served outside the document but the pages;
//! every `$ref` resolves; and real answers, and the requests that got them, are valid against
//! the document's schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses). The document itself is
//! checked against the OpenAPI 3.1 specification by `scripts/check-openapi.sh`.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sustain_ledger::{Role, SqliteLedger, Tokens};
use sustain_server::{AppState, app};
use tower::ServiceExt;

struct Server {
    _dir: tempfile::TempDir,
    app: Router,
    admin: String,
    editor: String,
    viewer: String,
}

/// An empty ledger with one token per role.
fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let l = SqliteLedger::open(&path).unwrap();
    let token = |name, role| l.create_token(name, role, "cli:test").unwrap().token;
    let (admin, editor, viewer) = (
        token("root", Role::Admin),
        token("ci", Role::Editor),
        token("alice", Role::Viewer),
    );
    drop(l);
    Server {
        app: app(AppState::open(&path).unwrap()),
        _dir: dir,
        admin,
        editor,
        viewer,
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

async fn call(
    app: &Router,
    method: &Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
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
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        content_type,
        body,
    }
}

async fn served_document(app: &Router) -> Value {
    let a = call(app, &Method::GET, "/openapi.json", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    a.json()
}

/// Every operation of the document: method, path, operation.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut ops = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            ops.push((m, path.clone(), op.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn every_operation_of_the_openapi_document_is_routed() {
    let f = server();
    let doc = served_document(&f.app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Sustain API");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let ops = operations(&doc);
    for (m, path, op) in &ops {
        let uri = path.replace("{id}", "nobody");
        let body = (m == Method::POST).then(|| json!({}));
        let a = call(&f.app, m, &uri, Some(&f.admin), body.as_ref()).await;
        assert_ne!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
        if a.status == StatusCode::NOT_FOUND {
            assert!(
                !a.text().contains("no such API route"),
                "{m} {path} is not routed"
            );
        }
        // Routes that need a token say so, and refuse without one.
        let needs = op["security"].as_array().is_some_and(|s| !s.is_empty());
        let anon = call(&f.app, m, &uri, None, None).await.status;
        assert_eq!(
            anon == StatusCode::UNAUTHORIZED,
            needs,
            "{m} {path}: {anon}"
        );
        // Its answers are described, and each operation has its own id.
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{m} {path}"
        );
    }
    // The API of issue 11: 28 operations under /api/v1, /metrics, /openapi.json, /healthz.
    assert_eq!(ops.len(), 31);
    let mut ids: Vec<&str> = ops
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ops.len(), "operation ids are unique");
}

#[tokio::test]
async fn a_documented_path_answers_no_method_it_does_not_document() {
    let f = server();
    let doc = served_document(&f.app).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let uri = path.replace("{id}", "nobody");
        for m in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if item.get(m.as_str().to_lowercase()).is_some() {
                continue;
            }
            let a = call(&f.app, &m, &uri, Some(&f.admin), None).await;
            assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
        }
    }
}

/// The string literal that opens `rest`, if it does.
fn literal(rest: &str) -> Option<&str> {
    let rest = rest.trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

/// Every route is declared with `utoipa_axum::routes!`, which documents it, except the pages':
/// the server's source registers no other route, and no page path is an API path.
#[tokio::test]
async fn only_the_pages_are_routed_outside_the_document() {
    let f = server();
    let doc = served_document(&f.app).await;
    let documented: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    let mut files = vec![];
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut pages = vec![];
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.to_string_lossy();
        let is_pages = name.ends_with("/pages.rs") || name.contains("/pages/");
        for call in [
            ".route(",
            ".route_service(",
            ".nest(",
            ".nest_service(",
            "Router::new()",
        ] {
            for (at, _) in text.match_indices(call) {
                if text[..at].ends_with("OpenApi") {
                    continue;
                }
                assert!(
                    is_pages,
                    "{name}: `{call}` registers a route outside the document: use routes!"
                );
                if let Some(path) = literal(&text[at + call.len()..]) {
                    pages.push(path.to_string());
                }
            }
        }
    }
    assert!(pages.iter().any(|p| p == "/login"), "{pages:?}");
    for p in &pages {
        assert!(!p.starts_with("/api"), "page {p} is under /api");
        assert!(!documented.contains(&p), "page {p} is also an operation");
    }
}

#[tokio::test]
async fn every_operation_is_guarded_by_the_role_it_documents() {
    let f = server();
    let doc = served_document(&f.app).await;
    let ranked = [(&f.viewer, 0), (&f.editor, 1), (&f.admin, 2)];
    let mut roles = std::collections::BTreeMap::new();
    for (m, path, op) in operations(&doc) {
        let Some(role) = op["x-role"].as_str() else {
            assert!(op.get("security").is_none(), "{m} {path}");
            continue;
        };
        *roles.entry(role.to_string()).or_insert(0) += 1;
        let need = match role {
            "viewer" => 0,
            "editor" => 1,
            "admin" => 2,
            other => panic!("{m} {path}: unknown role {other}"),
        };
        assert!(
            op["description"]
                .as_str()
                .unwrap()
                .contains(&format!("role {role} or above")),
            "{m} {path}"
        );
        for code in ["401", "403"] {
            assert!(op["responses"][code].is_object(), "{m} {path} {code}");
        }
        let uri = path.replace("{id}", "nobody");
        let body = (m == Method::POST).then(|| json!({}));
        for (token, rank) in ranked {
            let a = call(&f.app, &m, &uri, Some(token), body.as_ref()).await;
            if rank < need {
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{m} {path} as rank {rank}");
            } else {
                assert!(
                    a.status != StatusCode::FORBIDDEN && a.status != StatusCode::UNAUTHORIZED,
                    "{m} {path} as rank {rank}: {}",
                    a.status
                );
            }
        }
    }
    // Reads are a viewer's, writes an editor's, tokens an admin's.
    assert_eq!(roles["viewer"], 18);
    assert_eq!(roles["editor"], 8);
    assert_eq!(roles["admin"], 3);
}

/// Every `"$ref"` in `v`, with where it is.
fn refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push((at.clone(), r)),
                    _ => refs(x, format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                refs(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_schema_is_used() {
    let doc = sustain_server::openapi::document();
    let mut found = vec![];
    refs(&doc, String::new(), &mut found);
    assert!(found.len() > 100, "{}", found.len());
    for (at, r) in &found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{at}: {r} is not a local schema"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{at}: {r} is not in components.schemas"
        );
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        let r = format!("#/components/schemas/{name}");
        assert!(found.iter().any(|(_, x)| *x == r), "{name} is never used");
    }
}

/// Validates JSON against the schemas of the document.
struct Schemas {
    doc: Value,
}

impl Schemas {
    /// A validator of `schema`, whose `$ref`s point into the document's components.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema {schema}: {e}"))
    }

    fn errors(&self, schema: &Value, v: &Value) -> Vec<String> {
        self.validator(schema)
            .iter_errors(v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn operation(&self, method: &Method, path: &str) -> &Value {
        let op = &self.doc["paths"][path][method.as_str().to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not documented");
        op
    }

    /// The request body is valid against the operation's request schema.
    fn request(&self, method: &Method, path: &str, body: &Value) {
        let schema =
            &self.operation(method, path)["requestBody"]["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {path} documents no JSON body");
        let errors = self.errors(schema, body);
        assert!(errors.is_empty(), "{method} {path} request: {errors:?}");
    }

    /// The answer's status and content type are documented, and a JSON answer is valid against
    /// its schema.
    fn answer(&self, method: &Method, path: &str, a: &Answer) {
        let response = &self.operation(method, path)["responses"][a.status.as_str()];
        assert!(
            response.is_object(),
            "{method} {path} answered {}, which is not documented: {}",
            a.status,
            a.text()
        );
        let content = response["content"].as_object().unwrap();
        let media = |ct: &str| ct.split(';').next().unwrap_or("").trim().to_string();
        let (_, documented) = content
            .iter()
            .find(|(ct, _)| media(ct) == media(&a.content_type))
            .unwrap_or_else(|| {
                panic!(
                    "{method} {path} {}: content type {} is not documented",
                    a.status, a.content_type
                )
            });
        if media(&a.content_type) == "application/json" {
            let errors = self.errors(&documented["schema"], &a.json());
            assert!(
                errors.is_empty(),
                "{method} {path} {}: {errors:?}\n{}",
                a.status,
                a.text()
            );
        }
    }
}

/// A finished training run started two hours ago, as `sustain run --remote` sends it.
fn upload(id: &str) -> Value {
    let site = sustain_core::site::SiteCatalog::bundled()
        .unwrap()
        .get("FR")
        .unwrap()
        .record
        .clone();
    let start = Utc::now() - Duration::hours(2);
    let component = |j: f64, source: &str| json!({"energy_j": j, "source": source, "apportioned": false, "method": "test"});
    let energy = |j: f64| json!({"cpu": component(j, "measured"), "gpu": component(2.0 * j, "measured"), "ram": component(j / 10.0, "modelled")});
    json!({
        "start": {
            "id": id,
            "name": "tabular-mlp",
            "kind": "train",
            "command": ["sustain", "train"],
            "started_at": start,
            "site": site,
            "host": {
                "hostname": "h", "cpu_model": "cpu", "logical_cpus": 8, "packages": 1,
                "ram_total_bytes": 17_179_869_184u64, "gpus": ["NVIDIA H100 80GB HBM3"],
                "embodied": {"kgco2e": 1500.0, "lifetime_years": 4.0, "share": "used", "source": "test"},
            },
            "meter": {"hostname": "h", "boot_id": "b", "pid": 42, "start_ticks": 7},
            "interval_s": 1.0,
            "methods": {"cpu": "RAPL"},
            "tags": {"product": "chat", "model": "m1"},
            "hourly_rate": [2.0, "EUR"],
        },
        "samples": [
            {"seq": 0, "at": start + Duration::seconds(1), "interval_s": 1.0, "energy": energy(10.0), "cpu_s": 0.9, "rss_bytes": 1000},
            {"seq": 1, "at": start + Duration::seconds(2), "interval_s": 1.0, "energy": energy(12.0), "cpu_s": 0.8, "rss_bytes": 2000},
        ],
        "end": {
            "ended_at": start + Duration::hours(1),
            "status": "succeeded",
            "exit_code": 0,
            "signal": null,
            "duration_s": 3600.0,
            "cpu_s": 3000.0,
            "peak_rss_bytes": 2000,
            "energy": energy(360_000.0),
            "notes": [],
            "outcomes": {
                "model_sha256": "ab".repeat(32),
                "model_path": "model.safetensors",
                "dataset_sha256": "cd".repeat(32),
                "metrics": {"test": {"accuracy": 0.9}},
            },
        },
    })
}

/// A request that must fail: method, documented path, URI, token, body, the status expected.
type ErrorCase<'a> = (
    Method,
    &'a str,
    String,
    Option<&'a str>,
    Option<Value>,
    StatusCode,
);

#[tokio::test]
async fn real_answers_and_their_requests_match_the_documented_schemas() {
    let f = server();
    let s = Schemas {
        doc: served_document(&f.app).await,
    };
    let day = (Utc::now() - Duration::hours(2)).date_naive().to_string();
    let period = format!("period={day}");
    let toml = "name = \"to-fr\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\n";
    let (post, get) = (Method::POST, Method::GET);
    let (v, e, a) = (
        Some(f.viewer.as_str()),
        Some(f.editor.as_str()),
        Some(f.admin.as_str()),
    );
    // Writes first (each request checked against its schema), then every read of what they
    // wrote, then answers of errors.
    #[rustfmt::skip]
    let writes: Vec<(&str, Option<&str>, Value, StatusCode)> = vec![
        ("/api/v1/products", e, json!({"name": "chat", "price_per_1k_requests": 2.5, "currency": "usd"}), StatusCode::CREATED),
        ("/api/v1/usage", e, json!({"product": "chat", "day": day, "requests": 12000, "tokens": 400000}), StatusCode::CREATED),
        ("/api/v1/costs", e, json!({"amount": 12.5, "currency": "USD", "category": "storage", "day": day}), StatusCode::CREATED),
        ("/api/v1/targets", e, json!({"name": "cut", "metric": "co2e_location_g", "baseline": "2026-Q1", "goal": "-30%", "by": "2027-12-31"}), StatusCode::CREATED),
        ("/api/v1/targets", e, json!({"name": "cap", "metric": "energy_wh", "scope": "product:chat", "baseline": "2026", "goal": 5000, "by": "2027-12-31"}), StatusCode::CREATED),
        ("/api/v1/indicators", e, json!({"name": "training_hours", "value": 120.0, "unit": "h", "day": day}), StatusCode::CREATED),
        ("/api/v1/index-weights", e, json!({"indicator": "training_hours", "weight": 1.0, "direction": "higher", "reference": 400.0}), StatusCode::CREATED),
        ("/api/v1/scenarios", e, json!({"toml": toml}), StatusCode::CREATED),
        ("/api/v1/runs", e, upload("0193f0aa-0000-7000-8000-0000000000aa"), StatusCode::CREATED),
        ("/api/v1/tokens", a, json!({"name": "bot", "role": "viewer"}), StatusCode::CREATED),
    ];
    for (path, token, body, want) in &writes {
        s.request(&post, path, body);
        let answer = call(&f.app, &post, path, *token, Some(body)).await;
        assert_eq!(answer.status, *want, "POST {path}: {}", answer.text());
        s.answer(&post, path, &answer);
    }
    let reads = [
        ("/api/v1/whoami", "/api/v1/whoami".to_string()),
        ("/api/v1/overview", "/api/v1/overview".into()),
        ("/api/v1/accounts", format!("/api/v1/accounts?{period}")),
        (
            "/api/v1/accounts",
            format!("/api/v1/accounts?{period}&scope=product:chat"),
        ),
        (
            "/api/v1/reports",
            format!("/api/v1/reports?{period}&format=json"),
        ),
        (
            "/api/v1/reports",
            format!("/api/v1/reports?{period}&format=md"),
        ),
        (
            "/api/v1/reports",
            format!("/api/v1/reports?{period}&format=csv"),
        ),
        (
            "/api/v1/reports",
            format!("/api/v1/reports?{period}&format=html"),
        ),
        ("/api/v1/runs", "/api/v1/runs".into()),
        ("/api/v1/runs/{id}", "/api/v1/runs/0193f0aa".into()),
        (
            "/api/v1/runs/{id}/samples",
            "/api/v1/runs/0193f0aa/samples".into(),
        ),
        ("/api/v1/models", "/api/v1/models".into()),
        ("/api/v1/datasets", "/api/v1/datasets".into()),
        ("/api/v1/products", "/api/v1/products".into()),
        ("/api/v1/usage", format!("/api/v1/usage?{period}")),
        ("/api/v1/costs", format!("/api/v1/costs?{period}")),
        ("/api/v1/targets", format!("/api/v1/targets?{period}")),
        ("/api/v1/indicators", format!("/api/v1/indicators?{period}")),
        ("/api/v1/index-weights", "/api/v1/index-weights".into()),
        ("/api/v1/scenarios", "/api/v1/scenarios".into()),
        (
            "/api/v1/scenarios/{id}",
            format!("/api/v1/scenarios/to-fr?{period}"),
        ),
        ("/api/v1/tokens", "/api/v1/tokens".into()),
        ("/metrics", "/metrics".into()),
        ("/openapi.json", "/openapi.json".into()),
        ("/healthz", "/healthz".into()),
    ];
    for (path, uri) in &reads {
        let token = if path.contains("tokens") { a } else { v };
        let answer = call(&f.app, &get, uri, token, None).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "GET {uri}: {}",
            answer.text()
        );
        s.answer(&get, path, &answer);
    }
    // The reads hold what was written: the schemas were checked on real figures.
    let run = call(&f.app, &get, "/api/v1/runs/0193f0aa", v, None)
        .await
        .json();
    assert!(run["co2e"]["location_g"].as_f64().unwrap() > 0.0);
    assert_eq!(run["energy"]["sources"]["ram"], "modelled");
    let models = call(&f.app, &get, "/api/v1/models", v, None).await.json();
    assert_eq!(models[0]["sha256"], "ab".repeat(32));
    let acc = call(&f.app, &get, &format!("/api/v1/accounts?{period}"), v, None)
        .await
        .json();
    assert_eq!(acc["environmental"]["runs"], 1);
    assert_eq!(acc["economic"]["requests"], 12000);
    assert_eq!(acc["social"]["indicators"][0]["total"], 120.0);
    let report = call(
        &f.app,
        &get,
        &format!("/api/v1/reports?{period}&format=json"),
        v,
        None,
    )
    .await
    .json();
    assert_eq!(report["targets"].as_array().unwrap().len(), 1, "{report}");
    // Revoking answers the token's record.
    let revoked = call(&f.app, &post, "/api/v1/tokens/bot/revoke", a, None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    s.answer(&post, "/api/v1/tokens/{id}/revoke", &revoked);
    // Errors: each status is documented for its operation, with the error body.
    #[rustfmt::skip]
    let errors: Vec<ErrorCase> = vec![
        (get.clone(), "/api/v1/accounts", "/api/v1/accounts?period=soon".into(), v, None, StatusCode::BAD_REQUEST),
        (get.clone(), "/api/v1/runs", "/api/v1/runs?limit=0".into(), v, None, StatusCode::BAD_REQUEST),
        (get.clone(), "/api/v1/runs", "/api/v1/runs?colour=red".into(), v, None, StatusCode::BAD_REQUEST),
        (get.clone(), "/api/v1/runs/{id}", "/api/v1/runs/nobody".into(), v, None, StatusCode::NOT_FOUND),
        (get.clone(), "/api/v1/scenarios/{id}", "/api/v1/scenarios/nope".into(), v, None, StatusCode::NOT_FOUND),
        (get.clone(), "/api/v1/overview", "/api/v1/overview".into(), None, None, StatusCode::UNAUTHORIZED),
        (get.clone(), "/metrics", "/metrics".into(), Some("sst_000000000000_nope"), None, StatusCode::UNAUTHORIZED),
        (get.clone(), "/api/v1/tokens", "/api/v1/tokens".into(), e, None, StatusCode::FORBIDDEN),
        (post.clone(), "/api/v1/usage", "/api/v1/usage".into(), v, Some(json!({"product": "chat"})), StatusCode::FORBIDDEN),
        (post.clone(), "/api/v1/usage", "/api/v1/usage".into(), e, Some(json!({"product": "nope", "requests": 1})), StatusCode::UNPROCESSABLE_ENTITY),
        (post.clone(), "/api/v1/usage", "/api/v1/usage".into(), e, Some(json!({"product": "chat", "day": "soon"})), StatusCode::BAD_REQUEST),
        (post.clone(), "/api/v1/runs", "/api/v1/runs".into(), e, Some(upload("0193f0aa-0000-7000-8000-0000000000aa")), StatusCode::CONFLICT),
        (post.clone(), "/api/v1/tokens/{id}/revoke", "/api/v1/tokens/nobody/revoke".into(), a, None, StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (m, path, uri, token, body, want) in &errors {
        let answer = call(&f.app, m, uri, *token, body.as_ref()).await;
        assert_eq!(answer.status, *want, "{m} {uri}: {}", answer.text());
        s.answer(m, path, &answer);
        assert!(answer.json()["error"].is_string());
    }
}

#[tokio::test]
async fn the_schemas_refuse_what_the_server_would_not_send() {
    let f = server();
    let s = Schemas {
        doc: served_document(&f.app).await,
    };
    let up = upload("0193f0aa-0000-7000-8000-0000000000bb");
    let pushed = call(
        &f.app,
        &Method::POST,
        "/api/v1/runs",
        Some(&f.editor),
        Some(&up),
    )
    .await;
    assert_eq!(pushed.status, StatusCode::CREATED, "{}", pushed.text());
    let run = pushed.json()["run"].clone();
    let schema = json!({"$ref": "#/components/schemas/RunJson"});
    assert_eq!(s.errors(&schema, &run), Vec::<String>::new());
    // A schema that accepted anything would pass these: each must be refused.
    let mut bad = vec![];
    for (pointer, value) in [
        ("/status", json!("exploded")),
        ("/kind", json!(3)),
        ("/started_at", json!("yesterday")),
        ("/energy/cpu_wh", json!("lots")),
        ("/energy/sources/gpu", json!("guessed")),
        ("/host/logical_cpus", json!(-1)),
        ("/tags", json!({"model": 7})),
    ] {
        let mut v = run.clone();
        *v.pointer_mut(pointer).unwrap() = value;
        bad.push((pointer.to_string(), v));
    }
    let mut missing = run.clone();
    missing.as_object_mut().unwrap().remove("id");
    bad.push(("no id".into(), missing));
    for (what, v) in bad {
        assert!(!s.errors(&schema, &v).is_empty(), "{what} was accepted");
    }
    // Requests too: an unknown field and a wrong role are refused by the schemas as by the
    // server.
    let token_schema = json!({"$ref": "#/components/schemas/NewToken"});
    assert!(
        s.errors(&token_schema, &json!({"name": "x", "role": "viewer"}))
            .is_empty()
    );
    assert!(
        !s.errors(&token_schema, &json!({"name": "x", "role": "root"}))
            .is_empty()
    );
    assert!(
        !s.errors(
            &token_schema,
            &json!({"name": "x", "role": "viewer", "x": 1})
        )
        .is_empty()
    );
    let a = call(
        &f.app,
        &Method::POST,
        "/api/v1/tokens",
        Some(&f.admin),
        Some(&json!({"name": "x", "role": "viewer", "x": 1})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

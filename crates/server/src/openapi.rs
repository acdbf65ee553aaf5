//! The OpenAPI 3.1 document served at `/openapi.json`, generated from the code it describes.
//!
//! Each handler carries `#[utoipa::path]`: its method, path, parameters, request body, answers
//! and the role it needs (the `x-role` extension). [`router`] registers every handler with
//! `utoipa_axum::routes!`, which adds it to the axum router *and* to the document from that one
//! declaration, so a route cannot be served undocumented nor documented unserved. Schemas are
//! derived (`utoipa::ToSchema`, `IntoParams`) from the types the handlers deserialize and
//! serialize: the core, ledger and report records, the run JSON, the wire format of pushed runs
//! and the answers' structs. What every guarded operation shares (the security requirement, the
//! role in words, the 401/403/500/503 answers with the error body) is added here, once, from its
//! `x-role`.
//!
//! Checked by `tests/api.rs` (every operation routed and guarded by the role it states, every
//! `$ref` resolved, real answers valid against their schemas) and by `scripts/check-openapi.sh`
//! (the document against the OpenAPI 3.1 specification, with `openapi-spec-validator`).

use std::sync::LazyLock;

use axum::Json;
use serde::Serialize;
use serde_json::{Value, json};
use sustain_report::Accounts;
use sustain_report::scenario::ScenarioResult;
use sustain_report::targets::Progress;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sustain API",
        description = "The Sustain ledger over HTTP: runs, models, datasets, products, usage, cost lines, accounts, targets, reports and tokens. Every data route needs a token (Authorization: Bearer <token>); see docs/serve.md."
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

/// The two ways to carry a token: the `Authorization: Bearer` header, and the login cookie of
/// the pages (reads only).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE))),
        );
    }
}

/// Every route of the API, `/metrics`, `/openapi.json` and `/healthz`, each with its operation
/// of the document. `app` serves its router; [`document`] is its document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::api::router())
        .routes(routes!(crate::metrics::metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(crate::healthz))
}

/// The document, as served.
pub fn document() -> Value {
    // A document of strings, numbers and string-keyed maps always serializes.
    let mut doc = serde_json::to_value(router().into_openapi()).unwrap_or_default();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for (method, op) in item.as_object_mut().into_iter().flatten() {
                complete(path, method, op);
            }
        }
    }
    doc
}

/// What every operation of its kind shares: a stable `operationId`, and for one that needs a
/// token (`x-role`), its security requirement, its role in words and the answers of the guard.
fn complete(path: &str, method: &str, op: &mut Value) {
    op["operationId"] = json!(format!(
        "{method}{}",
        path.replace(['/', '{', '}', '.'], "_")
    ));
    let Some(role) = op.get("x-role").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    op["security"] = json!([{"bearer": []}, {"cookie": []}]);
    let needs = format!("Needs a token with the role {role} or above.");
    op["description"] = json!(match op.get("description").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => format!("{d}\n\n{needs}"),
        _ => needs,
    });
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        })
    };
    let responses = &mut op["responses"];
    responses["401"] = error("No token, or an unknown or revoked one");
    responses["403"] = error("The token's role is too low");
    responses["500"] = error("Internal error (logged with the request id, never sent)");
    responses["503"] = error("The ledger is busy with another writer; retry in a moment");
}

static DOCUMENT: LazyLock<Value> = LazyLock::new(document);

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
async fn openapi_json() -> Json<Value> {
    Json(DOCUMENT.clone())
}

/// The JSON report of `GET /api/v1/reports?format=json`, as `sustain report --format json`
/// writes it: the accounts, with the targets of the scope, the scenarios, the model sheets and
/// the strategy map. `sustain_report::render` writes it; this type is its schema, and a test
/// validates a real answer against it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportJson {
    /// The accounts.
    #[serde(flatten)]
    pub accounts: Accounts,
    /// The progress of the scope's targets.
    pub targets: Vec<Progress>,
    /// The saved scenarios run over the period and scope.
    pub scenarios: Vec<ScenarioResult>,
    /// The model sheets of the models trained in the period, each with its Hugging Face YAML
    /// and its EU AI Act Annex XI fields.
    #[schema(value_type = Vec<Object>)]
    pub model_sheets: Vec<Value>,
    /// The strategy map, Mermaid source (empty without targets and scenarios).
    pub strategy_map: String,
}

//! The OpenAPI 3.1 document served at `/openapi.json`, written by hand from one table of
//! operations. A test sends every operation of the table to the router and checks that it is
//! routed, so the document cannot name a route that does not exist; every route of `api` is in
//! the table (checked the other way by the same test's list of paths).

use serde_json::{Map, Value, json};

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// `get` or `post`.
    pub method: &'static str,
    /// Path, with `{id}` parameters.
    pub path: &'static str,
    /// The lowest role that may call it (`viewer`, `editor`, `admin`), or `none`.
    pub role: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
    /// Name of the request body's schema in `components.schemas`.
    pub body: Option<&'static str>,
}

const PERIOD: (&str, &str) = (
    "period",
    "2026, 2026-Q3, 2026-09, 2026-09-14 or 2026-07-01..2026-09-30 (default: this month, UTC)",
);
const SCOPE: (&str, &str) = (
    "scope",
    "company (default), product:NAME, model:NAME, team:NAME, site:ID, kind:KIND or tag:KEY=VALUE",
);

/// Every operation.
pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/api/v1/whoami",
        "viewer",
        "The caller's token: id, name and role.",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/overview",
        "viewer",
        "Headline figures of this month against the previous month (company).",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/accounts",
        "viewer",
        "The accounts of a period and scope (the JSON of `sustain report --format json`, without targets).",
        &[PERIOD, SCOPE],
        None,
    ),
    op(
        "get",
        "/api/v1/reports",
        "viewer",
        "A report with the targets of its scope, as `sustain report` writes it.",
        &[PERIOD, SCOPE, ("format", "json (default), md, csv or html")],
        None,
    ),
    op(
        "get",
        "/api/v1/runs",
        "viewer",
        "Runs, newest first, in the stable run JSON (docs/reference/run-json.md).",
        &[
            ("limit", "1 to 1000 (default 50)"),
            ("since", "a date or RFC 3339 time"),
            (
                "status",
                "running, succeeded, failed, killed, failed_to_start or incomplete",
            ),
        ],
        None,
    ),
    op(
        "post",
        "/api/v1/runs",
        "editor",
        "Records a finished run (start, samples, end), as `sustain run --remote` pushes it; impacts are computed by the server.",
        &[],
        Some("RunUpload"),
    ),
    op(
        "get",
        "/api/v1/runs/{id}",
        "viewer",
        "One run, by id or unique prefix.",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/runs/{id}/samples",
        "viewer",
        "The samples of a run.",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/models",
        "viewer",
        "Model versions that training runs produced, newest first.",
        &[("limit", "1 to 1000 (default 100)")],
        None,
    ),
    op(
        "get",
        "/api/v1/datasets",
        "viewer",
        "Dataset versions that models were trained on.",
        &[],
        None,
    ),
    op(
        "get",
        "/api/v1/products",
        "viewer",
        "The current products.",
        &[],
        None,
    ),
    op(
        "post",
        "/api/v1/products",
        "editor",
        "Adds a product, or supersedes one of the same name.",
        &[],
        Some("NewProduct"),
    ),
    op(
        "get",
        "/api/v1/usage",
        "viewer",
        "Usage per product of a period.",
        &[PERIOD],
        None,
    ),
    op(
        "post",
        "/api/v1/usage",
        "editor",
        "Records a day's usage of a product; revenue from the product's prices unless given.",
        &[],
        Some("NewUsage"),
    ),
    op(
        "get",
        "/api/v1/costs",
        "viewer",
        "Cost lines of a period.",
        &[PERIOD],
        None,
    ),
    op(
        "post",
        "/api/v1/costs",
        "editor",
        "Records a cost line.",
        &[],
        Some("NewCost"),
    ),
    op(
        "get",
        "/api/v1/targets",
        "viewer",
        "Targets with their progress and verdict.",
        &[(
            "period",
            "judge every target on this period (default: the period of its baseline's kind that contains today)",
        )],
        None,
    ),
    op(
        "post",
        "/api/v1/targets",
        "editor",
        "Adds a target, or supersedes one of the same name.",
        &[],
        Some("NewTarget"),
    ),
    op(
        "get",
        "/api/v1/indicators",
        "viewer",
        "Social indicators entered on days of a period.",
        &[PERIOD],
        None,
    ),
    op(
        "post",
        "/api/v1/indicators",
        "editor",
        "Records an amount of a social indicator (training hours, education investment, ...).",
        &[],
        Some("NewIndicator"),
    ),
    op(
        "get",
        "/api/v1/index-weights",
        "viewer",
        "The weights of the social index (latest per indicator).",
        &[],
        None,
    ),
    op(
        "post",
        "/api/v1/index-weights",
        "editor",
        "Sets an indicator's weight, direction and reference in the social index.",
        &[],
        Some("NewWeight"),
    ),
    op(
        "get",
        "/api/v1/scenarios",
        "viewer",
        "The saved scenarios with their levers and TOML.",
        &[],
        None,
    ),
    op(
        "post",
        "/api/v1/scenarios",
        "editor",
        "Checks and saves a scenario (its TOML, as `sustain scenario run` reads it) under its name.",
        &[],
        Some("NewScenario"),
    ),
    op(
        "get",
        "/api/v1/scenarios/{id}",
        "viewer",
        "Runs the saved scenario named {id} over a period and scope: actual and scenario figures, and each lever's effect.",
        &[PERIOD, SCOPE],
        None,
    ),
    op(
        "get",
        "/api/v1/tokens",
        "admin",
        "Every token (never its secret).",
        &[],
        None,
    ),
    op(
        "post",
        "/api/v1/tokens",
        "admin",
        "Creates a token; the answer holds its text, once.",
        &[],
        Some("NewToken"),
    ),
    op(
        "post",
        "/api/v1/tokens/{id}/revoke",
        "admin",
        "Revokes a token by id or name.",
        &[],
        None,
    ),
    op(
        "get",
        "/metrics",
        "viewer",
        "All-time totals in the Prometheus text format, by site, kind and product.",
        &[],
        None,
    ),
    op("get", "/openapi.json", "none", "This document.", &[], None),
    op(
        "get",
        "/healthz",
        "none",
        "Liveness: {\"status\": \"ok\"}.",
        &[],
        None,
    ),
];

const fn op(
    method: &'static str,
    path: &'static str,
    role: &'static str,
    summary: &'static str,
    query: &'static [(&'static str, &'static str)],
    body: Option<&'static str>,
) -> Operation {
    Operation {
        method,
        path,
        role,
        summary,
        query,
        body,
    }
}

fn schemas() -> Value {
    let s = |t: &str| json!({"type": t});
    let opt = |t: &str| json!({"type": [t, "null"]});
    json!({
        "Error": {
            "type": "object",
            "required": ["error", "status", "request_id"],
            "properties": {
                "error": s("string"),
                "status": s("integer"),
                "field": s("string"),
                "request_id": s("string"),
            },
        },
        "NewProduct": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": {
                "name": s("string"),
                "unit": {"type": "string", "default": "request"},
                "price_per_1k_requests": opt("number"),
                "price_per_1m_tokens": opt("number"),
                "currency": opt("string"),
                "description": s("string"),
            },
        },
        "NewUsage": {
            "type": "object",
            "required": ["product"],
            "additionalProperties": false,
            "properties": {
                "product": s("string"),
                "day": {"type": "string", "format": "date", "description": "default: today (UTC)"},
                "requests": s("integer"),
                "tokens": s("integer"),
                "revenue": opt("number"),
                "currency": opt("string"),
            },
        },
        "NewCost": {
            "type": "object",
            "required": ["amount", "currency", "category"],
            "additionalProperties": false,
            "properties": {
                "amount": s("number"),
                "currency": s("string"),
                "category": s("string"),
                "scope": {"type": "string", "default": "company"},
                "day": {"type": "string", "format": "date"},
                "description": s("string"),
            },
        },
        "NewIndicator": {
            "type": "object",
            "required": ["name", "value", "unit"],
            "additionalProperties": false,
            "properties": {
                "name": s("string"),
                "value": s("number"),
                "unit": s("string"),
                "scope": {"type": "string", "default": "company"},
                "day": {"type": "string", "format": "date"},
                "description": s("string"),
            },
        },
        "NewWeight": {
            "type": "object",
            "required": ["indicator", "weight", "direction", "reference"],
            "additionalProperties": false,
            "properties": {
                "indicator": s("string"),
                "weight": {"type": "number", "minimum": 0},
                "direction": {"type": "string", "enum": ["higher", "lower"]},
                "reference": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "NewScenario": {
            "type": "object",
            "required": ["toml"],
            "additionalProperties": false,
            "properties": {"toml": {"type": "string", "description": "the scenario file's TOML (docs/methods/scenarios.md)"}},
        },
        "NewTarget": {
            "type": "object",
            "required": ["name", "metric", "baseline", "goal", "by"],
            "additionalProperties": false,
            "properties": {
                "name": s("string"),
                "metric": s("string"),
                "scope": {"type": "string", "default": "company"},
                "baseline": s("string"),
                "goal": {"type": ["string", "number"], "description": "-30% or a value"},
                "by": {"type": "string", "format": "date"},
            },
        },
        "NewToken": {
            "type": "object",
            "required": ["name", "role"],
            "additionalProperties": false,
            "properties": {
                "name": s("string"),
                "role": {"type": "string", "enum": ["viewer", "editor", "admin"]},
            },
        },
        "RunUpload": {
            "type": "object",
            "required": ["start", "end"],
            "additionalProperties": false,
            "description": "A finished run; see crates/server/src/wire.rs and docs/serve.md.",
            "properties": {
                "start": {"type": "object"},
                "samples": {"type": "array", "items": {"type": "object"}},
                "end": {"type": "object"},
            },
        },
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for o in OPERATIONS {
        let mut op = json!({
            "summary": o.summary,
            "operationId": format!("{}{}", o.method, o.path.replace(['/', '{', '}', '.'], "_")),
            "responses": {
                "200": {"description": "OK"},
                "400": {"description": "Invalid input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "500": {"description": "Internal error (logged with the request id)"},
            },
        });
        if o.role != "none" {
            op["security"] = json!([{"bearer": []}, {"cookie": []}]);
            op["description"] = json!(format!("Needs a token with the role {} or above.", o.role));
            op["responses"]["401"] = json!({"description": "No token, or unknown or revoked"});
            op["responses"]["403"] = json!({"description": "The token's role is too low"});
        } else {
            op["security"] = json!([]);
        }
        if o.method == "post" {
            op["responses"]["201"] = json!({"description": "Created"});
        }
        let mut params: Vec<Value> = o
            .query
            .iter()
            .map(|(name, d)| json!({"name": name, "in": "query", "required": false, "description": d, "schema": {"type": "string"}}))
            .collect();
        if o.path.contains("{id}") {
            params.push(
                json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}),
            );
        }
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(b) = o.body {
            op["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{b}")}}},
            });
        }
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sustain API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Sustain ledger over HTTP: runs, models, datasets, products, usage, cost lines, accounts, targets, reports and tokens. Every data route needs a token (Authorization: Bearer <token>); see docs/serve.md.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE},
            },
        },
    })
}

#!/usr/bin/env bash
# Validates the server's OpenAPI document (what `GET /openapi.json` answers, printed by the
# server crate's `openapi` example) against the OpenAPI 3.1 specification with
# openapi-spec-validator, and shows that the validator refuses a broken copy of it. The
# validator lives in its own virtualenv under target/ (ignored), created on first use with pip
# from PyPI. `crates/server/tests/openapi.rs` checks the rest: every route documented and every
# operation routed, roles, `$ref`s, and real answers against the schemas.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/venv-openapi
if ! "$venv/bin/python" -c "import openapi_spec_validator" 2>/dev/null; then
    echo "creating $venv with openapi-spec-validator"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==0.9.*"
fi

doc=target/openapi.json
cargo run --quiet --locked -p sustain-server --example openapi >"$doc"

"$venv/bin/python" - "$doc" <<'PY'
import copy
import json
import sys

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

with open(sys.argv[1]) as f:
    doc = json.load(f)
if doc.get("openapi") != "3.1.0":
    sys.exit(f"{sys.argv[1]}: openapi is {doc.get('openapi')!r}, not 3.1.0")
validate(doc, cls=OpenAPIV31SpecValidator)
operations = sum(len(item) for item in doc["paths"].values())

# The validator has teeth: a dangling $ref, an undeclared path parameter and a repeated
# operation id are each refused.
def dangling(d):
    del d["components"]["schemas"]["ErrorBody"]

def undeclared(d):
    del d["paths"]["/api/v1/runs/{id}"]["get"]["parameters"]

def repeated(d):
    d["paths"]["/api/v1/runs"]["get"]["operationId"] = d["paths"]["/healthz"]["get"]["operationId"]

for breaks in (dangling, undeclared, repeated):
    broken = copy.deepcopy(doc)
    breaks(broken)
    try:
        validate(broken, cls=OpenAPIV31SpecValidator)
    except Exception:
        continue
    sys.exit(f"openapi-spec-validator accepted a broken document ({breaks.__name__})")
print(f"{sys.argv[1]}: valid OpenAPI 3.1 ({operations} operations, {len(doc['components']['schemas'])} schemas)")
PY

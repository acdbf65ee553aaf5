#!/usr/bin/env bash
# Validates the Kubernetes Job manifests of the scheduler's executor offline, against the
# Kubernetes 1.37 API schemas (the version k8s-openapi is built for: the workspace's
# Cargo.toml), with kubernetes-validate in strict mode (unknown fields refused). No API server
# can run here, so this is the check that the manifests are what a cluster would accept;
# `crates/sched/tests/kubernetes.rs` checks the rest (typed read-back, names, release).
#
# The manifests come from the sched crate's `k8s_manifests` example: a small plan whose ids
# and commands hold what a YAML reader could stumble on. Each file is also read as YAML
# (PyYAML, YAML 1.1) and must give exactly what it gives as JSON, so no id or command can
# inject YAML. The validator lives in its own virtualenv under target/ (ignored), created on
# first use with pip from PyPI, like scripts/check-openapi.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.37
venv=target/venv-k8s
if ! "$venv/bin/python" -c "import kubernetes_validate, yaml" 2>/dev/null; then
    echo "creating $venv with kubernetes-validate"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==1.37.*" "PyYAML==6.*"
fi

out=target/k8s-manifests
rm -rf "$out"
cargo run --quiet --locked -p sustain-sched --example k8s_manifests -- "$out" >/dev/null

"$venv/bin/kubernetes-validate" --kubernetes-version "$version" --strict --quiet "$out"/*.json

"$venv/bin/python" - "$version" "$out"/*.json <<'PY'
import copy
import json
import sys

import kubernetes_validate
import yaml

version, files = sys.argv[1], sys.argv[2:]
if not files:
    sys.exit("no manifests were written")
for name in files:
    with open(name, encoding="ascii") as f:
        text = f.read()
    as_json = json.loads(text)
    as_yaml = yaml.safe_load(text)
    if as_json != as_yaml:
        sys.exit(f"{name}: read as YAML it differs from what it says as JSON")
    spec = as_json["spec"]
    if spec.get("suspend") is not True:
        sys.exit(f"{name}: spec.suspend is {spec.get('suspend')!r}, not true")
    if not spec["template"]["spec"].get("nodeSelector"):
        sys.exit(f"{name}: no nodeSelector")
    kubernetes_validate.validate(as_json, version, strict=True)

# The validator has teeth: a wrong type, an unknown field and a missing container are refused.
def wrong_type(d):
    d["spec"]["suspend"] = "yes"

def unknown_field(d):
    d["spec"]["suspended"] = True

def no_container(d):
    del d["spec"]["template"]["spec"]["containers"]

with open(files[0]) as f:
    doc = json.load(f)
for breaks in (wrong_type, unknown_field, no_container):
    broken = copy.deepcopy(doc)
    breaks(broken)
    try:
        kubernetes_validate.validate(broken, version, strict=True)
    except kubernetes_validate.ValidationError:
        continue
    sys.exit(f"kubernetes-validate accepted a broken manifest ({breaks.__name__})")
print(f"{len(files)} Job manifests valid against the Kubernetes {version} schemas (strict), and read alike as JSON and YAML")
PY

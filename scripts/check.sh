#!/usr/bin/env bash
# Every check CI runs, in one command: formatting, lints (warnings denied), the whole test suite,
# and the API docs. One debug build shared by all steps (no release build here).
set -euo pipefail
cd "$(dirname "$0")/.."
# One clean build per run: incremental artifacts would only add gigabytes to CI's disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "== nothing generated or machine-specific is tracked (virtualenvs, bytecode, builds, ledgers)"
if tracked=$(git ls-files 2>/dev/null | grep -E '(^|/)(\.venv[^/]*|__pycache__|site-packages|target)/|(^|/)pyvenv\.cfg$|\.pyc$|\.sqlite(-wal|-shm)?$'); then
    echo "tracked files that must not be committed (see .gitignore):" >&2
    echo "$tracked" | head -20 >&2
    exit 1
fi
echo "== datasets extracted at set-up (scripts/fetch-datasets.sh)"
scripts/fetch-datasets.sh
echo "== headless browser for the end-to-end test of sustain serve (Debian: chromium, chromium-driver)"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
fi
# With this set, the browser test fails (rather than skips) when the browser is missing.
export SUSTAIN_E2E_BROWSER=1
echo "== Slurm for the end-to-end test of the Slurm executor (Debian: slurm-wlm, munge)"
# The test starts its own munged, slurmctld and slurmd (no systemd) from a generated
# configuration in a temp dir; it needs the programs, and root.
if ! command -v sbatch >/dev/null || ! PATH="$PATH:/usr/sbin:/sbin" command -v slurmctld >/dev/null \
    || ! PATH="$PATH:/usr/sbin:/sbin" command -v munged >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slurm-wlm munge
fi
# With this set, the Slurm test fails (rather than skips) when Slurm is missing.
export SUSTAIN_E2E_SLURM=1
echo "== wrk, the load-test client of the serve-model test (Debian: wrk)"
if ! command -v wrk >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk
fi
# With this set, the load test fails (rather than skips) when wrk is missing.
export SUSTAIN_E2E_WRK=1
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== the OpenAPI document against the OpenAPI 3.1 specification (openapi-spec-validator)"
scripts/check-openapi.sh
echo "== the scheduler's Kubernetes manifests against the Kubernetes API schemas, offline (kubernetes-validate)"
scripts/check-k8s.sh
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== all checks passed"

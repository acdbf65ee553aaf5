#!/usr/bin/env bash
# Every check CI runs, in one command: formatting, lints (warnings denied), the whole test suite,
# and the API docs. One debug build shared by all steps (no release build here).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== datasets extracted at set-up (scripts/fetch-datasets.sh)"
scripts/fetch-datasets.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== all checks passed"

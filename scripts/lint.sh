#!/usr/bin/env bash
# Every static check: ruff, mypy --strict, the .pyi stub against the compiled module, buf lint,
# generated-code freshness, clippy and rustfmt.
set -euo pipefail
cd "$(dirname "$0")/.."
V=.venv/bin
$V/ruff check .
$V/ruff format --check .
$V/mypy --strict engine server
$V/mypy --strict clients/python/cashapp_client
$V/python -m mypy.stubtest cashapp_matcher._matcher
(cd proto && ../$V/buf lint && ../$V/buf build -o /dev/null)
bash scripts/gen_proto.sh --check
cargo fmt --all --check
cargo clippy --workspace --all-targets --release -q -- -D warnings
echo "lint: all clean"

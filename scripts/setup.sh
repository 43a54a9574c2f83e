#!/usr/bin/env bash
# One command installs everything for development into .venv: the engine and server (with the
# client package, editable), the Rust matcher as its own editable distribution (maturin builds
# it in release mode), and the development tools. Only the matcher needs Rust: users without
# cargo run `pip install .` and get the pure-Python solver.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
command -v cargo >/dev/null || { echo "setup needs Rust (cargo) to build the matcher extension" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Before the split the client was its own install and the extension lived inside engine/;
# neither may linger in an existing .venv (two owners of cashapp_client, a stale module).
if .venv/bin/python -m pip show -q cashapp-client >/dev/null 2>&1; then
  .venv/bin/python -m pip uninstall -q -y cashapp-client
fi
rm -f engine/matching/_matcher.*.so engine/matching/_matcher.so
.venv/bin/python -m pip install -q -e ".[dev]"
# maturin comes with the dev extra (its build backend runs the maturin on PATH): no isolated
# build environment to fetch.
PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pip install -q --no-build-isolation -e ./matcher_rs
.venv/bin/python -c "from engine.matching import solver; print('installed; matcher backend:', solver.backend_name())"

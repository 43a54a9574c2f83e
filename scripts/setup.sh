#!/usr/bin/env bash
# One command installs everything into .venv: the client distribution, the engine and server with
# the Rust extension (maturin builds it in release mode), and the development tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
command -v cargo >/dev/null || { echo "setup needs Rust (cargo) to build the matcher extension" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e clients/python
.venv/bin/python -m pip install -q -e ".[dev]"
.venv/bin/python -c "from engine.matching import solver; print('installed; matcher backend:', solver.backend_name())"

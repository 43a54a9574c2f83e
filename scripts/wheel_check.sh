#!/usr/bin/env bash
# Builds both wheels, installs them into a fresh virtualenv, and runs the demo from /tmp: proves the
# packages (Rust extension, migrations, generated code) work outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python -m pip wheel -q --no-deps -w "$work/dist" clients/python
.venv/bin/maturin build --release -q -o "$work/dist"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q --find-links "$work/dist" cashapp
cd "$work"
"$work/venv/bin/python" -c "
import engine, server, cashapp_client
from engine.matching import solver
assert 'site-packages' in engine.__file__, engine.__file__
assert solver.backend_name() == 'rust', solver.backend_name()
print('wheel imports from', engine.__file__.rsplit('/engine', 1)[0], '; matcher backend rust')"
"$work/venv/bin/cashapp" demo | tail -n 1

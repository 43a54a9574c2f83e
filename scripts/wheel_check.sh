#!/usr/bin/env bash
# Proves the distributions install like libraries, outside the repository:
#  1. `pip install .` from a clean copy of the sources (what a fresh clone holds), in a fresh
#     virtualenv, with no Rust toolchain on PATH and no network: pip may only read a local
#     wheelhouse (the build backend and the runtime dependencies), and any HTTP(S) request goes
#     to a closed loopback port. The engine then solves with its pure-Python twin, and
#     CASHAPP_MATCHER=rust fails clearly.
#  2. The Rust matcher wheel (matcher_rs/, built here with cargo) installed into the same
#     virtualenv: the backend becomes rust, with the same answer, and the demo runs.
#  3. The client distribution (clients/python) alone in another virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A clean copy: the files git tracks or would track (no .venv, target/, built extensions).
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | xargs -0 cp --parents -t "$work/src"

# The wheelhouse an air-gapped site would mirror: the build backend and the runtime
# dependencies, read from pyproject.toml (downloaded now, from the package index or pip's cache).
.venv/bin/python - "$work/requirements.txt" <<'PY'
import sys, tomllib
with open("pyproject.toml", "rb") as f:
    data = tomllib.load(f)
lines = data["build-system"]["requires"] + data["project"]["dependencies"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
.venv/bin/python -m pip download -q -d "$work/wheelhouse" -r "$work/requirements.txt"

# 1. No cargo, no rustc, no network.
no_rust_path=$(tr ':' '\n' <<<"$PATH" | grep -v -e cargo -e rustup | paste -sd: -)
offline=(env -u PIP_FIND_LINKS PATH="$no_rust_path" CARGO_HOME="$work/no-cargo" RUSTUP_HOME="$work/no-rustup"
  http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9
  HTTPS_PROXY=http://127.0.0.1:9 PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheelhouse")
"${offline[@]}" bash -c '! command -v cargo && ! command -v rustc' >/dev/null \
  || { echo "wheel-check: cargo or rustc still on PATH" >&2; exit 1; }
python3 -m venv "$work/venv"
(cd "$work/src" && "${offline[@]}" "$work/venv/bin/python" -m pip install -q .)

cd "$work"
cat >"$work/solve.py" <<'PY'
"""Imports the installed engine, server and client, and solves one payment: prints the backend and the answer."""
import importlib.metadata
import engine, server, cashapp_client
from engine.matching import solver
from engine.matching.solver import Limits, OpenItem

for module in (engine, server, cashapp_client):
    assert "site-packages" in module.__file__, module.__file__
assert importlib.metadata.metadata("cashapp")["License-Expression"] == "Apache-2.0"
# 120.00 + 30.00 is the only subset of these invoices that makes 150.00.
items = [OpenItem(12000), OpenItem(4500), OpenItem(3000), OpenItem(9900)]
solution = solver.solve_one_to_many(items, 15000, Limits(max_items=3))
assert solution.outcome.value == "MATCHED", solution
assert solution.candidates[0].item_indices == (0, 2), solution.candidates[0]
# The camt reader: lxml without the matcher wheel, its Rust twin with it; the same record.
from engine.ingest import camt_native, camt_reader
ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
camt = (f'<Document xmlns="{ns}"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89</IBAN></Id></Acct>'
        '<Ntry><Amt Ccy="EUR">1.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        '<ValDt><Dt>2026-11-02</Dt></ValDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry></Stmt></BkToCstmrStmt></Document>')
entry, = camt_reader.parse(camt.encode()).entries
assert (entry.amount_minor, entry.identity) == (150, "DE89/R1"), entry
print(solver.backend_name(), camt_native.selected(), solution.outcome.value, solution.candidates[0].item_indices)
PY
got=$("$work/venv/bin/python" solve.py)
[[ "$got" == "python python MATCHED (0, 2)" ]] || { echo "wheel-check: without Rust got: $got" >&2; exit 1; }
echo "wheel-check: pip install . without cargo or network: $got"
if err=$(CASHAPP_MATCHER=rust "$work/venv/bin/python" solve.py 2>&1); then
  echo "wheel-check: CASHAPP_MATCHER=rust did not fail without the matcher" >&2; exit 1
fi
grep -q "cashapp-matcher" <<<"$err" || { echo "wheel-check: unclear error: $err" >&2; exit 1; }

# 2. The Rust matcher as its own wheel (this step needs cargo; the install does not).
(cd "$repo/matcher_rs" && ../.venv/bin/maturin build --release -q -o "$work/dist")
"${offline[@]}" "$work/venv/bin/python" -m pip install -q --find-links "$work/dist" cashapp-matcher
got=$("$work/venv/bin/python" solve.py)
[[ "$got" == "rust rust MATCHED (0, 2)" ]] || { echo "wheel-check: with the matcher got: $got" >&2; exit 1; }
echo "wheel-check: with the cashapp-matcher wheel: $got"
"$work/venv/bin/cashapp" demo | tail -n 1

# 3. The client alone: its own distribution, without the engine.
(cd "$repo" && .venv/bin/python -m pip wheel -q --no-deps -w "$work/dist" clients/python)
python3 -m venv "$work/client-venv"
"${offline[@]}" "$work/client-venv/bin/python" -m pip install -q --find-links "$work/dist" cashapp-client
"$work/client-venv/bin/python" -c "
import importlib.util, cashapp_client
assert 'site-packages' in cashapp_client.__file__, cashapp_client.__file__
assert importlib.util.find_spec('engine') is None, 'the client distribution must not ship the engine'
print('wheel-check: cashapp-client alone imports from', cashapp_client.__file__.rsplit('/cashapp_client', 1)[0])"

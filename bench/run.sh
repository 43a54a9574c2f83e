#!/usr/bin/env bash
# Runs the matcher benchmarks and writes bench/RESULTS.md (via `make bench`).
#
# Peers: the Rust solver, its pure-Python fallback, plain itertools, flsss, OR-Tools CP-SAT and
# HiGHS. OR-Tools and highspy ship incompatible builds of HiGHS and cannot share a process, so
# each runs in its own pytest process. Every row is single-threaded (RAYON_NUM_THREADS=1) except
# the batch suite's second Rust run, at 2 threads.
#
# Environment: BENCH_SKIP_BUILD=1 skips the release rebuild of the Rust extension;
# BENCH_SKIP_INSTALL=1 skips installing the optional peers; BENCH_RERUN='<pytest -k expression>'
# re-runs only the one-to-many instances it selects (peers rust, python, itertools, flsss) into
# bench/results/rerun.json, which the report reads after core.json (its rows replace those of
# the same instance and peer; CP-SAT and HiGHS keep theirs), then re-renders the matcher report
# and stops: e.g. BENCH_RERUN='find-one or wide-range' bash bench/run.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PIP=.venv/bin/pip
OUT=bench/results
mkdir -p "$OUT"

if [[ "${BENCH_SKIP_INSTALL:-0}" != 1 ]]; then
    # Remember protobuf: ortools pins protobuf<6.34, while the server's grpcio packages need 7.
    PROTOBUF=$($PY -c 'import importlib.metadata as m; print(m.version("protobuf"))' 2>/dev/null || true)
    $PIP install -q -r bench/requirements.txt || exit 1
    $PIP install -q --no-deps 'ortools>=9.10' || exit 1
    if [[ -n "$PROTOBUF" ]]; then $PIP install -q "protobuf==$PROTOBUF" || exit 1; fi
fi
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && -x .venv/bin/maturin ]]; then
    (cd matcher_rs && VIRTUAL_ENV="$PWD/../.venv" ../.venv/bin/maturin develop --release -q) || exit 1
fi
# Another build (a wheel check, say) can replace the extension under us: check it imports.
$PY -c 'import cashapp_matcher._matcher' || { echo "the Rust extension does not import"; exit 1; }

if [[ -n "${BENCH_RERUN:-}" ]]; then
    echo "== rerun: -k '$BENCH_RERUN' (peers rust,python,itertools,flsss, RAYON_NUM_THREADS=1)"
    $PY -m bench.matcher.report --snapshot "$OUT/rerun.meta.json" "$BENCH_RERUN" || exit 1
    RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1 $PY -m pytest bench/matcher/test_bench_one_to_many.py -q \
        -p no:cacheprovider -W ignore::DeprecationWarning -W ignore::pytest.PytestDeprecationWarning \
        -k "$BENCH_RERUN" --peers=rust,python,itertools,flsss --benchmark-json="$OUT/rerun.json" \
        --skips-json="$OUT/rerun.skips.json" --benchmark-columns=median,rounds,iterations \
        --benchmark-sort=name --benchmark-disable-gc >"$OUT/rerun.log" 2>&1
    rc=$?
    tail -n 1 "$OUT/rerun.log"
    if [[ $rc != 0 && $rc != 5 ]]; then echo "   FAILED: see $OUT/rerun.log"; exit $rc; fi
    $PY -m bench.matcher.report "$OUT" bench/RESULTS.md || exit 1
    echo "wrote bench/RESULTS.md (matcher part)"
    exit 0
fi
rm -rf "$OUT"/*.json "$OUT"/*.log "$OUT/pipeline"
# The machine and the exact sources measured, recorded now (the report may be rendered later).
$PY -m bench.matcher.report --snapshot "$OUT/meta.json" || exit 1
status=0
suite() {  # suite NAME THREADS PEERS FILES...
    local name=$1 threads=$2 peers=$3
    shift 3
    echo "== $name (peers: $peers, RAYON_NUM_THREADS=$threads)"
    RAYON_NUM_THREADS=$threads OMP_NUM_THREADS=1 $PY -m pytest "$@" -q -p no:cacheprovider \
        -W ignore::DeprecationWarning -W ignore::pytest.PytestDeprecationWarning \
        --peers="$peers" --benchmark-json="$OUT/$name.json" --skips-json="$OUT/$name.skips.json" \
        --benchmark-columns=median,rounds,iterations --benchmark-sort=name \
        --benchmark-disable-gc >"$OUT/$name.log" 2>&1
    local rc=$?
    tail -n 1 "$OUT/$name.log"
    # 5 = nothing collected/ran (e.g. every peer skipped); anything else non-zero is a failure.
    if [[ $rc != 0 && $rc != 5 ]]; then status=$rc; echo "   FAILED: see $OUT/$name.log"; fi
}

start=$(date +%s)
T=bench/matcher
suite core 1 rust,python,itertools,flsss \
    $T/test_bench_one_to_many.py $T/test_bench_many_to_many.py $T/test_bench_batch.py
suite batch-2threads 2 rust $T/test_bench_batch.py
suite cpsat 1 cpsat $T/test_bench_one_to_many.py $T/test_bench_many_to_many.py $T/test_bench_batch.py
suite highs 1 highs $T/test_bench_one_to_many.py $T/test_bench_many_to_many.py $T/test_bench_batch.py
echo "== pipeline (end-to-end throughput through the gRPC server; PostgreSQL too after make postgres)"
# Its JSON lives in a folder of its own: the matcher report reads every *.json in $OUT.
mkdir -p "$OUT/pipeline"
$PY -m pytest bench/pipeline -q -p no:cacheprovider -W ignore::DeprecationWarning \
    --benchmark-json="$OUT/pipeline/throughput.json" --benchmark-columns=median,rounds \
    >"$OUT/pipeline/throughput.log" 2>&1 || { status=1; echo "   FAILED: see $OUT/pipeline/throughput.log"; }
tail -n 1 "$OUT/pipeline/throughput.log"
echo "== benchmarks took $(( $(date +%s) - start )) s"

$PY -m bench.matcher.report "$OUT" bench/RESULTS.md || status=1
$PY -m bench.pipeline.report "$OUT/pipeline/throughput.json" bench/RESULTS.md || status=1
echo "wrote bench/RESULTS.md"
exit $status

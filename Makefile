# Every task of the project; `make help` lists them.
PY ?= .venv/bin/python
VENV ?= .venv


.PHONY: help setup postgres demo serve test test-rust test-py lint proto proto-check bench bench-rust wheels wheel-check quality
help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## create .venv and install everything for development (engine, server, client, Rust matcher, dev tools)
	bash scripts/setup.sh

demo: ## run the demo on the embedded default (SQLite)
	$(VENV)/bin/cashapp demo

serve: ## run the server (CASHAPP_DATABASE_URL, CASHAPP_LISTEN)
	$(VENV)/bin/cashapp serve

postgres: ## install (Debian) and start a local PostgreSQL for the tests; needs root
	bash scripts/postgres.sh

test: test-rust test-py ## run every test (Rust core and Python)

test-rust: ## cargo tests of the solver core
	cargo test --release -p matcher_core

test-py: ## pytest: unit, property, integration, e2e
	$(PY) -m pytest -q

lint: ## ruff, mypy --strict, stubtest, buf lint, clippy, rustfmt
	bash scripts/lint.sh

proto: ## regenerate the committed protobuf code
	bash scripts/gen_proto.sh

proto-check: ## fail when regeneration changes the committed code
	bash scripts/gen_proto.sh --check

bench: ## run the benchmarks and write bench/RESULTS.md
	bash bench/run.sh

quality: postgres ## score auto-apply against the ground-truth world (5k+50k SQLite, 5k PostgreSQL, 5k imported as camt.053 and BAI2) into bench/QUALITY.md
	$(PY) -m bench.quality.run --payments 5000 --database sqlite --seed 7 --out bench/QUALITY.md
	$(PY) -m bench.quality.run --payments 50000 --database sqlite --seed 7 --out bench/QUALITY.md --append
	$(PY) -m bench.quality.run --payments 5000 --database postgres --seed 7 --out bench/QUALITY.md --append
	$(PY) -m bench.quality.run --payments 5000 --database sqlite --seed 7 --via camt053 --out bench/QUALITY.md --append
	$(PY) -m bench.quality.run --payments 5000 --database sqlite --seed 7 --via bai2 --out bench/QUALITY.md --append

bench-rust: ## criterion benchmarks of the Rust solver core alone (no Python)
	RAYON_NUM_THREADS=1 cargo bench -p matcher_core --bench solver

wheels: ## build the three wheels into dist/: cashapp (no Rust needed), cashapp-matcher (cargo), cashapp-client
	$(PY) -m pip wheel -q --no-deps -w dist .
	cd matcher_rs && ../$(VENV)/bin/maturin build --release -q -o ../dist
	$(PY) -m pip wheel -q --no-deps -w dist clients/python

wheel-check: ## pip install . from a clean copy without cargo or network, then the matcher wheel, then the client alone
	bash scripts/wheel_check.sh

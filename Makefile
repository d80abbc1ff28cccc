# Earful: `make demo` to try it, `make test` to check it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The port `make demo` serves on: `make demo PORT=8100` when 8000 is taken.
PORT ?= 8000

.PHONY: install demo test test-sqlite test-postgres lint bench lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Earful needs Python 3.11: set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

demo: install
	$(BIN)/earful demo --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench training
	$(BIN)/ruff format --check src tests bench training
	$(BIN)/mypy src bench
	$(BIN)/lint-imports

test: lint test-sqlite test-postgres

# Spread over the machine's cores: each pytest-xdist worker has its own PostgreSQL schema or SQLite
# copies, and a module's tests stay on one worker so its shared fixtures are built once.
# Tests marked serial run a server on a simulated clock (an hour in 30 s): they run alone after,
# as another test's load beside them would stretch their simulated hours.
PYTEST = $(BIN)/pytest -q -n auto --dist loadfile -m "not serial"
SERIAL = $(BIN)/pytest -q -m serial

test-sqlite: install
	$(PYTEST)
	$(SERIAL)

# The same suite against PostgreSQL; skipped with a reason when none is reachable (fails under CI=true).
test-postgres: install
	EARFUL_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST)
	EARFUL_TEST_DATABASE_URL=$(PG_TEST_URL) $(SERIAL)

bench: install
	$(BIN)/python bench/import_throughput.py
	$(BIN)/python bench/pii_redaction.py
	$(BIN)/python bench/pii_synthetic.py --seed 99 --count 1500
	$(BIN)/python bench/urgency.py
	$(BIN)/python bench/tone.py --embeddings
	$(BIN)/python bench/sentiment.py --embeddings
	$(BIN)/python bench/fewshot_airline.py
	$(BIN)/python bench/goemotions.py
	$(BIN)/python bench/enrichment_throughput.py
	$(BIN)/python bench/feed_latency.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/connectors_soak.py
	$(BIN)/python bench/spikes.py
	$(BIN)/python bench/report_render.py
	$(BIN)/python bench/api_fuzz.py

# Re-pin every dependency after editing pyproject.toml. The lock is the whole closure, so `install`
# takes it with --no-deps; overrides.txt drops what Earful never imports (see the file).
lock: install
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra embeddings --python-version 3.11 --generate-hashes --override overrides.txt -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

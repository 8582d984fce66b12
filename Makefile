# The two commands: `make demo` and `make test`. Both work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck test-sqlite test-postgres clean bench-pk

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ketamine-clinic demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

# The django-stubs plugin loads the production settings, which need a key to import.
typecheck: $(STAMP)
	KC_SECRET_KEY=typecheck-only $(BIN)/mypy

# Every test on SQLite, then every database test again on PostgreSQL, each spread over
# TEST_WORKERS processes (pytest-xdist; each has its own database; Redis tests use their
# own key prefixes). TEST_WORKERS=0 runs in this process, as a debugger wants.
TEST_WORKERS ?= 2
test-sqlite: $(STAMP)
	env -u DATABASE_URL $(BIN)/python -m pytest -n $(TEST_WORKERS)

test-postgres: $(STAMP)
	$(BIN)/python -m tests.support.postgres_pass -n $(TEST_WORKERS)

test: lint typecheck test-sqlite test-postgres

# Side-by-side benchmark against opentiva and PyTCI; not a test. The peers go into their
# own environment, bench/.venv-pk (made on first use); writes docs/benchmarks.md.
bench-pk: $(STAMP)
	$(BIN)/python bench/pk.py --write

# CP-SAT course scheduling against the greedy first-fit baseline; not a test. Runs in the
# project's .venv (no peers); writes its own marked block in docs/benchmarks.md.
.PHONY: bench-schedule
bench-schedule: $(STAMP)
	$(BIN)/python bench/schedule.py --write

# The device gateway end to end on SQLite and PostgreSQL (scratch databases, the load
# generator in its own process) and parse rates against python-hl7 and hl7apy; not a
# test. Writes its own marked block in docs/benchmarks.md. --quick: a smoke run.
# Every staff page on the generated clinic (6,000 patients, 19,000 infusions), SQLite and
# PostgreSQL, through the real server with 8 concurrent clients; not a test. Writes its
# own marked block in docs/benchmarks.md.
.PHONY: bench-pages
bench-pages: $(STAMP)
	$(BIN)/python bench/pages.py --write

.PHONY: bench-gateway
bench-gateway: $(STAMP)
	$(BIN)/python bench/gateway.py --write

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

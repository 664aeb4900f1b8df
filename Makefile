# Everything a fresh machine needs is done by these targets: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi
export DEMO_PASSWORD ?= Demo@2026
STAMP := $(VENV)/.installed
VENDOR_STAMP := node_modules/.vendored

.PHONY: install vendor db run run-prod worker templates test test-sqlite test-postgres fuzz system-deps lint format bench bench-load bench-processes bench-quarter-end simulate-year clean screenshots

install: $(STAMP)
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

vendor: $(VENDOR_STAMP)
$(VENDOR_STAMP): package.json package-lock.json scripts/vendor.sh $(wildcard scripts/vendor.d/*.sh)
	npm ci --no-audit --no-fund --loglevel=error
	bash scripts/vendor.sh
	touch $(VENDOR_STAMP)

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	$(BIN)/flask assessment load-sheets
	$(BIN)/flask workflow deploy --dir workflows
	$(BIN)/flask reports open --current
	$(BIN)/flask reports schedule
	$(BIN)/flask reports demo-history
	$(BIN)/flask accidents demo
	$(BIN)/flask assessment demo
	$(BIN)/flask publication schedule
	$(BIN)/flask publication open --last
	$(BIN)/flask publication demo
	$(BIN)/flask publication expire-records

run: install vendor db
	@$(BIN)/flask demo accounts
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl+C stops; a timer worker runs beside it)"
	@$(BIN)/flask workflow worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/waitress-serve --listen=127.0.0.1:$(PORT) --threads=8 wsgi:app

# Production mode (docs/deploy.md): PostgreSQL from HQR_DATABASE_URL (refused without it), the
# login limits in Redis (HQR_REDIS_URL), migrations applied, HQR_TIMER_WORKERS timer workers and
# gunicorn with HQR_WEB_PROCESSES processes on HOST:PORT, JSON logs on stderr.  It serves what
# the database holds: `HQR_DATABASE_URL=... make db run-prod` loads the demo first.
HOST ?= 127.0.0.1
HQR_WEB_PROCESSES ?= 2
HQR_TIMER_WORKERS ?= 1
run-prod: install vendor
	@case "$$HQR_DATABASE_URL" in \
	  postgres://*|postgresql://*|postgresql+psycopg://*) ;; \
	  "") echo "make run-prod needs HQR_DATABASE_URL, a PostgreSQL URL, e.g." \
	        "HQR_DATABASE_URL=postgresql://hqr@127.0.0.1:5432/hqr make run-prod" \
	        "(make run serves SQLite for one machine)" >&2; exit 2;; \
	  *) echo "make run-prod needs PostgreSQL; HQR_DATABASE_URL is not a postgresql:// URL" >&2; exit 2;; \
	esac
	@export HQR_REDIS_URL="$${HQR_REDIS_URL:-redis://127.0.0.1:6379/0}"; \
	  $(BIN)/python -c 'import os, redis; redis.Redis.from_url(os.environ["HQR_REDIS_URL"]).ping()' \
	  2>/dev/null || { echo "Redis does not answer at $$HQR_REDIS_URL (set HQR_REDIS_URL):" \
	  "the login limits must be shared by every web process" >&2; exit 2; }
	$(BIN)/flask db upgrade
	@export HQR_REDIS_URL="$${HQR_REDIS_URL:-redis://127.0.0.1:6379/0}" HQR_LOG_FORMAT=json; \
	  echo "Serving on http://$(HOST):$(PORT)/ with $(HQR_WEB_PROCESSES) web processes and" \
	    "$(HQR_TIMER_WORKERS) timer worker(s) (Ctrl+C stops)"; \
	  workers=""; for i in $$(seq $(HQR_TIMER_WORKERS)); do \
	    $(BIN)/flask workflow worker & workers="$$workers $$!"; done; \
	  trap 'kill $$workers 2>/dev/null; wait $$workers 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn --workers $(HQR_WEB_PROCESSES) --bind $(HOST):$(PORT) \
	    --error-logfile - --graceful-timeout 30 --timeout 120 wsgi:app

# The timer worker alone (make run already starts one).
worker: install
	$(BIN)/flask workflow worker

# Debian packages the tests need: Chromium for the browser journeys (Playwright drives it, it
# never downloads a browser), LibreOffice and CJK fonts for Word → PDF with Chinese text
# (fonts-noto-cjk: its Serif and Sans SC faces, onto which webapp/documents/fonts.conf maps the
# official face names — docs/documents.md, "Fonts"),
# redis-server for the login limits across processes (the test starts one if none answers).
# Nothing else in `make test` needs root: a non-root user installs them through sudo.  apt-get
# waits up to 10 minutes for the package manager's lock when another install is running (a
# package that other install is still unpacking counts as missing until it is fully installed).
SYSTEM_PACKAGES := chromium libreoffice-writer-nogui fonts-noto-cjk redis-server
APT_GET := apt-get -qq -o DPkg::Lock::Timeout=600
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q ' installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else echo "installing$$missing needs root: run as root or install sudo" >&2; exit 1; fi; \
	echo "installing Debian packages:$$missing$${sudo:+ (through sudo)}"; \
	($$sudo $(APT_GET) update || true) && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y $$missing >/dev/null

test: install vendor system-deps lint
	$(MAKE) test-sqlite
	@url="$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"; \
	if [ -n "$$TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  TEST_DATABASE_URL="$$url" $(MAKE) test-postgres; \
	else echo "no PostgreSQL on 127.0.0.1:5432 and TEST_DATABASE_URL unset: PostgreSQL run skipped"; fi

# The suite runs on every core (pytest-xdist); each worker has its own SQLite file and, on
# PostgreSQL, its own database (tests/conftest.py).  TEST_WORKERS=0 runs it in one process.
# PostgreSQL runs what can tell the engines apart: not the browser journeys, not the tests
# tests/pg_scope.py lists as db_agnostic (each with its reason; a guard test keeps the list
# honest).  PYTHONDONTWRITEBYTECODE is dropped for the tests: with it, every worker re-does
# pytest's assertion rewriting of all ~460 test modules (about 8 s of CPU per worker and leg).
TEST_WORKERS ?= auto
test-sqlite:
	env -u TEST_DATABASE_URL -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

test-postgres:
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not browser and not db_agnostic"

# Refresh the screenshots the docs show (docs/screenshots/): the browser journeys that take them
# write there only when asked, so that `make test` never leaves the checkout changed.
screenshots: install vendor system-deps
	env -u TEST_DATABASE_URL HQR_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser/test_home_journey.py tests/browser/test_chinese_journey.py tests/browser/test_phone_approval.py

# The pages of every official document kind shown in docs/documents.md (docs/img/documents/):
# rendered as the printed test renders them, converted by LibreOffice, drawn at 80 dpi.
.PHONY: document-screenshots
document-screenshots: install
	$(BIN)/python scripts/document_screenshots.py

# The Hypothesis tests with fresh randomness (the suite runs them derandomized) and more examples,
# on SQLite, then on PostgreSQL like `make test`.  Put each input it finds into an @example or the
# regression list of tests/security/test_api_fuzz.py, so that every later run replays it.
FUZZ_TESTS = $(sort $(shell grep -rl --include='test_*.py' '^from hypothesis import' tests))
HQR_FUZZ_EXAMPLES ?= 200
FUZZ := HYPOTHESIS_PROFILE=random HQR_FUZZ_EXAMPLES=$(HQR_FUZZ_EXAMPLES) $(BIN)/pytest -q $(FUZZ_TESTS)
fuzz: install
	env -u TEST_DATABASE_URL $(FUZZ)
	@url="$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"; \
	if [ -n "$$TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  TEST_DATABASE_URL="$$url" $(FUZZ); \
	else echo "no PostgreSQL on 127.0.0.1:5432 and TEST_DATABASE_URL unset: PostgreSQL run skipped"; fi

lint: install
	$(BIN)/ruff check webapp tests bench scripts
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format webapp tests bench
	$(BIN)/ruff check --fix webapp tests bench

templates: install
	$(BIN)/python scripts/make_templates.py
	$(BIN)/python scripts/make_public_template.py
	$(BIN)/python scripts/make_notice_template.py
	$(BIN)/python scripts/make_assessment_template.py

bench: install
	$(BIN)/python -m bench

# 20 API clients with tokens for 60 s against waitress, on SQLite and (with BENCH_DATABASE_URL,
# a scratch database whose schema is dropped) PostgreSQL; fails on any 5xx.  Not part of test.
bench-load: install
	$(BIN)/python -m bench load

# Production mode (issue 19 goals 4–6), each on a scratch PostgreSQL database it creates and drops
# (hqr_scale_*, on BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres) with
# Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/0).  Not part of test; see
# docs/benchmarks.md.  One and then two gunicorn processes under the same API load:
bench-processes: install
	$(BIN)/python -m bench processes

# 200 clerks and reviewers for DURATION (default 10m) with locust (pinned in the `test`
# extra, which `install` installs); fails on any error.
DURATION ?= 10m
bench-quarter-end: install
	DURATION=$(DURATION) $(BIN)/python -m bench quarter_end

# A province's year (2027) driven over HTTP by its users on gunicorn with HQR_WEB_PROCESSES.
simulate-year: install
	$(BIN)/python -m bench simulate

clean:
	rm -rf $(VENV) node_modules webapp/static/vendor

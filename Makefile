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

.PHONY: install vendor db run worker templates test test-sqlite test-postgres system-deps lint format bench clean

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
	$(BIN)/flask publication schedule
	$(BIN)/flask publication open --last

run: install vendor db
	@$(BIN)/flask demo accounts
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl+C stops; a timer worker runs beside it)"
	@$(BIN)/flask workflow worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/waitress-serve --listen=127.0.0.1:$(PORT) --threads=8 wsgi:app

# The timer worker alone (make run already starts one).
worker: install
	$(BIN)/flask workflow worker

# Debian packages the tests need: Chromium for the browser journeys (Playwright drives it, it
# never downloads a browser), LibreOffice and CJK fonts for Word → PDF with Chinese text,
# redis-server for the login limits across processes (the test starts one if none answers).
SYSTEM_PACKAGES := chromium libreoffice-writer-nogui fonts-noto-cjk redis-server
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

test: install vendor system-deps lint
	$(MAKE) test-sqlite
	@url="$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"; \
	if [ -n "$$TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  TEST_DATABASE_URL="$$url" $(MAKE) test-postgres; \
	else echo "no PostgreSQL on 127.0.0.1:5432 and TEST_DATABASE_URL unset: PostgreSQL run skipped"; fi

test-sqlite:
	env -u TEST_DATABASE_URL $(BIN)/pytest -q

test-postgres:
	$(BIN)/pytest -q -m "not browser"

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

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules webapp/static/vendor

# gongshi — the two commands: `make demo` and `make test` (see README).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
AS_OF ?= $(shell date +%F)
STAMP := $(VENV)/.installed
NODE_DIR := .cache/node

.PHONY: demo test install system-deps node-deps lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests drive for real: Chromium (Playwright's browser) and nginx (origin).
system-deps:
	@need=""; \
	  test -x /usr/bin/chromium || need="$$need chromium"; \
	  command -v soffice >/dev/null 2>&1 || need="$$need libreoffice-calc"; \
	  command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || need="$$need nginx"; \
	  command -v npm >/dev/null 2>&1 || need="$$need npm"; \
	  if [ -n "$$need" ]; then \
	    echo "installing Debian packages:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	  fi

# axe-core (accessibility engine) is injected into pages by the browser tests.
node-deps: $(NODE_DIR)/node_modules/axe-core/axe.min.js
$(NODE_DIR)/node_modules/axe-core/axe.min.js:
	mkdir -p $(NODE_DIR)
	npm install --silent --no-audit --no-fund --prefix $(NODE_DIR) axe-core@4

lint: $(STAMP)
	$(BIN)/ruff check gongshi pipeline publish tests benchmarks tools

test: $(STAMP) system-deps node-deps lint
	$(BIN)/pytest -q -p no:cacheprovider

demo: $(STAMP)
	$(BIN)/gongshi build --content content --output output --as-of $(AS_OF)
	@echo "serving the demo site on http://127.0.0.1:8000/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory output 8000

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf output build .pytest_cache

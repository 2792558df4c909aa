# The two commands the README leads with are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test setup ui ui-check fmt lint unit generated bench

## make run: the studio, opened on the offline workspace (bundled samples and default
## mappings) in ~/.local/share/unifield, or the directory in $UNIFIELD_WORKSPACE.
run: setup ui
	scripts/run-studio

## make test: everything CI checks: formatting, clippy (-D warnings), the UI's type check,
## lint and unit tests, and every Rust test including the studio's end-to-end WebDriver
## test in a virtual display.
test: setup ui fmt lint ui-check unit

setup:
	@scripts/setup

# The UI is built into ui/dist before any Rust build: the studio binary embeds it.
ui:
	scripts/ui-build

ui-check:
	cd ui && npm run --silent check && npm test --silent

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Inside a private D-Bus session with an unlocked gnome-keyring (the secrets tests use the
# real system keyring, never a mock) and a virtual X display for the studio's window.
# --run-ignored all: tests whose prerequisites only this environment provides (the studio's
# WebDriver journey in tests/studio) are #[ignore]d, so elsewhere they show as skipped.
unit:
	TAURI_E2E=1 TAURI_DRIVER="$$(scripts/setup --which tauri-driver)" NO_AT_BRIDGE=1 \
	  scripts/with-keyring xvfb-run -a -s "-screen 0 1440x900x24" \
	  $(CARGO) nextest run --workspace --locked --no-fail-fast --run-ignored all

## make generated: rewrite docs/transforms.md, the JSON Schemas, the bundled samples and
## the UI's TypeScript (bindings, command wrappers, the mapping format's types) after
## changing the model, the transforms, the sample generator or the studio's types.
generated:
	$(CARGO) run -q -p unifield-cli -- docs
	$(CARGO) run -q -p unifield-cli -- samples
	UPDATE_BINDINGS=1 $(CARGO) test -q -p unifield-studio-service --test bindings
	UPDATE_BINDINGS=1 $(CARGO) test -q -p unifield-studio --test ipc the_ui_command_wrappers
	cd ui && npm run --silent generate

## make package: a Debian package of the studio (a release build, bundled by the Tauri CLI
## from the UI's npm packages; .deb only: the other formats download tools while they
## build), in target/release/bundle/deb/. Install it with apt (see the README's Install).
# The release profile keeps line tables for profiling; the packaged binary goes without
# them, as Debian's packages do (145 MB -> 30 MB). The stripped copy replaces the link in
# target/release only (not Cargo's own file under deps/, which the next build links back).
.PHONY: package
package: setup ui
	cd src-tauri && ../ui/node_modules/.bin/tauri build --no-bundle --ci
	strip --strip-debug -o target/release/unifield-studio.stripped target/release/unifield-studio
	mv -f target/release/unifield-studio.stripped target/release/unifield-studio
	cd src-tauri && ../ui/node_modules/.bin/tauri bundle --bundles deb --ci

## make bench: the criterion benches, the scripted CLI benchmarks and the studio's memory
## beside an empty Tauri window (each prints its ratio against a baseline in the same run).
bench:
	@scripts/setup time
	$(CARGO) bench -p unifield-engine --bench reapply
	$(CARGO) bench -p unifield-engine --bench filter
	$(CARGO) bench -p unifield-store --bench insert
	$(CARGO) bench -p unifield-studio-service --bench studio
	scripts/bench-engine
	scripts/bench-pull
	$(CARGO) bench -p unifield-server --bench unified_read
	$(CARGO) bench -p unifield-server --bench read_nodes
	scripts/bench-studio-memory

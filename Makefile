# The two commands the README leads with are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test setup fmt lint unit generated bench

## make run: the demo (the studio comes in a later issue): every default Corrigo mapping
## applied to the bundled offline samples, with a coverage table per mapping.
run: setup
	$(CARGO) run -q -p unifield-cli -- demo

## make test: everything CI checks: formatting, clippy (-D warnings), all tests.
test: setup fmt lint unit

setup:
	@scripts/setup

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Inside a private D-Bus session with an unlocked gnome-keyring: the secrets tests use the
# real system keyring, never a mock.
unit:
	scripts/with-keyring $(CARGO) nextest run --workspace --locked --no-fail-fast

## make generated: rewrite docs/transforms.md, the JSON Schemas and the bundled samples
## after changing the model, the transforms or the sample generator.
generated:
	$(CARGO) run -q -p unifield-cli -- docs
	$(CARGO) run -q -p unifield-cli -- samples

## make bench: the criterion re-preview bench and the scripted CLI benchmark.
bench:
	@scripts/setup time
	$(CARGO) bench -p unifield-engine --bench reapply
	$(CARGO) bench -p unifield-store --bench insert
	scripts/bench-engine
	scripts/bench-pull

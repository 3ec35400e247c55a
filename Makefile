# frispool — make targets an operator and a developer use. See README.md.
CARGO ?= cargo
SPOOL ?= ./spool

.PHONY: demo spool-demo test bench keys build clean-spool

build:
	$(CARGO) build --release --workspace --bins

# The demo: real blocks proven end to end on ./spool (scripts/demo.sh says what it does).
demo: build
	scripts/demo.sh

spool-demo: build
	scripts/spool-demo.sh

test:
	$(CARGO) test --workspace

bench:
	scripts/bench.sh

# Keys of this build into $(SPOOL)/keys (idempotent for one build; a new build needs a fresh keys folder).
keys: build
	target/release/frispool --spool $(SPOOL) init
	target/release/frispool --spool $(SPOOL) keygen

clean-spool:
	rm -rf $(SPOOL)/*

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
	$(CARGO) bench --workspace

clean-spool:
	rm -rf $(SPOOL)/*

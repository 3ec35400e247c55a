# frispool — make targets an operator and a developer use. See README.md.
CARGO ?= cargo
SPOOL ?= ./spool

.PHONY: demo spool-demo test bench keys build clean-spool

build:
	$(CARGO) build --release --workspace --bins

# The demo: until the pipeline lands it is the spool demo (synthetic jobs, several workers, one killed).
demo: spool-demo

spool-demo: build
	scripts/spool-demo.sh

test:
	$(CARGO) test --workspace

bench:
	$(CARGO) bench --workspace

clean-spool:
	rm -rf $(SPOOL)/*

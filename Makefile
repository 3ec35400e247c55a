# frispool — make targets an operator and a developer use. See README.md.
CARGO ?= cargo
SPOOL ?= ./spool

.PHONY: demo spool-demo test bench keys build clean-spool prove

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

# A batch: prove every block the sequencer at $(SEQUENCER) has due, on $(SPOOL), then exit; non-zero if any job
# landed in failed/. Each pass runs every stage of `frispool stages` once with --once, in the pipeline's order
# (the pass's rules are generated into $(PROVE_MK) by scripts/make-prove.sh); passes repeat until no queue has
# work. Under `make -jN prove` a pass runs N provers side by side. Every stage runs single-threaded so that the
# final proofs are byte-identical whatever N is (scripts/make-prove.sh says why). BIN=DIR uses binaries
# already built there instead of building.
SEQUENCER ?= http://127.0.0.1:3320
PROVE_THREADS ?= 1
PROVE_MAX_PASSES ?= 20
PROVE_LOGS ?= $(SPOOL)/../frispool-prove-logs
PROVE_MK ?= $(SPOOL)/../.make-prove.mk
PROVE_ENV = BIN=$(or $(BIN),$(or $(CARGO_TARGET_DIR),target)/release) FRISPOOL_SPOOL=$(SPOOL) \
	SEQUENCER=$(SEQUENCER) THREADS=$(PROVE_THREADS) LOGS=$(PROVE_LOGS)

prove: $(if $(BIN),,build)
	@$(PROVE_ENV) scripts/make-prove.sh prepare
	@set -e; mkdir -p $(dir $(PROVE_MK)); \
	  jobs=$$(printf '%s\n' "$$MAKEFLAGS" | sed -n 's/.*-j\([0-9][0-9]*\).*/\1/p'); \
	  case "$$MAKEFLAGS" in *-j*) jobs=$${jobs:-$$(nproc)};; esac; \
	  provers=$${PROVERS:-$${jobs:-1}}; \
	  $(PROVE_ENV) scripts/make-prove.sh rules $$provers > $(PROVE_MK); \
	  echo "make prove: $$provers prover(s) per round, stages single-threaded, logs in $(PROVE_LOGS)"; \
	  pass=1; while :; do \
	    PASS=$$pass $(PROVE_ENV) $(MAKE) --no-print-directory -f $(PROVE_MK) pass || exit $$?; \
	    $(PROVE_ENV) scripts/make-prove.sh pending || break; \
	    if [ $$pass -ge $(PROVE_MAX_PASSES) ]; then \
	      echo "make prove: queues still have work after $$pass passes" >&2; exit 1; \
	    fi; \
	    pass=$$((pass + 1)); \
	  done; \
	  echo "make prove: queues empty after $$pass pass(es)"
	@$(PROVE_ENV) scripts/make-prove.sh failed

# SparseMpi: communication-efficient distributed SGD by gradient sparsification.
# make run   - a short sparsified training of Fashion-MNIST on 4 ranks (installs what it needs)
# make test  - every test, including the ones under real mpiexec (installs what it needs)
SHELL := /bin/bash
.DEFAULT_GOAL := help
CONFIG := Release
BIN := bin/sparsempi
RANKS ?= 4
EPOCHS ?= 1
OUT ?= runs/make-run
HOSTFILE ?=
ARGS ?=
# Open MPI refuses root and more ranks than cores unless told; harmless otherwise.
MPIEXEC ?= mpiexec --oversubscribe --allow-run-as-root --bind-to none $(if $(HOSTFILE),--hostfile $(HOSTFILE))
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help deps build run test clean experiment-hogwild

help:
	@echo "make run    short sparsified training on $(RANKS) ranks (results in $(OUT))"
	@echo "make test   all tests, ending with 'N passed, N failed'"
	@echo "make experiment-hogwild   the Hogwild experiment (docs/results/hogwild/; about 10 minutes here)"
	@echo "make deps | build | clean"

deps:
	@scripts/deps.sh

build: deps
	dotnet build SparseMpi.slnx -c $(CONFIG) -nologo -clp:ErrorsOnly
	@mkdir -p bin && cp scripts/sparsempi.in $(BIN) && chmod +x $(BIN)

run: build
	$(MPIEXEC) -n $(RANKS) $(BIN) train --epochs $(EPOCHS) --out $(OUT) $(ARGS)
	@echo "results: $(OUT)/summary.json, $(OUT)/metrics.jsonl"

test: build
	@rm -rf TestResults
	@dotnet test SparseMpi.Tests -c $(CONFIG) --no-build -nologo --logger "trx;LogFileName=tests.trx" \
	  --logger "console;verbosity=normal" --results-directory TestResults; \
	  scripts/test-summary.sh TestResults/tests.trx

# Asynchronous dense vs top-k vs staleness-aware lr at three staleness levels (docs/results/hogwild/README.md).
experiment-hogwild: build
	MPIEXEC="$(MPIEXEC)" RANKS=$(RANKS) scripts/experiment-hogwild.sh

clean:
	rm -rf bin TestResults */bin */obj

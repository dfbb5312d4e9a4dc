# SparseMpi: communication-efficient distributed SGD by gradient sparsification.
# make run   - a short sparsified training of Fashion-MNIST on 4 ranks (installs what it needs)
# make test  - every test, including the ones under real mpiexec and a throw-away Slurm (installs what it needs)
# make slurm-test - only the Slurm one: jobs/*.sbatch under a one-node Slurm started and stopped here (root)
# make cluster-test - only the multi-node ones, on clusters of network namespaces made and removed here (root)
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

.PHONY: help deps build run test slurm-test cluster-test bench-cluster clean bench-topk bench-comm bench-startup experiment-topk experiment-dynamic experiment-hogwild

help:
	@echo "make run    short sparsified training on $(RANKS) ranks (results in $(OUT))"
	@echo "make test   all tests, ending with 'N passed, N failed'"
	@echo "make slurm-test   the batch scripts in jobs/ under a throw-away one-node Slurm (needs root)"
	@echo "make cluster-test   the multi-node tests on a cluster of network namespaces (scripts/cluster.sh; needs root)"
	@echo "make bench-cluster   link check, bench-comm and train on 4 emulated nodes at 1 and 10 Gb/s vs one node"
	@echo "make bench-topk | bench-comm | bench-startup   kernel, collective and start-up benchmarks"
	@echo "make experiment-topk | experiment-dynamic | experiment-hogwild   the experiments in docs/results/" 
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

# Also part of `make test` (SparseMpi.Tests/Slurm/SlurmTests.cs runs it), so its result is in the summary line.
slurm-test: build
	@scripts/slurm-test.sh

# Also part of `make test` (the tests of category "cluster", SparseMpi.Tests/Cluster/): Open MPI, MPICH and Slurm
# across nodes made of network namespaces; skipped, with the reason, where namespaces cannot be made.
cluster-test: build
	@rm -rf TestResults/cluster
	@dotnet test SparseMpi.Tests -c $(CONFIG) --no-build -nologo --filter TestCategory=cluster --logger "trx;LogFileName=cluster.trx" \
	  --logger "console;verbosity=normal" --results-directory TestResults/cluster; \
	  scripts/test-summary.sh TestResults/cluster/cluster.trx

# The figures of docs/results/cluster/ (scripts/cluster-bench.sh; knobs there). Takes ~15-25 minutes: run it on a quiet machine.
bench-cluster: build
	@scripts/deps.sh python3
	scripts/cluster-bench.sh

bench-topk: build
	$(BIN) bench-topk --json runs/bench-topk.json $(ARGS)

bench-comm: build
	$(MPIEXEC) -n $(RANKS) $(BIN) bench-comm --json runs/bench-comm.json $(ARGS)

bench-startup: build
	RANKS=$(RANKS) scripts/startup-cost.sh

experiment-topk: build
	jobs/experiment-topk.sh

experiment-dynamic: build
	@scripts/deps.sh python3   # its cost-to-target tables (scripts/cost-to-target.py)
	jobs/experiment-dynamic.sh

# Asynchronous dense vs top-k vs staleness-aware lr at three staleness levels (docs/results/hogwild/README.md).
experiment-hogwild: build
	@scripts/deps.sh python3   # its table script (scripts/hogwild-table.py)
	MPIEXEC="$(MPIEXEC)" RANKS=$(RANKS) scripts/experiment-hogwild.sh

clean:
	rm -rf bin TestResults */bin */obj

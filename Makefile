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

.PHONY: help deps build run test slurm-test cluster-test bench-cluster bench-collectives bench-from-run bench-step-scaling clean bench-topk bench-comm bench-startup experiment-topk experiment-dynamic experiment-hogwild experiment-assumption bench-torch-vs-simd results-tables check-results-tables

help:
	@echo "make run    short sparsified training on $(RANKS) ranks (results in $(OUT))"
	@echo "make test   all tests, ending with 'N passed, N failed'"
	@echo "make slurm-test   the batch scripts in jobs/ under a throw-away one-node Slurm (needs root)"
	@echo "make cluster-test   the multi-node tests on a cluster of network namespaces (scripts/cluster.sh; needs root)"
	@echo "make bench-cluster   link check, bench-comm and train on 4 emulated nodes at 1 and 10 Gb/s vs one node"
	@echo "make bench-collectives   every exchange (allgather, SparCML, Ok-Topk, auto) on 4 emulated nodes at 10 Gb/s, P = 4..32"
	@echo "make bench-from-run      every exchange on real top-k selections recorded in training (MLP, wide MLP; 8 ranks, 4 emulated nodes)"
	@echo "make bench-step-scaling   bench-step at P = 2..32 on 4 emulated nodes at 10 Gb/s against the alpha-beta model (report --bench-step)"
	@echo "make bench-topk | bench-comm | bench-startup | bench-torch-vs-simd   kernel, collective, start-up and torch-kernel benchmarks (JSON into docs/results/)"
	@echo "make results-tables | check-results-tables   the experiment tables from the runs committed in docs/results/*/runs/"
	@echo "make experiment-topk | experiment-dynamic | experiment-hogwild | experiment-assumption   the experiments in docs/results/" 
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
	@SPARSEMPI_SLURM_EARLY=1 dotnet test SparseMpi.Tests -c $(CONFIG) --no-build -nologo --logger "trx;LogFileName=tests.trx" \
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

# The timing benchmarks write their JSON where the README and the result docs cite it (the headline figure
# test, SparseMpi.Tests/Docs/HeadlineFigureTests.cs, recomputes the quoted figures from these files). Run them
# on a quiet machine. bench-topk: BENCH_RUNS runs for each SIMD width (ISAS), one file per run:
# docs/results/kernels/bench-topk-<isa>-<n>.json; `make bench-topk ISAS=vector512 BENCH_RUNS=1` for one.
ISAS ?= vector512 vector256 vector128
BENCH_RUNS ?= 3
bench-collectives: build
	scripts/collectives-bench.sh

bench-from-run: build
	scripts/from-run-bench.sh

# Step-time scaling on the emulated cluster, measured against the model (scripts/step-scaling.sh; knobs there):
# docs/results/cluster/step-scaling/step-model.md. About 10 minutes: run it on a quiet machine.
bench-step-scaling: build
	@scripts/deps.sh python3
	scripts/step-scaling.sh

bench-topk: build
	@mkdir -p docs/results/kernels
	@for isa in $(ISAS); do for n in $$(seq $(BENCH_RUNS)); do \
	  case $$isa in vector512) env=;; vector256) env=DOTNET_EnableAVX512=0;; vector128) env=DOTNET_EnableAVX2=0;; \
	    *) echo "ISAS: vector512, vector256 or vector128, not $$isa" >&2; exit 2;; esac; \
	  echo "== $$isa run $$n $${env:+($$env)}"; \
	  env $$env $(BIN) bench-topk --json docs/results/kernels/bench-topk-$$isa-$$n.json $(ARGS) || exit 1; \
	done; done

# One run with every density the README and docs/COMMUNICATION.md quote (the crossover at 0.2 included), so
# every comm figure comes from one file: docs/results/comm/bench-comm.json.
COMM_DENSITIES ?= 0.0001,0.001,0.01,0.1,0.2,0.3
bench-comm: build
	@mkdir -p docs/results/comm
	$(MPIEXEC) -n $(RANKS) $(BIN) bench-comm --densities $(COMM_DENSITIES) --json docs/results/comm/bench-comm.json $(ARGS)

# The README's torch-vs-SIMD table: docs/results/kernels/torch-vs-simd/runs/ (scripts/torch-vs-simd.sh).
bench-torch-vs-simd: build
	@scripts/deps.sh python3
	scripts/torch-vs-simd.sh

# docs/results/startup.json (scripts/startup-cost.sh).
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

# Alistarh et al.'s assumption measured during training with --log-assumption (docs/results/claims/assumption/README.md).
experiment-assumption: build
	@scripts/deps.sh python3   # its table script (scripts/claims-assumption-table.py)
	MPIEXEC="$(MPIEXEC)" RANKS=$(RANKS) EPOCHS=2 scripts/claims-assumption.sh

# The experiment tables regenerated from the runs committed under docs/results/*/runs/ alone (no metrics.jsonl):
# results-tables rewrites them, check-results-tables diffs them against the committed ones.
results-tables: build
	@scripts/deps.sh python3
	scripts/results-tables.sh

check-results-tables: build
	@scripts/deps.sh python3
	scripts/results-tables.sh --check

clean:
	rm -rf bin TestResults */bin */obj

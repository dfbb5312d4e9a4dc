# The tiny configuration the tests run the job scripts in jobs/ with: a few steps of the smallest model, so one
# run takes seconds. Sourced by scripts/slurm-test.sh and by SparseMpi.Tests/Jobs/JobScriptTests.cs.
#
# Until the train verb exists, every run checks the MPI setup instead (check-mpi) through the same launchers and
# run directories. WHEN TRAIN LANDS, delete the VERB_ARGS line: the runs then train, and scripts/check-run.sh
# then requires each run's summary.json (it decides by the verb each run was launched with).
export VERB_ARGS=check-mpi
export MODEL=logreg EPOCHS=1 BATCH=32 GLOBAL_BATCH=64 LR=0.05 COMPRESSOR=topk DENSITY=0.01 SEED=1
export EXTRA_ARGS="--max-steps 4"

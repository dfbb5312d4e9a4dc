# The tiny configuration the tests run the job scripts in jobs/ with: a few steps of the smallest model, so one
# run takes seconds. Sourced by scripts/slurm-test.sh and by SparseMpi.Tests/Jobs/JobScriptTests.cs.
export MODEL=logreg EPOCHS=1 BATCH=32 GLOBAL_BATCH=64 LR=0.05 COMPRESSOR=topk DENSITY=0.01 SEED=1
export EXTRA_ARGS="--max-steps 4"

mpiexec --oversubscribe --bind-to none -n 4 /tmp/figs-snap/bin/sparsempi fit-mpi-cost --model logreg --json /tmp/figs-runs/dynamic-lb/logreg-large-batch-fit/fit.json 

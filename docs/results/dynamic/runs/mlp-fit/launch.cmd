mpiexec --oversubscribe --bind-to none -n 4 /tmp/figs-snap/bin/sparsempi fit-mpi-cost --model mlp --json /tmp/figs-runs/dynamic-mlp/mlp-fit/fit.json 

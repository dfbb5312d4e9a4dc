mpiexec --oversubscribe --bind-to none -n 4 /tmp/figs-snap/bin/sparsempi train --model mlp --epochs 5 --seed 1 --log-every 5 --compressor none --out /tmp/figs-runs/topk/dense 

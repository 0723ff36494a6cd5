#!/usr/bin/env bash
# The image-to-image comparison of benchmarks/RESULTS.md ("Image-to-image: regressor versus generators"):
# `gendsl complete all` on each task over several seeds, then the mean ± s.d. of every metric (summarise.py).
#   bash tools/image-to-image/run.sh [DATA=mnist] [STEPS=2000] [SEEDS="1 2 3"] [THREADS=1] [OUT=runs/image-to-image]
# Each run: 4 models × STEPS steps of batch 64 and the scoring of the 2,000 held-out images with 4 draws each.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-mnist}; STEPS=${STEPS:-2000}; SEEDS=${SEEDS:-"1 2 3"}; THREADS=${THREADS:-1}; OUT=${OUT:-runs/image-to-image}
CLI=${CLI:-}
if [ -z "$CLI" ]; then
  dotnet build -c Release cli/GenDsl.Cli -o "$OUT/cli" >/dev/null
  CLI="dotnet $OUT/cli/GenDsl.Cli.dll"
fi
for task in superres inpaint; do
  for seed in $SEEDS; do
    dir="$OUT/$DATA-$task-seed$seed"
    if [ -f "$dir/$task-metrics.json" ]; then echo "have $dir"; continue; fi
    $CLI complete all --task "$task" --data "$DATA" --steps "$STEPS" --seed "$seed" --threads "$THREADS" --out "$dir"
  done
done
/usr/bin/python3 tools/image-to-image/summarise.py "$OUT" "$DATA"

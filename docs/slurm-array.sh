#!/usr/bin/env bash
# A sharded attack run as a Slurm job array: task k of 1…4 runs shard k-1 of 4 (robustness-lens reads
# SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN). Submit, then merge when all are done:
#   jobid=$(sbatch --parsable docs/slurm-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap "npx robustness-lens merge runs/attack-*/ --out runs/merged"
#SBATCH --job-name=robustness-lens
#SBATCH --array=1-4
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --output=runs/slurm-%A_%a.log
set -euo pipefail

MODEL=${MODEL:-samples/fashion-resnet.onnx}
mkdir -p runs
npx robustness-lens attack "$MODEL" --limit "${LIMIT:-1000}" --suite standard \
  --threads "${SLURM_CPUS_PER_TASK:-0}" --out "runs/attack-${SLURM_ARRAY_TASK_ID}" --quiet

#!/usr/bin/env bash
# One command: install everything, then run the whole pipeline (snakemake --cores all).
# Extra arguments go to snakemake, e.g.  bash scripts/pipeline.sh --configfile config/small.yaml
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source .venv/bin/activate
# profiles/default adds --keep-going (without TeX Live all but the PDF is built) and --rerun-incomplete.
# Let Snakemake schedule by memory too (every rule declares mem_mb): 90% of what the machine has free.
mem_mb=$(awk '/MemAvailable/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
status=0
snakemake --cores all --resources mem_mb="$mem_mb" "$@" || status=$?
# The HTML report covers whatever was built, even when a step (say, the PDF without TeX Live) failed.
mkdir -p logs
if snakemake --report report.html "$@" >logs/report.log 2>&1; then
  echo "pipeline: report at report.html, thesis at thesis/thesis.pdf"
else
  echo "pipeline: the HTML report could not be made (see logs/report.log)" >&2
fi
# One screen on whether this run reproduced the thesis' numbers (rule reproduction_report).
if [ -f results/reproduction/summary.txt ]; then
  cat results/reproduction/summary.txt
fi
exit "$status"

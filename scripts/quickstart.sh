#!/usr/bin/env bash
# Runs the quickstart sweep under mpirun (1 coordinator + 2 workers) and renders its reports.
set -euo pipefail
cd "$(dirname "$0")/.."
MPIRUN=(mpirun -np 3 --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
mkdir -p out
start=$(date +%s)
"${MPIRUN[@]}" build/runner/cohort sweep examples/quickstart.yaml --db out/quickstart.db
build/runner/cohort report --db out/quickstart.db --out out/quickstart.html
build/runner/cohort report --db out/quickstart.db --out out/quickstart.md
cat out/quickstart.md
echo "quickstart: $(( $(date +%s) - start )) s; database out/quickstart.db, reports out/quickstart.html and out/quickstart.md"

#!/usr/bin/env bash
# Search and early stopping end to end under mpirun: TPE with ASHA on the analytic Branin objective
# (examples/objective_branin.yaml) — every trial recorded, pruned ones with the rule that stopped them,
# a good optimum found, a re-run proposes nothing new; --dry-run prints the space and writes nothing.
COHORT=$1
EXAMPLES=$2
source "$(dirname "$0")/lib.sh"
DB=$WORK/branin.db
"$COHORT" sweep "$EXAMPLES/objective_branin.yaml" --dry-run > "$WORK/dry.txt" 2>&1
expect_eq "dry run exit code" "$?" 0
check "dry run shows the method" grep -q "method bayes (TPE), budget 60 runs" "$WORK/dry.txt"
check "dry run shows x1's distribution" grep -Eq "x1 +uniform +\[-5, 10\]" "$WORK/dry.txt"
check "dry run writes no database" test ! -e "$DB"

"${MPIRUN[@]}" -np 3 "$COHORT" sweep "$EXAMPLES/objective_branin.yaml" --db "$DB" > "$WORK/out.txt" 2>&1
expect_eq "sweep exit code" "$?" 0
expect_eq "runs" "$(sql "$DB" "SELECT count(*) FROM runs")" 60
expect_eq "every run finished or pruned" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status IN ('finished','pruned')")" 60
expect_eq "pruned runs name their rule" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status='pruned' AND error NOT LIKE 'asha: epoch%'")" 0
check "some runs were pruned" test "$(sql "$DB" "SELECT count(*) FROM runs WHERE status='pruned'")" -gt 10
# Pruned runs stop at a rung (epoch 1 or 3); finished ones have all 9 epochs.
expect_eq "pruned runs stopped at rungs" "$(sql "$DB" "SELECT count(*) FROM run_summary WHERE status='pruned' AND epochs_done NOT IN (1, 3)")" 0
expect_eq "finished runs have 9 epochs" "$(sql "$DB" "SELECT count(*) FROM run_summary WHERE status='finished' AND epochs_done <> 9")" 0
best=$(sql "$DB" "SELECT min(final_test_loss) FROM run_summary WHERE status='finished'")
# With two workers the proposals depend on the order in which results arrive (the search is asynchronous),
# so how close this run gets is timing-dependent (0.42 on a quiet machine, 0.66 seen under ASan). TPE's
# quality is asserted deterministically in the search unit test (TPE beats random); here the search must
# only be clearly working: Branin averages about 54 over its domain, and its minimum is 0.397887.
check "TPE found Branin's minimum (0.397887) within 1.6: best $best" awk -v b="$best" 'BEGIN { exit !(b < 2.0) }'
"${MPIRUN[@]}" -np 2 "$COHORT" sweep "$EXAMPLES/objective_branin.yaml" --db "$DB" > "$WORK/again.txt" 2>&1
expect_eq "re-run exit code" "$?" 0
check "re-run proposes nothing new" grep -q "60 already ended, 0 to run" "$WORK/again.txt"
expect_eq "runs after re-run" "$(sql "$DB" "SELECT count(*) FROM runs")" 60
finish

#!/usr/bin/env bash
# Text from a sweep file reaches the terminal inert: a sweep name and a swept value holding ESC sequences and
# a C1 control (U+009B, CSI) are printed with U+FFFD in their place in the progress lines, the sweep's
# summary lines and the --dry-run listing; the values themselves are stored unchanged.
COHORT=$1
source "$(dirname "$0")/lib.sh"

cat > "$WORK/esc.yaml" <<'YAML'
name: "esc\e[31mname"
method: grid
parameters:
  model: {value: mlp}
  hidden: {value: "8"}
  dataset: {value: synthetic}
  input_shape: {value: 1x4x4}
  classes: {value: 2}
  synthetic_train: {value: 32}
  synthetic_test: {value: 16}
  epochs: {value: 1}
  data_dir: {values: ["a\e]0;title\a\e[31mred\x9b2J", "b"]}
YAML
R=$'\xef\xbf\xbd' # U+FFFD

# controls COUNT_FILE: how many bytes of C0 controls (but line feed), DEL or C1 controls (C2 80..9F) FILE holds
controls() { LC_ALL=C grep -c -P '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"; }

"${MPIRUN[@]}" -np 1 "$COHORT" sweep "$WORK/esc.yaml" --db "$WORK/esc.db" --progress lines > "$WORK/sweep.out" 2> "$WORK/sweep.err"
expect_eq "sweep: exit code" "$?" 0
expect_eq "sweep: lines with control characters" "$(controls "$WORK/sweep.out")" 0
check "sweep: the label shown with U+FFFD" grep -qF "[run 1 data_dir=a${R}]0;title${R}${R}[31mred${R}2J] epoch 1/1" "$WORK/sweep.out"
check "sweep: the name shown with U+FFFD" grep -qF "sweep esc${R}[31mname: 2 finished" "$WORK/sweep.out"
expect_eq "the stored value is unchanged" "$(sql "$WORK/esc.db" "SELECT hex(json_extract(config_json, '\$.data_dir')) FROM runs WHERE id = 1")" \
  "$(printf 'a\033]0;title\a\033[31mred\302\2332J' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"

"$COHORT" sweep "$WORK/esc.yaml" --dry-run > "$WORK/dry.out" 2> "$WORK/dry.err"
expect_eq "dry run: exit code" "$?" 0
expect_eq "dry run: lines with control characters" "$(controls "$WORK/dry.out")" 0
check "dry run: the value shown with U+FFFD" grep -qF "data_dir=a${R}]0;title" "$WORK/dry.out"
finish

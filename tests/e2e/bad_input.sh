#!/usr/bin/env bash
# Bad input stops a sweep before anything is written: exit code 2, a message naming the place, no rows.
COHORT=$1
source "$(dirname "$0")/lib.sh"

good_params='  model: {values: [lenet]}
  dataset: {value: synthetic}
  epochs: {value: 1}'

# expect_bad NAME EXPECTED_MESSAGE_REGEX: runs the sweep $WORK/NAME.yaml under mpirun -np 2
expect_bad() {
  local name=$1 pattern=$2 db=$WORK/$1.db
  "${MPIRUN[@]}" -np 2 "$COHORT" sweep "$WORK/$name.yaml" --db "$db" > "$WORK/$name.out" 2>&1
  expect_eq "$name: exit code" "$?" 2
  CHECKS=$((CHECKS + 1))
  if ! grep -Eq "$pattern" "$WORK/$name.out"; then fail "$name: message does not match '$pattern':"; cat "$WORK/$name.out" >&2; fi
  if [ -e "$db" ]; then
    expect_eq "$name: rows written" "$(sql "$db" "SELECT (SELECT count(*) FROM sweeps) + (SELECT count(*) FROM runs)")" 0
  fi
}

printf 'name: bad\nmethod: grid\nparameters:\n  model: {values: [lenet\n' > "$WORK/syntax.yaml"
expect_bad syntax "syntax\.yaml:[0-9]+:[0-9]+:"

printf 'name: bad\nmethod: grid\nlearning_rate: 3\nparameters:\n%s\n' "$good_params" > "$WORK/unknown_key.yaml"
expect_bad unknown_key "unknown_key\.yaml:3:1: .*learning_rate"

printf 'name: bad\nmethod: grid\nparameters:\n%s\n  lr: {value: fast}\n' "$good_params" > "$WORK/wrong_type.yaml"
expect_bad wrong_type "wrong_type\.yaml:7:[0-9]+: .*lr.*expected a number"

printf 'name: bad\nmethod: grid\nparameters:\n%s\n  lr: {values: []}\n' "$good_params" > "$WORK/empty_values.yaml"
expect_bad empty_values "empty_values\.yaml:7:[0-9]+: .*lr.*non-empty"

# Data files: a missing file and a truncated one, named in the message.
mkdir -p "$WORK/fm"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp "/usr/share/datasets/fashion-mnist/$f.gz" "$WORK/fm/$f.gz"
done
rm "$WORK/fm/t10k-labels-idx1-ubyte.gz"
printf 'name: bad\nmethod: grid\nparameters:\n  model: {value: lenet}\n  data_dir: {value: %s}\n' "$WORK/fm" > "$WORK/missing_data.yaml"
expect_bad missing_data "t10k-labels-idx1-ubyte"

cp /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz "$WORK/fm/"
gzip -dc /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz | head -c 1000000 | gzip > "$WORK/fm/train-images-idx3-ubyte.gz"
cp "$WORK/missing_data.yaml" "$WORK/truncated_data.yaml"
expect_bad truncated_data "train-images-idx3-ubyte.*truncated"

# Bad flags: exit 2 too.
"$COHORT" train --lr fast > "$WORK/flag.out" 2>&1
expect_eq "bad flag exit code" "$?" 2
check "bad flag message names the flag" grep -q "lr" "$WORK/flag.out"
"$COHORT" frobnicate > /dev/null 2> "$WORK/unknown.err"
expect_eq "unknown command exit code" "$?" 2
check "unknown command message names it" grep -q "^cohort: unknown command 'frobnicate'$" "$WORK/unknown.err"
# The help lists every command, each with its line, on standard output for --help and on standard error
# for an unknown command or none.
"$COHORT" --help > "$WORK/help.out" 2> /dev/null
expect_eq "--help exit code" "$?" 0
"$COHORT" > /dev/null 2> "$WORK/noargs.err"
expect_eq "no command exit code" "$?" 2
for command in train sweep report query models bench predict features eval export; do
    check "--help lists $command" grep -q "^  $command  *[a-z]" "$WORK/help.out"
done
check "--help lists the features command's line" grep -qx "  features a layer's feature maps for one image, as a PNG grid (and .npy)" "$WORK/help.out"
check "--help lists the train command's line" grep -qx "  train    train one run from flags (cohort train --model lenet --epochs 2 ...)" "$WORK/help.out"
expect_eq "--help command lines" "$(grep -c '^  [a-z]' "$WORK/help.out")" 10
expect_eq "unknown command: the same help" "$(tail -n +3 "$WORK/unknown.err")" "$(cat "$WORK/help.out")"
expect_eq "no command: the same help" "$(cat "$WORK/noargs.err")" "$(cat "$WORK/help.out")"
finish

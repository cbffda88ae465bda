#!/usr/bin/env bash
# --time-limit takes SECONDS, MM:SS, HH:MM:SS or D-HH:MM:SS (Slurm's forms): every field digits, minutes and
# seconds after the first field below 60, hours after D- below 24, the whole above zero. Anything else is
# exit code 2 with a message naming the flag, before anything runs.
COHORT=$1
source "$(dirname "$0")/lib.sh"

printf 'name: t\nmethod: grid\nparameters:\n  model: {value: objective}\n  function: {value: branin}\n  x1: {value: 1}\n  x2: {value: 3}\n' \
  > "$WORK/t.yaml"

for good in 3600 90:00 0:30 1:30:00 25:00:00 2-12:00:00 0-00:00:01 007; do
  "$COHORT" sweep "$WORK/t.yaml" --dry-run --time-limit "$good" > "$WORK/good.out" 2> "$WORK/good.err"
  expect_eq "--time-limit $good: exit code" "$?" 0
done
for bad in 25:99:99 1:2:3:4 inf nan 1e3 -5 0 00:00 "" 1:60 1:00:60 1-24:00:00 1- 1-1:00 "10 " 0x10 1.5 1.5:00 :30 "1::30" +60; do
  "$COHORT" sweep "$WORK/t.yaml" --dry-run --time-limit "$bad" > "$WORK/bad.out" 2> "$WORK/bad.err"
  expect_eq "--time-limit '$bad': exit code" "$?" 2
  check "--time-limit '$bad': message names the flag and the value" grep -qF -- "--time-limit: expected" "$WORK/bad.err"
  check "--time-limit '$bad': nothing listed" test ! -s "$WORK/bad.out"
done
finish

#!/bin/bash
# cohort export end to end, without PyTorch: a trained resnet18 (a quarter wide) written as safetensors with
# torchvision's state_dict names, read back here from the format's definition (Python's struct and json); the
# same through --db/--run (the run's settings and best checkpoint); bad input: a message naming the file,
# exit 2, no file written. Usage: export.sh path/to/cohort
COHORT=${1:?usage: export.sh path/to/cohort}
source "$(dirname "$0")/lib.sh"

FLAGS=(--model resnet18 --width 0.25 --dataset synthetic --input_shape 3x32x32 --synthetic_train 64
       --synthetic_test 16 --batch_size 16 --threads 1)
"$COHORT" train "${FLAGS[@]}" --epochs 1 --checkpoint "$WORK/r18.ckpt" > /dev/null 2>&1
expect_eq "train: exit code" "$?" 0
"$COHORT" export --checkpoint "$WORK/r18.ckpt" --out "$WORK/r18.safetensors" "${FLAGS[@]}" > "$WORK/export.out" 2>&1
expect_eq "export: exit code" "$?" 0
check "export: says what it wrote" grep -q "wrote $WORK/r18.safetensors: resnet18, 122 tensors (62 parameter tensors, 20 batch norms), epoch 1" "$WORK/export.out"
cat > "$WORK/read.py" <<'PY'
import json, struct, sys
path = sys.argv[1]
data = open(path, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
h = json.loads(data[8:8 + n])
meta = h.pop("__metadata__")
end = 0
for name, t in sorted(h.items(), key=lambda kv: kv[1]["data_offsets"][0]):
    b, e = t["data_offsets"]
    assert b == end, name  # back to back
    count = 1
    for d in t["shape"]:
        count *= d
    assert e - b == count * (4 if t["dtype"] == "F32" else 8), name
    end = e
assert 8 + n + end == len(data)  # nothing after the last tensor
def tensor(name):
    t = h[name]
    b, e = t["data_offsets"]
    fmt = "<%d%s" % ((e - b) // (4 if t["dtype"] == "F32" else 8), "f" if t["dtype"] == "F32" else "q")
    return struct.unpack(fmt, data[8 + n + b:8 + n + e])
print(len(h), n % 8, meta["format"], meta["cohort_model"], meta["cohort_epoch"], meta["cohort_form"])
for name in ("conv1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.running_var",
             "fc.weight", "fc.bias"):
    print(name, h[name]["dtype"], h[name]["shape"])
print("num_batches_tracked", tensor("bn1.num_batches_tracked")[0], h["bn1.num_batches_tracked"]["shape"])
print("running_var positive", all(v > 0 for v in tensor("layer4.1.bn2.running_var")))
PY
python3 "$WORK/read.py" "$WORK/r18.safetensors" > "$WORK/read.out" 2>&1
expect_eq "file: read back" "$?" 0
# torchvision's resnet18(num_classes=10) names at a quarter width with the CIFAR stem (3x3 conv1); 64 images
# in batches of 16 for one epoch: 4 steps
expect_eq "file: contents" "$(cat "$WORK/read.out")" "122 0 pt resnet18 1 CIFAR stem
conv1.weight F32 [16, 3, 3, 3]
layer1.0.conv1.weight F32 [16, 16, 3, 3]
layer2.0.downsample.0.weight F32 [32, 16, 1, 1]
layer4.1.bn2.running_var F32 [128]
fc.weight F32 [10, 128]
fc.bias F32 [10]
num_batches_tracked 4 []
running_var positive True"
"$COHORT" export --checkpoint "$WORK/r18.ckpt" --out "$WORK/again.safetensors" "${FLAGS[@]}" > /dev/null 2>&1
check "file: the same bytes from the same checkpoint" cmp -s "$WORK/r18.safetensors" "$WORK/again.safetensors"

# ---- --db/--run: the run's settings and its kept best checkpoint ----
cat > "$WORK/sweep.yaml" <<YAML
name: export
method: grid
parameters:
  model: {value: resnet18}
  width: {value: 0.25}
  dataset: {value: synthetic}
  input_shape: {value: 3x32x32}
  synthetic_train: {value: 64}
  synthetic_test: {value: 16}
  batch_size: {value: 16}
  epochs: {value: 2}
  threads: {value: 1}
YAML
"$COHORT" sweep "$WORK/sweep.yaml" --db "$WORK/r.db" > /dev/null 2>&1
expect_eq "sweep: exit code" "$?" 0
"$COHORT" export --db "$WORK/r.db" --run 1 --out "$WORK/db.safetensors" > "$WORK/db.out" 2>&1
expect_eq "db: exit code" "$?" 0
best=$(sql "$WORK/r.db" "SELECT epoch FROM checkpoints WHERE kind = 'best'")
check "db: the best checkpoint's epoch" grep -q "epoch $best\$" "$WORK/db.out"

# ---- bad input ----
bad() { # bad NAME EXPECTED-MESSAGE OUT ARGS...
  local name=$1 message=$2 out=$3; shift 3
  "$COHORT" export --out "$out" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
  expect_eq "$name: exit code" "$?" 2
  check "$name: message" grep -qF -- "$message" "$WORK/$name.err"
  check "$name: nothing written" test ! -e "$out" -a ! -e "$out.tmp"
}
"$COHORT" train --model lenet --dataset synthetic --synthetic_train 64 --synthetic_test 16 --epochs 1 \
  --checkpoint "$WORK/lenet.ckpt" > /dev/null 2>&1
bad lenet "$WORK/lenet.ckpt: model lenet has no torchvision counterpart" "$WORK/lenet.safetensors" --checkpoint "$WORK/lenet.ckpt"
"$COHORT" train --model vgg11 --width 0.125 --dataset synthetic --input_shape 3x32x32 --synthetic_train 32 \
  --synthetic_test 16 --batch_size 16 --epochs 1 --checkpoint "$WORK/vgg.ckpt" > /dev/null 2>&1
bad vgg_cifar "not torchvision's layout (VGG: train with stem imagenet)" "$WORK/vgg.safetensors" \
  --checkpoint "$WORK/vgg.ckpt" --width 0.125 --dataset synthetic --input_shape 3x32x32
bad other_model "$WORK/lenet.ckpt: checkpoint is of model lenet with" "$WORK/o.safetensors" --checkpoint "$WORK/lenet.ckpt" \
  "${FLAGS[@]}"
cp "$WORK/r18.ckpt" "$WORK/corrupt.ckpt"
printf '\xde\xad\xbe\xef' | dd of="$WORK/corrupt.ckpt" bs=1 seek=20000 conv=notrunc status=none
bad corrupt "$WORK/corrupt.ckpt: checkpoint checksum mismatch (corrupt file)" "$WORK/c.safetensors" \
  --checkpoint "$WORK/corrupt.ckpt" "${FLAGS[@]}"
bad unknown_run "$WORK/r.db: run 7: no such run" "$WORK/u.safetensors" --db "$WORK/r.db" --run 7
bad missing "$WORK/gone.ckpt: cannot open checkpoint" "$WORK/g.safetensors" --checkpoint "$WORK/gone.ckpt"
finish

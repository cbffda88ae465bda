#!/usr/bin/python3
"""Checks `cohort export` against torchvision: trains MODEL briefly with cohort on synthetic 3x32x32 images,
exports the checkpoint as safetensors, loads the file into torchvision's module with load_state_dict(strict=True)
and compares its logits with cohort's on the same inputs (`cohort eval --json --logits N` prints both the model
input and the logits).

    apt-get install python3-torch python3-torchvision
    /usr/bin/python3 bench/export_check.py MODEL [--cohort build/runner/cohort] [--width W] [--images N]

MODEL: resnet18, resnet34, resnet50 (narrowed by --width, default 0.25, with Cohort's CIFAR stem: torchvision's
module gets the same 3x3 stride-1 conv1 and no max pool), or any other exportable model whose torchvision
constructor takes num_classes (built as torchvision builds it; its Cohort settings must give torchvision's form).
Not part of the tests: it needs PyTorch. Exit code 0 when the largest logit difference is within --tolerance
(default 1e-4 relative to the largest logit) and the predicted classes agree.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torchvision.models as tvm

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "golden"))
from export_zoo_fixtures import NarrowResNet  # noqa: E402  (torchvision's ResNet with narrowed widths)
from torchvision.models.resnet import BasicBlock, Bottleneck  # noqa: E402

RESNETS = {"resnet18": (BasicBlock, [2, 2, 2, 2]), "resnet34": (BasicBlock, [3, 4, 6, 3]),
           "resnet50": (Bottleneck, [3, 4, 6, 3])}
DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    """The file's tensors as torch tensors, read with the format's own rules (no safetensors package)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=np.dtype(DTYPES[t["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(a.reshape(t["shape"]).copy())
    return out, meta


def torchvision_model(name, width, classes, state):
    if name in RESNETS:
        block, layers = RESNETS[name]
        model = NarrowResNet(block, layers, width, classes)
        k = state["conv1.weight"].shape[-1]
        if k == 3:  # Cohort's CIFAR stem
            model.conv1 = nn.Conv2d(3, model.conv1.out_channels, 3, 1, 1, bias=False)
            model.maxpool = nn.Identity()
        return model
    if name in ("googlenet", "inception_v3"):  # Cohort's default: no auxiliary heads, no input transform
        return getattr(tvm, name)(num_classes=classes, aux_logits=False, transform_input=False, init_weights=False)
    return getattr(tvm, name)(num_classes=classes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--cohort", default=os.path.join(HERE, "..", "build", "runner", "cohort"))
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    flags = ["--model", args.model, "--dataset", "synthetic", "--input_shape", "3x32x32", "--synthetic_train", "64",
             "--synthetic_test", "16", "--batch_size", "16", "--threads", "1"]
    if args.model in RESNETS:
        flags += ["--width", str(args.width)]
    elif args.model.startswith(("mobilenet", "shufflenet", "resnext")):
        flags += ["--stem", "imagenet"]  # torchvision's strides at any input size (32x32 would pick the CIFAR form)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, st = os.path.join(tmp, "m.ckpt"), os.path.join(tmp, "m.safetensors")
        subprocess.run([args.cohort, "train", *flags, "--epochs", "1", "--checkpoint", ckpt], check=True,
                       stdout=subprocess.DEVNULL)
        r = subprocess.run([args.cohort, "export", "--checkpoint", ckpt, "--out", st, *flags], capture_output=True,
                           text=True)
        if r.returncode:
            sys.exit(f"cohort export refused {args.model}: {r.stderr.strip()}")
        ev = json.loads(subprocess.run([args.cohort, "eval", "--checkpoint", ckpt, *flags, "--json", "--logits",
                                        str(args.images)], check=True, capture_output=True, text=True).stdout)
        state, meta = read_safetensors(st)
    model = torchvision_model(args.model, args.width, len(ev["classes"]), state)
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.tensor(ev["inputs"], dtype=torch.float32).reshape(len(ev["inputs"]), 3, 32, 32)
    with torch.no_grad():
        theirs = model(x).double().numpy()
    ours = np.array(ev["logits"], dtype=np.float64)
    diff = np.abs(theirs - ours).max()
    scale = np.abs(ours).max()
    same_class = (theirs.argmax(1) == ours.argmax(1)).all()
    print(f"{args.model}: {len(state)} tensors loaded with strict=True (metadata {meta}); {len(ours)} images: "
          f"max |logit difference| {diff:.3g} (largest |logit| {scale:.3g}, relative {diff / scale:.3g}); "
          f"predicted classes {'equal' if same_class else 'DIFFER'}")
    sys.exit(0 if diff <= args.tolerance * max(scale, 1.0) and same_class else 1)


if __name__ == "__main__":
    main()

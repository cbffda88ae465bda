#!/usr/bin/python3
"""Regenerates the golden fixtures of tests/test_golden.c from PyTorch.

Run with Debian's Python, which has PyTorch (1.13):   /usr/bin/python3 tests/golden/export_fixtures.py [NAME...]
(NAME: resnet8, vgg11, lenet_bn, schedules; none: all of them)
Neither the build nor the tests need PyTorch: the fixtures are committed.

For three models built exactly like Cohort's --
  resnet8.bin   CIFAR ResNet-8 (depth 6n+2 with n = 1), option-B shortcuts, 3x32x32 input, 10 classes
  vgg11.bin     VGG-11 with batch norm at width 0.0625 (channels 4, 8, 16, 16, 32, 32, 32, 32), 10 classes
  lenet_bn.bin  LeNet with batch norm (`--model lenet --bn true`: d2l.ai's BatchNorm LeNet with ReLU and max
                pooling; BatchNorm2d after the convolutions, BatchNorm1d after fc 120 and fc 84), 1x28x28 input
                (Fashion-MNIST's, as d2l trains it), batch 8, 10 classes
-- it draws float32 weights (PyTorch's default initialisation from torch.manual_seed, plus random BN gamma
and beta so that they matter), a fixed input batch and labels, and then, in float64 (a reference free of
float32 rounding), runs one training-mode forward, the cross-entropy loss (and, from the same logits, the
label-smoothed loss 0.1 and its gradient w.r.t. the logits), backward, and one step of
SGD(lr 0.1, momentum 0.9, nesterov, weight_decay 5e-4); then a second forward/backward/step from the
updated weights on the same batch, so that the momentum buffer is exercised too (VGG only: the fixtures
stay small: about 2.2 MB in all, lenet_bn.bin 0.57 MB of it).

  schedules.bin OneCycleLR (default arguments, stepped per batch) and MultiStepLR (stepped per epoch)
                learning rates for every step of a few hundred.

File format (little-endian): "COHORTFX", u32 version (1), u32 array count, then per array: name (32 bytes,
NUL-padded), u32 dtype (1 float32, 2 int32, 3 float64), u32 reserved (0), u64 element count, the elements.
Model arrays, all parameters in Cohort's order (layer order; conv weight [bias]; BN gamma, beta; linear
weight, bias -- which is the order of nn.Module.parameters() for these modules):
  meta        i32 [B, C, H, W, classes]
  x           f32 [C][B][H][W] (Cohort's layout)
  labels      i32 [B]
  params      f32 [P] the initial weights
  logits      f32 [B][classes]          loss, loss_smooth  f64 [1]
  dlogits_smooth f32 [B][classes]       d loss_smooth / d logits
  running     f32 [Q] every BN layer's running mean then running var after the forward (BatchNorm2d and
              BatchNorm1d alike, in module order)
  grads       f32 [P]
  params_step1 f32 [P]                  after the SGD step
  loss_step2, params_step2              (vgg11 only) the second forward's loss, the weights after step 2
"""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

DTYPES = {np.dtype(np.float32): 1, np.dtype(np.int32): 2, np.dtype(np.float64): 3}


def write_fixture(path, arrays):
    with open(path, "wb") as f:
        f.write(b"COHORTFX")
        f.write(struct.pack("<II", 1, len(arrays)))
        for name, a in arrays:
            a = np.ascontiguousarray(a)
            assert len(name) < 32
            f.write(name.encode().ljust(32, b"\0"))
            f.write(struct.pack("<IIQ", DTYPES[a.dtype], 0, a.size))
            f.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
    print(f"{path}: {os.path.getsize(path)} bytes")


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, + shortcut (1x1 conv + BN where the shape changes: option B), ReLU."""

    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or inp != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, 0, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, depth, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, inp = [], 16
        for stage in range(3):
            planes = 16 << stage
            for i in range(n):
                blocks.append(BasicBlock(inp, planes, 2 if stage > 0 and i == 0 else 1))
                inp = planes
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        out = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


class VGG(nn.Module):
    """Cohort's VGG: conv3x3 pad 1 (no bias: see trainer/models_vgg.c) + BN + ReLU, 2x2 max pools,
    flatten, one linear layer."""

    def __init__(self, layers, width, classes):
        super().__init__()
        mods, inp = [], 3
        for v in layers:
            if v == "M":
                mods.append(nn.MaxPool2d(2, 2))
            else:
                c = max(1, math.floor(v * width + 0.5))  # C's lround
                mods += [nn.Conv2d(inp, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
                inp = c
        self.features = nn.Sequential(*mods)
        self.classifier = nn.Linear(inp, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class LeNetBN(nn.Module):
    """d2l.ai's BatchNorm LeNet with Cohort LeNet's ReLU and 2x2 max pooling (trainer/models/basic.c). The
    convolutions and linears keep PyTorch's default bias, as in d2l's definition."""

    def __init__(self, inp, H, W, classes):
        super().__init__()
        side = lambda n: ((n - 4) // 2 - 4) // 2  # two valid 5x5 convolutions, each followed by a 2x2 pool
        self.net = nn.Sequential(
            nn.Conv2d(inp, 6, 5), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(),
            nn.Linear(16 * side(H) * side(W), 120), nn.BatchNorm1d(120), nn.ReLU(),
            nn.Linear(120, 84), nn.BatchNorm1d(84), nn.ReLU(),
            nn.Linear(84, classes))

    def forward(self, x):
        return self.net(x)


def flat(tensors):
    return np.concatenate([t.detach().cpu().numpy().ravel() for t in tensors])


def export_model(name, make_model, B, C, H, W, classes, seed, second_step):
    torch.manual_seed(seed)
    model = make_model()
    for m in model.modules():  # float32 weights: PyTorch's default init, BN affine made non-trivial
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
    x32 = torch.randn(B, C, H, W)
    labels = torch.randint(0, classes, (B,))
    params0 = flat(model.parameters()).astype(np.float32)

    model = model.double()  # the reference computation in float64 from the same float32 values
    model.train()
    x = x32.double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)

    opt.zero_grad()
    logits = model(x)
    loss_smooth = F.cross_entropy(logits, labels, label_smoothing=0.1)
    (dlogits_smooth,) = torch.autograd.grad(loss_smooth, logits, retain_graph=True)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    bn = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    running = np.concatenate([np.concatenate([m.running_mean.numpy(), m.running_var.numpy()]) for m in bn])
    grads = flat(p.grad for p in model.parameters())
    opt.step()
    params1 = flat(model.parameters())

    f32 = lambda a: np.asarray(a, dtype=np.float32)
    arrays = [
        ("meta", np.array([B, C, H, W, classes], dtype=np.int32)),
        ("x", f32(x32.numpy().transpose(1, 0, 2, 3))),  # NCHW -> [C][B][H][W]
        ("labels", labels.numpy().astype(np.int32)),
        ("params", params0),
        ("logits", f32(logits.detach().numpy())),
        ("loss", np.array([loss.item()], dtype=np.float64)),
        ("loss_smooth", np.array([loss_smooth.item()], dtype=np.float64)),
        ("dlogits_smooth", f32(dlogits_smooth.numpy())),
        ("running", f32(running)),
        ("grads", f32(grads)),
        ("params_step1", f32(params1)),
    ]
    if second_step:  # only for the small model, to keep the fixtures small
        opt.zero_grad()
        loss2 = F.cross_entropy(model(x), labels)
        loss2.backward()
        opt.step()
        arrays += [("loss_step2", np.array([loss2.item()], dtype=np.float64)),
                   ("params_step2", f32(flat(model.parameters())))]
    write_fixture(os.path.join(OUT, name + ".bin"), arrays)
    print(f"  {name}: {params0.size} parameters, loss {loss.item():.6f}, smoothed {loss_smooth.item():.6f}")


def lrs_per_step(make_scheduler, steps, step_every):
    """The lr in force at each of `steps` optimiser steps; the scheduler is stepped every step_every steps."""
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = make_scheduler(opt)
    out = []
    for s in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if (s + 1) % step_every == 0:
            sched.step()
    return np.array(out, dtype=np.float64)


def export_schedules():
    arrays = []
    # OneCycleLR, default arguments (pct_start 0.3, cos, div_factor 25, final_div_factor 1e4), per batch.
    # Two shapes: 0.3 * total a whole number (300 steps) and not (5 x 47 = 235 steps).
    for tag, epochs, spe in (("a", 3, 100), ("b", 5, 47)):
        lrs = lrs_per_step(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, epochs=epochs,
                                                                          steps_per_epoch=spe),
                           epochs * spe, 1)
        arrays += [("onecycle_%s_meta" % tag, np.array([0.1, epochs, spe], dtype=np.float64)),
                   ("onecycle_%s_lr" % tag, lrs)]
    # MultiStepLR, milestones in epochs, stepped once per epoch: 12 epochs x 25 steps.
    epochs, spe, milestones, gamma = 12, 25, [3, 7, 8], 0.2
    lrs = lrs_per_step(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=milestones, gamma=gamma),
                       epochs * spe, spe)
    arrays += [("multistep_meta", np.array([0.1, epochs, spe, gamma], dtype=np.float64)),
               ("multistep_milestones", np.array(milestones, dtype=np.int32)),
               ("multistep_lr", lrs)]
    write_fixture(os.path.join(OUT, "schedules.bin"), arrays)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    exports = {
        "resnet8": lambda: export_model("resnet8", lambda: CifarResNet(8, 10), 4, 3, 32, 32, 10, seed=1,
                                        second_step=False),
        "vgg11": lambda: export_model("vgg11", lambda: VGG(VGG11, 0.0625, 10), 4, 3, 32, 32, 10, seed=2,
                                      second_step=True),
        "lenet_bn": lambda: export_model("lenet_bn", lambda: LeNetBN(1, 28, 28, 10), 8, 1, 28, 28, 10, seed=3,
                                         second_step=False),
        "schedules": export_schedules,
    }
    names = sys.argv[1:] or list(exports)
    for name in names:
        if name not in exports:
            sys.exit(f"unknown fixture {name!r}; known: {', '.join(exports)}")
    for name in names:
        exports[name]()


if __name__ == "__main__":
    main()

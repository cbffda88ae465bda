#!/usr/bin/python3
"""Regenerates the model-zoo golden fixtures of tests/test_golden_zoo.c from PyTorch.

Run with Debian's Python, which has PyTorch 1.13 and torchvision 0.14:
    /usr/bin/python3 tests/golden/export_zoo_fixtures.py [NAME...]      (none: all of them)
Neither the build nor the tests need PyTorch: the fixtures (tests/golden/fixtures/zoo_*.bin) are committed.

Every model is torchvision 0.14's own class (imported, not re-implemented), except densenet_bc and nin, which
torchvision does not have: they are written here from their papers (see the classes below). Where Cohort has
a `width` setting (resnet, vgg, alexnet) the fixture uses a narrow instance, built from torchvision's classes
with only the channel numbers changed (torchvision's ResNet, VGG and AlexNet code paths and forward() as they
are); the others run at full width on a small input.

What is compared (one training step: training-mode forward, cross-entropy loss, backward, one step of
SGD(lr 0.1, momentum 0.9, nesterov, weight_decay 5e-4), computed in float64):
  - the logits (and each auxiliary head's), the loss and the training objective (main + weighted aux), in full;
  - per parameter tensor, in Cohort's order, summaries of the gradient and of the update (weights after the
    step minus before), and per batch-norm layer summaries of the running mean and running variance.
A summary of a tensor x[0..n) (segment t) is 36 float64 values:
    sum x, sum |x|, sum x^2, sum s_i x_i (s_i = +-1 pseudo-random), then x at 32 pseudo-random indices.
So the fixtures stay small (the largest model here has 27 million parameters) without storing any weights:
the initial weights and the input are not stored either but generated on both sides by one formula:

  hash32(x)      = the "lowbias32" integer hash (below), on unsigned 32-bit integers
  key(stream, t) = hash32(stream * 0x9E3779B9 + t  mod 2^32)
  bits(stream, t, i) = hash32(i XOR key(stream, t))
  u(stream, t, i)    = (bits >> 8) / 2^24                          in [0, 1), 24 bits, exact
  parameter i of tensor t = float32(center_t + scale_t * (u(1, t, i) - 0.5))
  input element (b, c, h, w) = 4 * (u(2, salt, ((b*C + c)*H + h)*W + w) - 0.5)  (uniform in [-2, 2))
  salt: 0 for the fixtures checked in double only, else the first of 0, 1, 2, ... for which no ReLU input of the float64 forward pass lies within RELU_MARGIN
  of 0. Such a value's sign is decided by rounding: float32 arithmetic in any other order (Cohort's AVX-512
  sums, OpenBLAS's kernels) may put it on the other side, and the gradient that ReLU passes or blocks then
  differs by a whole element in float but not in double, so no tolerance would be right.
  sign s_i of segment t = +1 when bits(3, t, i) < 2^31, else -1
  sample j of segment t (n elements) = element bits(4, t, j) mod n
scale_t is a power of two, so every value is exact in float64 and rounds once to float32, identically in C
and numpy. Conv and linear weights: scale = 2^round(log2(sqrt(24 / fan_in))) (a variance of about
2 / fan_in, Kaiming's, so the nets without batch norm keep their activations near 1); biases
2^round(log2(1 / sqrt(fan_in))); batch-norm gamma center 1, scale 0.5; beta center 0, scale 0.5.
Dropout is off on both sides (p = 0: its masks are random).

File format (as export_fixtures.py's, little-endian): "COHORTFX", u32 version (1), u32 array count, then per
array: name (32 bytes, NUL-padded), u32 dtype (1 float32, 2 int32, 3 float64), u32 0, u64 count, elements.
Arrays:
  meta          f64 [B, C, H, W, classes, aux heads, input salt]
  labels        i32 [B]
  tensor_count  f64 [T] elements of each parameter tensor, Cohort's order
  tensor_init   f64 [T][2] center, scale
  logits        f64 [B][classes]      aux_logits f64 [aux][B][classes] (Cohort's head order; only with aux)
  loss          f64 [1] the main head's; objective f64 [1] main + sum of weight x aux
  running       f64 [2 x BN layers][36] summaries of running mean, running var (BN layers in Cohort's order)
  grads         f64 [T][36]
  update        f64 [T][36]
"""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.models as tvm
from torchvision.models.resnet import BasicBlock, Bottleneck
from torchvision.models.vgg import make_layers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
DTYPES = {np.dtype(np.float32): 1, np.dtype(np.int32): 2, np.dtype(np.float64): 3}
SAMPLES = 32
STREAM_PARAM, STREAM_INPUT, STREAM_SIGN, STREAM_SAMPLE = 1, 2, 3, 4


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


# ---- the deterministic values shared with the C test ----

def hash32(x):
    """lowbias32 (Chris Wellons' hash-prospector) on a uint32 array; numpy's uint32 products wrap mod 2^32."""
    x = np.asarray(x, dtype=np.uint32).copy()
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def key(stream, t):
    return hash32(np.uint32((stream * 0x9E3779B9 + t) % 2**32))


def bits(stream, t, n):
    return hash32(np.arange(n, dtype=np.uint64).astype(np.uint32) ^ key(stream, t))


def uniform(stream, t, n):
    return (bits(stream, t, n) >> np.uint32(8)).astype(np.float64) * 2.0**-24


def pow2(v):
    return 2.0 ** round(math.log2(v))


def summary(x, t):
    """The 36 summary values of segment t (float64 array x)."""
    n = x.size
    signs = np.where(bits(STREAM_SIGN, t, n) < np.uint32(2**31), 1.0, -1.0)
    idx = (bits(STREAM_SAMPLE, t, SAMPLES).astype(np.uint64) % np.uint64(n)).astype(np.int64)
    return np.concatenate([[x.sum(), np.abs(x).sum(), (x * x).sum(), (signs * x).sum()], x[idx]])


# ---- models: torchvision's, narrowed where Cohort has `width` ----

def scaled(c, w):
    return max(1, int(math.floor(c * w + 0.5)))  # C's lround for positive values


class NarrowResNet(tvm.resnet.ResNet):
    """torchvision's ResNet (its BasicBlock / Bottleneck, _make_layer and forward) with every width times w:
    only the stem conv, its BN, the planes of the four stages and the fc input change."""

    def __init__(self, block, layers, width, num_classes, **kwargs):
        self.narrow = lambda c: scaled(c, width)
        super().__init__(block, layers, num_classes=num_classes, **kwargs)
        self.conv1 = nn.Conv2d(3, self.narrow(64), kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.narrow(64))
        self.fc = nn.Linear(self.narrow(512) * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if planes == 64:  # layer1: its input is the (narrowed) stem
            self.inplanes = self.narrow(64)
        return super()._make_layer(block, self.narrow(planes), blocks, stride, dilate)


def narrow_vgg(cfg, batch_norm, width, classes):
    """torchvision's VGG(make_layers(cfg, batch_norm)) with the conv channels and the classifier's hidden
    widths times w (its Linear layers replaced by narrower ones in place; dropout 0)."""
    layers = [v if v == "M" else scaled(v, width) for v in cfg]
    model = tvm.vgg.VGG(make_layers(layers, batch_norm=batch_norm), num_classes=classes, init_weights=False,
                        dropout=0.0)
    last = [v for v in layers if v != "M"][-1]
    hidden = scaled(4096, width)
    model.classifier[0] = nn.Linear(last * 7 * 7, hidden)
    model.classifier[3] = nn.Linear(hidden, hidden)
    model.classifier[6] = nn.Linear(hidden, classes)
    return model


def narrow_alexnet(width, classes):
    """torchvision's AlexNet (dropout 0) with every conv and linear replaced in place by one with the channel
    and hidden widths times w (kernel, stride and padding kept)."""
    model = tvm.AlexNet(num_classes=classes, dropout=0.0)
    inp = 3
    for i, m in enumerate(model.features):
        if isinstance(m, nn.Conv2d):
            out = scaled(m.out_channels, width)
            model.features[i] = nn.Conv2d(inp, out, m.kernel_size, m.stride, m.padding)
            inp = out
    hidden = scaled(4096, width)
    model.classifier[1] = nn.Linear(inp * 6 * 6, hidden)
    model.classifier[4] = nn.Linear(hidden, hidden)
    model.classifier[6] = nn.Linear(hidden, classes)
    return model


class DenseNetBC(nn.Module):
    """CIFAR DenseNet-BC (Huang et al. 2017, section 3 and 4.2): 3x3 conv to 2k channels (no BN after it),
    three dense blocks of (depth - 4) / 6 bottleneck layers BN-ReLU-conv1x1(4k)-BN-ReLU-conv3x3(k) whose
    outputs are concatenated to their inputs, transitions BN-ReLU-conv1x1(C/2)-avgpool 2x2, head
    BN-ReLU-global average pool-linear. No conv biases."""

    def __init__(self, depth, k, classes):
        super().__init__()
        n = (depth - 4) // 6
        c = 2 * k
        self.conv0 = nn.Conv2d(3, c, 3, 1, 1, bias=False)
        self.stages = nn.ModuleList()
        for b in range(3):
            if b > 0:
                self.stages.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False),
                                                 nn.AvgPool2d(2, 2)))
                c //= 2
            layers = nn.ModuleList()
            for _ in range(n):
                layers.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, 4 * k, 1, bias=False),
                                            nn.BatchNorm2d(4 * k), nn.ReLU(), nn.Conv2d(4 * k, k, 3, 1, 1, bias=False)))
                c += k
            self.stages.append(layers)
        self.norm = nn.BatchNorm2d(c)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.conv0(x)
        for stage in self.stages:
            if isinstance(stage, nn.ModuleList):
                for layer in stage:
                    x = torch.cat([x, layer(x)], 1)
            else:
                x = stage(x)
        return self.fc(F.adaptive_avg_pool2d(F.relu(self.norm(x)), 1).flatten(1))


class NIN(nn.Module):
    """Network in Network, CIFAR-10 (trainer/models/nin.c): three mlpconv blocks (a spatial conv and two 1x1
    convs, each with a bias and a ReLU), max pool 3/2 and average pool 3/2 with ceil_mode (Caffe's rounding),
    dropout after the first two pools, global average pool of the class maps."""

    def __init__(self, classes, dropout):
        super().__init__()

        def mlpconv(inp, c, k, pad, c1, c2):
            return [nn.Conv2d(inp, c, k, 1, pad), nn.ReLU(), nn.Conv2d(c, c1, 1), nn.ReLU(), nn.Conv2d(c1, c2, 1),
                    nn.ReLU()]

        self.net = nn.Sequential(
            *mlpconv(3, 192, 5, 2, 160, 96), nn.MaxPool2d(3, 2, ceil_mode=True), nn.Dropout(dropout),
            *mlpconv(96, 192, 5, 2, 192, 192), nn.AvgPool2d(3, 2, ceil_mode=True), nn.Dropout(dropout),
            *mlpconv(192, 192, 3, 1, 192, classes), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.net(x)


class ResNeXt29(nn.Module):
    """CIFAR ResNeXt-29 (trainer/models/resnext.c; Xie et al. 2017 and the authors' Torch code): 3x3 conv 64 + BN +
    ReLU, three stages of three torchvision Bottlenecks (groups = cardinality, width_per_group = d) at planes 64,
    128, 256 with strides 1, 2, 2 and projection shortcuts, global average pool, linear."""

    def __init__(self, cardinality, width, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, inplanes = [], 64
        for stage, planes in enumerate((64, 128, 256)):
            for i in range(3):
                stride = 2 if stage > 0 and i == 0 else 1
                down = None
                if stride != 1 or inplanes != 4 * planes:
                    down = nn.Sequential(nn.Conv2d(inplanes, 4 * planes, 1, stride, bias=False),
                                         nn.BatchNorm2d(4 * planes))
                layers.append(Bottleneck(inplanes, planes, stride, down, groups=cardinality, base_width=width))
                inplanes = 4 * planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class SEResNetCifar(nn.Module):
    """CIFAR ResNet of depth 6n+2 with option-B shortcuts and `se` (trainer/models/resnet.c; Hu et al. 2018): each
    basic block conv3x3-BN-ReLU-conv3x3-BN, then squeeze-and-excitation (global average pool, linear to C/16 (at
    least 1), ReLU, linear back, sigmoid, channel product), plus the shortcut, ReLU. Parameters in Cohort's
    order: each block's main path, its SE layers, then its projection."""

    class Block(nn.Module):
        def __init__(self, inp, planes, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.fc1 = nn.Linear(planes, max(planes // 16, 1))
            self.fc2 = nn.Linear(max(planes // 16, 1), planes)
            self.shortcut = None
            if stride != 1 or inp != planes:
                self.shortcut = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

        def forward(self, x):
            y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            gate = torch.sigmoid(self.fc2(F.relu(self.fc1(y.mean((2, 3))))))
            y = y * gate[:, :, None, None]
            return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))

    def __init__(self, depth, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, inp = [], 16
        for stage in range(3):
            for i in range(n):
                blocks.append(self.Block(inp, 16 << stage, 2 if stage > 0 and i == 0 else 1))
                inp = 16 << stage
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(inp, classes)

    def forward(self, x):
        return self.fc(self.blocks(F.relu(self.bn1(self.conv1(x)))).mean((2, 3)))


class RepVGG(nn.Module):
    """RepVGG's training-time form (trainer/models/repvgg.c; Ding et al. 2021, Table 2): blocks of 3x3 conv + BN,
    1x1 conv + BN and, where the shape is kept, an identity BN, summed, ReLU; stage 0 one block to min(64, 64a)
    at stride 2 (1 in the CIFAR form), stages 64a, 128a, 256a, 512b with their first block at stride 2; pool,
    linear. Each block registers its identity BN, then the 3x3 branch, then the 1x1 branch."""

    class Block(nn.Module):
        def __init__(self, inp, out, stride):
            super().__init__()
            self.identity = nn.BatchNorm2d(inp) if inp == out and stride == 1 else None
            self.dense = nn.Sequential(nn.Conv2d(inp, out, 3, stride, 1, bias=False), nn.BatchNorm2d(out))
            self.one = nn.Sequential(nn.Conv2d(inp, out, 1, stride, 0, bias=False), nn.BatchNorm2d(out))

        def forward(self, x):
            y = self.dense(x) + self.one(x)
            return F.relu(y if self.identity is None else y + self.identity(x))

    def __init__(self, blocks, a, b, classes, cifar):
        super().__init__()
        c = min(64, int(64 * a))
        layers = [self.Block(3, c, 1 if cifar else 2)]
        for stage, n in enumerate(blocks):
            out = int((64 << stage) * (a if stage < 3 else b))
            for i in range(n):
                layers.append(self.Block(c, out, 2 if i == 0 else 1))
                c = out
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(self.blocks(x).mean((2, 3)))

    def deploy_parameters(self):
        """The parameter count after re-parameterisation: one 3x3 conv with bias per block, and the linear."""
        return sum(b.dense[0].weight.numel() + b.dense[0].out_channels for b in self.blocks) + \
            sum(p.numel() for p in self.fc.parameters())


class Xception(nn.Module):
    """Xception (trainer/models/xception.c; Chollet 2017 as the Keras model), CIFAR form: padded stride-1 stem
    convs 32, 64 (+ BN + ReLU); residual blocks of separable convs (3x3 depthwise, 1x1 pointwise, BN), ReLU before
    each (not before the first block's first), 1x1 strided conv + BN shortcut and a 3x3/2 max pool where width or
    stride change; exit separable 1536 and 2048 (+ BN + ReLU), pool, linear. Shortcuts register first."""

    class Block(nn.Module):
        def __init__(self, inp, out, reps, stride, relu_first, grow_last):
            super().__init__()
            self.skip = None
            if inp != out or stride != 1:
                self.skip = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))
            layers, c = [], inp
            for i in range(reps):
                if i > 0 or relu_first:
                    layers.append(nn.ReLU())
                o = out if (i == reps - 1 if grow_last else i == 0) else c
                layers += [nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False), nn.Conv2d(c, o, 1, bias=False),
                           nn.BatchNorm2d(o)]
                c = o
            if stride != 1:
                layers.append(nn.MaxPool2d(3, stride, 1))
            self.rep = nn.Sequential(*layers)

        def forward(self, x):
            return self.rep(x) + (x if self.skip is None else self.skip(x))

    def __init__(self, classes):
        super().__init__()

        def sep(c, o):
            return [nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False), nn.Conv2d(c, o, 1, bias=False), nn.BatchNorm2d(o),
                    nn.ReLU()]

        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            self.Block(64, 128, 2, 2, False, False), self.Block(128, 256, 2, 2, True, False),
            self.Block(256, 728, 2, 2, True, False), *[self.Block(728, 728, 3, 1, True, False) for _ in range(8)],
            self.Block(728, 1024, 2, 2, True, True), *sep(1024, 1536), *sep(1536, 2048))
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        return self.fc(self.net(x).mean((2, 3)))


class MobileNetV1(nn.Module):
    """MobileNet V1 (trainer/models/mobilenet.c; Howard et al. 2017, Table 1) with width alpha, CIFAR form (stride-1
    stem): 3x3 conv + BN + ReLU, 13 blocks of 3x3 depthwise + BN + ReLU and 1x1 + BN + ReLU, pool, linear."""

    def __init__(self, alpha, classes):
        super().__init__()

        def cbr(inp, out, k, stride, groups):
            return [nn.Conv2d(inp, out, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(out),
                    nn.ReLU()]

        c = round(32 * alpha)
        layers = cbr(3, c, 3, 1, 1)
        for out, stride in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
                            (512, 1), (512, 1), (1024, 2), (1024, 1)]:
            layers += cbr(c, c, 3, stride, c) + cbr(c, round(out * alpha), 1, 1, 1)
            c = round(out * alpha)
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class Float64Hardsigmoid(nn.Module):
    """nn.Hardsigmoid's function, relu6(x + 3) / 6, with a float64-exact gradient: PyTorch 1.13's hardsigmoid
    backward multiplies by the float32 constant 1.0f / 6.0f even on float64 tensors (0.1666666716337204, 3e-8 too
    large), which put MobileNet V3's float64 reference gradients up to 7e-5 (relative, on small entries) off the
    exact ones. hardtanh's backward passes the gradient (x 1) inside (0, 6), and / 6 is float64's own."""

    def forward(self, x):
        return F.hardtanh(x + 3.0, 0.0, 6.0) / 6.0


def mobilenet_v3(arch, width):
    """torchvision's MobileNetV3 with its squeeze-and-excitation gates' nn.Hardsigmoid replaced by
    Float64Hardsigmoid (the same values; see there)."""
    setting, last = tvm.mobilenetv3._mobilenet_v3_conf(arch, width_mult=width)
    model = tvm.mobilenetv3.MobileNetV3(setting, last, num_classes=10, dropout=0.0)
    for m in model.modules():
        if isinstance(m, torchvision.ops.misc.SqueezeExcitation):
            m.scale_activation = Float64Hardsigmoid()
    return model, None


VGG11_CFG = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def googlenet(aux):
    model = tvm.GoogLeNet(num_classes=10, aux_logits=aux, transform_input=False, init_weights=False, dropout=0.0,
                          dropout_aux=0.0)
    # Cohort builds aux1 after inception4a and aux2 after inception4d; torchvision registers both before fc.
    order = ["conv1", "conv2", "conv3", "inception3a", "inception3b", "inception4a", "aux1", "inception4b",
             "inception4c", "inception4d", "aux2", "inception4e", "inception5a", "inception5b", "fc"]
    return model, order if aux else None


def inception_v3(aux):
    return tvm.Inception3(num_classes=10, aux_logits=aux, transform_input=False, init_weights=False,
                          dropout=0.0), None


# name -> (constructor returning (model, top-level module order or None), B, C, H, W, classes, aux weights)
# The Cohort settings of each are in tests/test_golden_zoo.c's table.
MODELS = {
    "resnet18": (lambda: (NarrowResNet(BasicBlock, [2, 2, 2, 2], 0.25, 10), None), 2, 3, 128, 128, 10, []),
    "resnet50": (lambda: (NarrowResNet(Bottleneck, [3, 4, 6, 3], 0.25, 10), None), 2, 3, 128, 128, 10, []),
    "vgg11": (lambda: (narrow_vgg(VGG11_CFG, False, 0.125, 10), None), 2, 3, 64, 64, 10, []),
    "vgg11_bn": (lambda: (narrow_vgg(VGG11_CFG, True, 0.125, 10), None), 2, 3, 64, 64, 10, []),
    "googlenet": (lambda: googlenet(False), 2, 3, 64, 64, 10, []),
    "googlenet_aux": (lambda: googlenet(True), 2, 3, 64, 64, 10, [0.3, 0.3]),
    "inception_v3": (lambda: inception_v3(False), 2, 3, 107, 107, 10, []),
    "inception_v3_aux": (lambda: inception_v3(True), 2, 3, 299, 299, 10, [0.4]),
    "squeezenet1_0": (lambda: (tvm.SqueezeNet("1_0", num_classes=10, dropout=0.0), None), 2, 3, 64, 64, 10, []),
    "squeezenet1_1": (lambda: (tvm.SqueezeNet("1_1", num_classes=10, dropout=0.0), None), 2, 3, 64, 64, 10, []),
    "densenet121": (lambda: (tvm.DenseNet(32, (6, 12, 24, 16), 64, num_classes=10), None), 2, 3, 64, 64, 10, []),
    "densenet_bc": (lambda: (DenseNetBC(40, 12, 10), None), 2, 3, 32, 32, 10, []),
    "alexnet": (lambda: (narrow_alexnet(0.125, 10), None), 2, 3, 127, 127, 10, []),
    "nin": (lambda: (NIN(10, 0.0), None), 2, 3, 32, 32, 10, []),
    "mobilenet_v2": (lambda: (tvm.MobileNetV2(num_classes=10, width_mult=0.25, dropout=0.0), None), 2, 3, 64, 64, 10,
                     []),
    "mobilenet_v3_small": (lambda: mobilenet_v3("mobilenet_v3_small", 0.5), 2, 3, 96, 96, 10, []),
    "mobilenet_v3_large": (lambda: mobilenet_v3("mobilenet_v3_large", 0.25), 2, 3, 96, 96, 10, []),
    "shufflenet_v2_x0_5": (lambda: (tvm.ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], num_classes=10), None), 2, 3,
                           64, 64, 10, []),
    "resnext50_32x4d": (lambda: (NarrowResNet(Bottleneck, [3, 4, 6, 3], 0.25, 10, groups=32, width_per_group=4), None),
                        2, 3, 96, 96, 10, []),
    "resnext29_2x16d": (lambda: (ResNeXt29(2, 16, 10), None), 2, 3, 16, 16, 10, []),
    "mobilenet_v1": (lambda: (MobileNetV1(0.25, 10), None), 2, 3, 32, 32, 10, []),
    "se_resnet14": (lambda: (SEResNetCifar(14, 10), None), 2, 3, 16, 16, 10, []),
    "xception": (lambda: (Xception(10), None), 2, 3, 32, 32, 10, []),
    "repvgg_a0": (lambda: (RepVGG([2, 4, 14, 1], 0.75, 2.5, 10, True), None), 2, 3, 32, 32, 10, []),
}


def cohort_order(model, order):
    """[(module, parameter name, parameter)] in Cohort's parameter order."""
    mods = [model] if order is None else [getattr(model, name) for name in order]
    out = []
    if order is not None:  # every parameter must be covered exactly once
        covered = sum(sum(p.numel() for p in m.parameters()) for m in mods)
        assert covered == sum(p.numel() for p in model.parameters())
    for top in mods:
        for m in top.modules():
            for pname, p in m.named_parameters(recurse=False):
                out.append((m, pname, p))
    return out


def damped_bns(model):
    """The batch norms that close a residual branch (torchvision's BasicBlock bn2, Bottleneck bn3): their gamma
    starts near 0.125 (0.094 to 0.156) instead of 1, as torchvision's zero_init_residual option does with 0.
    With gamma near 1 a freshly initialised 16-block ResNet amplifies rounding errors block by block: PyTorch's
    own float32 gradients of the resnet50 fixture were up to 100% off its float64 ones (and its logits 5e-4).
    Damped, and at 128x128 (so that the last stage's weight gradients sum over 4x4 pixels, not 2x2), PyTorch's
    float32 gradients are within 1.2e-4 of its float64 ones (element by element, test_golden.c's measure), so
    the float build can be held to 1e-4."""
    out = set()
    for m in model.modules():
        if isinstance(m, BasicBlock):
            out.add(id(m.bn2))
        elif isinstance(m, Bottleneck):
            out.add(id(m.bn3))
    return out


def init_of(m, pname, p, damped=()):
    """(center, scale) of a parameter tensor."""
    if isinstance(m, nn.BatchNorm2d):
        if pname == "weight" and id(m) in damped:
            return (0.125, 0.0625)
        return (1.0, 0.5) if pname == "weight" else (0.0, 0.5)
    fan_in = p.numel() // p.shape[0] if pname == "weight" else m.weight.numel() // m.weight.shape[0]
    return (0.0, pow2(math.sqrt(24.0 / fan_in))) if pname == "weight" else (0.0, pow2(1.0 / math.sqrt(fan_in)))


RELU_MARGIN = 2e-6
# checked in the double build only (test_golden_zoo.c's double_only), so a float32 rounding flip cannot matter and
# the input keeps salt 0: at 299x299 (the auxiliary head's minimum) no salt avoids every near-zero ReLU input
DOUBLE_ONLY = {"inception_v3_aux"}


def relu_inputs_near_zero(model, x):
    """How many inputs of a forward pass lie within RELU_MARGIN of a kink of the piecewise-linear activations:
    ReLU's 0 (nn.ReLU modules and torchvision's F.relu calls all go through torch.nn.functional.relu), ReLU6's 0
    and 6 (nn.ReLU6 is F.hardtanh), hard swish's and hard sigmoid's -3 and 3."""
    count = [0]
    originals = {name: getattr(F, name) for name in ("relu", "hardtanh", "hardswish", "hardsigmoid")}
    kinks = {"relu": (0.0,), "hardtanh": (-1.0, 1.0), "hardswish": (-3.0, 3.0), "hardsigmoid": (-3.0, 3.0)}

    def counting(name):
        def activation(t, *args, **kwargs):
            points = kinks[name]
            if name == "hardtanh":  # (input, min_val, max_val, inplace)
                points = (args[0] if args else kwargs.get("min_val", -1.0), args[1] if len(args) > 1 else
                          kwargs.get("max_val", 1.0))
            for k in points:
                count[0] += int(((t - k).abs() < RELU_MARGIN).sum())
            return originals[name](t, *args, **kwargs)
        return activation

    for name in originals:
        setattr(F, name, counting(name))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for name, f in originals.items():
            setattr(F, name, f)
    return count[0]


def export(name):
    make, B, C, H, W, classes, aux_weights = MODELS[name]
    model, order = make()
    params = cohort_order(model, order)
    counts, inits = [], []
    damped = damped_bns(model)
    with torch.no_grad():
        for t, (m, pname, p) in enumerate(params):
            center, scale = init_of(m, pname, p, damped)
            v = (center + scale * (uniform(STREAM_PARAM, t, p.numel()) - 0.5)).astype(np.float32)
            p.copy_(torch.from_numpy(v.astype(np.float64)).reshape(p.shape))
            counts.append(p.numel())
            inits += [center, scale]
    labels = torch.from_numpy((bits(5, 0, B) % np.uint32(classes)).astype(np.int64))
    model = model.double()
    # the search runs the forward in training mode on a copy: its BN running statistics must not move
    probe = __import__("copy").deepcopy(model).train()
    for salt in range(1 if name in DOUBLE_ONLY else 64):
        x = torch.from_numpy(4.0 * (uniform(STREAM_INPUT, salt, B * C * H * W) - 0.5)).reshape(B, C, H, W)
        x = x.float().double()  # exact already; documents that the input is float32-representable
        near = relu_inputs_near_zero(probe, x) if name not in DOUBLE_ONLY else 0
        if near == 0:
            break
        print(f"  {name}: input salt {salt} puts {near} ReLU inputs within {RELU_MARGIN} of 0; next")
    else:
        sys.exit(f"{name}: no input salt below 64 keeps the ReLU inputs away from 0")
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    opt.zero_grad()
    out = model(x)
    if aux_weights:
        if name.startswith("googlenet"):
            # GoogLeNetOutputs' fields are named (logits, aux_logits2, aux_logits1), but torchvision 0.14 fills
            # them with (x, aux1, aux2): out[1] is the head after inception4a (checked with a forward hook)
            logits, aux_logits = out[0], [out[1], out[2]]
        else:  # InceptionOutputs(logits, aux_logits)
            logits, aux_logits = out[0], [out[1]]
    else:
        logits, aux_logits = out, []
    loss = F.cross_entropy(logits, labels)
    objective = loss + sum(w * F.cross_entropy(a, labels) for w, a in zip(aux_weights, aux_logits))
    objective.backward()
    before = [p.detach().clone() for _, _, p in params]
    grads = [p.grad.detach().clone() for _, _, p in params]
    opt.step()

    bns = []
    for m, pname, _ in params:
        if isinstance(m, nn.BatchNorm2d) and pname == "weight":  # (MobileNet V3's with their momentum 0.01)
            bns.append(m)
    running = [summary(s.numpy().ravel(), 2 * i + j)
               for i, m in enumerate(bns) for j, s in enumerate((m.running_mean, m.running_var))]
    grad_sum = [summary(g.numpy().ravel(), t) for t, g in enumerate(grads)]
    update_sum = [summary((p.detach() - b).numpy().ravel(), t) for t, ((_, _, p), b) in enumerate(zip(params, before))]

    arrays = [
        ("meta", np.array([B, C, H, W, classes, len(aux_weights), salt], dtype=np.float64)),
        ("labels", labels.numpy().astype(np.int32)),
        ("tensor_count", np.array(counts, dtype=np.float64)),
        ("tensor_init", np.array(inits, dtype=np.float64)),
        ("logits", logits.detach().numpy().astype(np.float64)),
    ]
    if aux_logits:
        arrays.append(("aux_logits", np.concatenate([a.detach().numpy().ravel() for a in aux_logits])))
    arrays += [
        ("loss", np.array([loss.item()])),
        ("objective", np.array([objective.item()])),
        ("running", np.array(running, dtype=np.float64)),
        ("grads", np.array(grad_sum, dtype=np.float64)),
        ("update", np.array(update_sum, dtype=np.float64)),
    ]
    write_fixture(os.path.join(OUT, "zoo_" + name + ".bin"), arrays)
    print(f"  {name}: {sum(counts)} parameters in {len(counts)} tensors, {len(bns)} BN layers, "
          f"loss {loss.item():.6f}, objective {objective.item():.6f}")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    names = sys.argv[1:] or list(MODELS)
    for name in names:
        if name not in MODELS:
            sys.exit(f"unknown fixture {name!r}; known: {', '.join(MODELS)}")
    for name in names:
        export(name)


if __name__ == "__main__":
    main()

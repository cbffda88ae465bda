#!/usr/bin/python3
"""Regenerates the golden fixtures of tests/test_golden_vit.c (Vision Transformer, MLP-Mixer, AdamW).

Run with Debian's Python, which has PyTorch (1.13):   /usr/bin/python3 tests/golden/export_vit_fixtures.py
Neither the build nor the tests need PyTorch: the fixtures are committed.

Three small models built exactly like Cohort's (trainer/models_vit.c):
  vit.bin            ViT dim 32, depth 2, heads 2, mlp_dim 64, patch 8, class-token pooling, exact GELU,
                     3x32x32 input, batch 4, 10 classes
  vit_mean_tanh.bin  ViT dim 24, depth 1, heads 3, mlp_dim 48, patch 4, mean pooling, tanh GELU, 3x16x16
  mixer.bin          MLP-Mixer dim 32, depth 2, patch 4, token_mlp_dim 24, channel_mlp_dim 64, 3x16x16
The ViT blocks are PyTorch's own nn.TransformerEncoderLayer(norm_first=True, activation=gelu, dropout=0,
batch_first=True), so the fixtures also show that Cohort's block is that layer (fused in_proj, heads split as
nn.MultiheadAttention splits them). LayerNorm eps is PyTorch's default 1e-5 everywhere.

Weights are drawn in float32 from torch.manual_seed (not the training initialisation: larger weights, so that
attention is far from uniform and LayerNorm's affine parameters and every bias matter): 2-D/4-D weights
normal(0, 1/sqrt(fan_in)), biases normal(0, 0.1), LayerNorm gamma 1 + normal(0, 0.1) and beta normal(0, 0.1),
class token and position embedding normal(0, 0.5). Then, in float64 (a reference free of float32 rounding):
one training-mode forward, the cross-entropy loss (mean), backward, one torch.optim.AdamW step
(lr 1e-3, weight_decay 0.05, betas (0.9, 0.999), eps 1e-8; every parameter decayed, PyTorch's default), then a
second forward/backward from the updated weights, torch.nn.utils.clip_grad_norm_ to half the gradient norm,
and a second AdamW step (bias correction of step 2, clipping).

File format (little-endian, the same as export_fixtures.py): "COHORTFX", u32 version (1), u32 array count,
then per array: name (32 bytes, NUL-padded), u32 dtype (1 float32, 2 int32, 3 float64), u32 reserved (0),
u64 element count, the elements. Arrays, all parameters in Cohort's order (see trainer/models_vit.c):
  meta        i32 [B, C, H, W, classes]
  arch        i32 [dim, depth, heads, mlp_dim, patch, token_mlp_dim, channel_mlp_dim, pool_mean, gelu_tanh]
  model       i32 [0 vit, 1 mixer]
  hyper       f64 [lr, weight_decay, beta1, beta2, eps, grad_clip of step 2]
  x           f32 [C][B][H][W] (Cohort's layout)          labels  i32 [B]
  params      f32 [P] the initial weights
  logits      f32 [B][classes]                             loss    f64 [1]
  grads       f32 [P]
  update1     f32 [P] weights after AdamW step 1 minus the initial weights (the difference taken in float64)
  loss_step2  f64 [1] the loss at the weights after step 1
  grads_step2 f32 [P] the gradients there, before clipping
  update2     f32 [P] weights after step 2 (clipped gradients) minus the weights after step 1
  opt_update1, opt_update2  f32 [P] the same two updates computed from the float32-rounded grads and
              grads_step2 (step 2 from params + opt_update1), for the test of the optimiser alone
"""
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
DTYPES = {np.dtype(np.float32): 1, np.dtype(np.int32): 2, np.dtype(np.float64): 3}
LR, WD, BETAS, EPS = 1e-3, 0.05, (0.9, 0.999), 1e-8


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


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


class ViT(nn.Module):
    """Patch embedding (Conv2d P x P, stride P), class token, position embedding, pre-norm encoder layers,
    final LayerNorm, class-token or mean-of-patch-tokens pooling, linear head."""

    def __init__(self, C, H, W, classes, dim, depth, heads, mlp_dim, patch, pool, tanh):
        super().__init__()
        tokens = (H // patch) * (W // patch)
        self.patch = nn.Conv2d(C, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, tokens + 1, dim))
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, heads, mlp_dim, dropout=0.0, activation=gelu_tanh if tanh else "gelu",
                                       batch_first=True, norm_first=True)
            for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        self.pool = pool

    def ordered_parameters(self):
        """Cohort's order: patch, cls, pos, per block LN1, qkv, proj, LN2, fc1, fc2; LN; head."""
        out = [self.patch.weight, self.patch.bias, self.cls, self.pos]
        for b in self.blocks:
            out += [b.norm1.weight, b.norm1.bias, b.self_attn.in_proj_weight, b.self_attn.in_proj_bias,
                    b.self_attn.out_proj.weight, b.self_attn.out_proj.bias, b.norm2.weight, b.norm2.bias,
                    b.linear1.weight, b.linear1.bias, b.linear2.weight, b.linear2.bias]
        out += [self.norm.weight, self.norm.bias, self.head.weight, self.head.bias]
        assert len(out) == len(list(self.parameters()))
        return out

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)  # [B, T, D], tokens row-major over the patch grid
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1) + self.pos
        for b in self.blocks:
            t = b(t)
        t = self.norm(t)
        t = t[:, 1:].mean(dim=1) if self.pool == "mean" else t[:, 0]
        return self.head(t)


class MixerBlock(nn.Module):
    def __init__(self, tokens, dim, token_mlp, channel_mlp):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_fc1, self.token_fc2 = nn.Linear(tokens, token_mlp), nn.Linear(token_mlp, tokens)
        self.norm2 = nn.LayerNorm(dim)
        self.channel_fc1, self.channel_fc2 = nn.Linear(dim, channel_mlp), nn.Linear(channel_mlp, dim)

    def forward(self, x):
        y = self.norm1(x).transpose(1, 2)  # [B, D, T]
        x = x + self.token_fc2(F.gelu(self.token_fc1(y))).transpose(1, 2)
        return x + self.channel_fc2(F.gelu(self.channel_fc1(self.norm2(x))))


class Mixer(nn.Module):
    def __init__(self, C, H, W, classes, dim, depth, patch, token_mlp, channel_mlp):
        super().__init__()
        tokens = (H // patch) * (W // patch)
        self.patch = nn.Conv2d(C, dim, patch, stride=patch)
        self.blocks = nn.ModuleList(MixerBlock(tokens, dim, token_mlp, channel_mlp) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def ordered_parameters(self):
        out = list(self.parameters())  # definition order is Cohort's order here
        return out

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        for b in self.blocks:
            t = b(t)
        return self.head(self.norm(t).mean(dim=1))


def draw_weights(model):
    """float32 test weights (see the module docstring), in place."""
    norms = {id(m.weight) for m in model.modules() if isinstance(m, nn.LayerNorm)}
    with torch.no_grad():
        for p in model.ordered_parameters():
            if p is getattr(model, "cls", None) or p is getattr(model, "pos", None):
                p.normal_(0.0, 0.5)
            elif id(p) in norms:
                p.normal_(1.0, 0.1)
            elif p.dim() == 1:
                p.normal_(0.0, 0.1)
            else:
                fan_in = p[0].numel()
                p.normal_(0.0, fan_in ** -0.5)


def flat(tensors):
    return np.concatenate([t.detach().cpu().numpy().ravel() for t in tensors])


def export(name, kind, make_model, B, C, H, W, classes, arch, seed):
    torch.manual_seed(seed)
    model = make_model()
    draw_weights(model)
    x32 = torch.randn(B, C, H, W)
    labels = torch.randint(0, classes, (B,))
    params0 = flat(model.ordered_parameters()).astype(np.float32)

    model = model.double()  # the reference computation in float64 from the same float32 values
    model.train()
    x = x32.double()
    params = model.ordered_parameters()
    opt = torch.optim.AdamW(params, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)

    opt.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    grads = flat(p.grad for p in params)
    opt.step()
    params1 = flat(params)

    opt.zero_grad()
    loss2 = F.cross_entropy(model(x), labels)
    loss2.backward()
    grads2 = flat(p.grad for p in params)
    clip = 0.5 * float(np.sqrt(np.sum(grads2 ** 2)))
    torch.nn.utils.clip_grad_norm_(params, max_norm=clip)
    opt.step()
    params2 = flat(params)

    # The optimiser alone: the same two steps from the float32-rounded gradients (what the C test feeds its
    # optimiser), so that the double build can be held to 1e-6 even where AdamW's update cancels.
    params_b = [torch.zeros_like(p, requires_grad=True) for p in params]
    offsets = np.cumsum([0] + [p.numel() for p in params])
    with torch.no_grad():
        for k, p in enumerate(params_b):
            p.copy_(torch.from_numpy(params0[offsets[k]:offsets[k + 1]].astype(np.float64)).view_as(p))
    opt_b = torch.optim.AdamW(params_b, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)
    updates_b = []
    for g in (grads, grads2):
        g32 = g.astype(np.float32).astype(np.float64)
        before = flat(params_b)
        for k, p in enumerate(params_b):
            p.grad = torch.from_numpy(g32[offsets[k]:offsets[k + 1]].copy()).view_as(p)
        if g is grads2:
            torch.nn.utils.clip_grad_norm_(params_b, max_norm=clip)
        opt_b.step()
        updates_b.append(flat(params_b) - before)

    f32 = lambda a: np.asarray(a, dtype=np.float32)
    arrays = [
        ("meta", np.array([B, C, H, W, classes], dtype=np.int32)),
        ("arch", np.array(arch, dtype=np.int32)),
        ("model", np.array([kind], dtype=np.int32)),
        ("hyper", np.array([LR, WD, BETAS[0], BETAS[1], EPS, clip], dtype=np.float64)),
        ("x", f32(x32.numpy().transpose(1, 0, 2, 3))),  # NCHW -> [C][B][H][W]
        ("labels", labels.numpy().astype(np.int32)),
        ("params", params0),
        ("logits", f32(logits.detach().numpy())),
        ("loss", np.array([loss.item()], dtype=np.float64)),
        ("grads", f32(grads)),
        ("update1", f32(params1 - params0.astype(np.float64))),
        ("loss_step2", np.array([loss2.item()], dtype=np.float64)),
        ("grads_step2", f32(grads2)),
        ("update2", f32(params2 - params1)),
        ("opt_update1", f32(updates_b[0])),
        ("opt_update2", f32(updates_b[1])),
    ]
    write_fixture(os.path.join(OUT, name + ".bin"), arrays)
    print(f"  {name}: {params0.size} parameters, loss {loss.item():.6f}, loss after step 1 {loss2.item():.6f}")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    # arch: dim, depth, heads, mlp_dim, patch, token_mlp_dim, channel_mlp_dim, pool_mean, gelu_tanh
    export("vit", 0, lambda: ViT(3, 32, 32, 10, 32, 2, 2, 64, 8, "cls", False), 4, 3, 32, 32, 10,
           [32, 2, 2, 64, 8, 0, 0, 0, 0], seed=3)
    export("vit_mean_tanh", 0, lambda: ViT(3, 16, 16, 7, 24, 1, 3, 48, 4, "mean", True), 3, 3, 16, 16, 7,
           [24, 1, 3, 48, 4, 0, 0, 1, 1], seed=4)
    export("mixer", 1, lambda: Mixer(3, 16, 16, 10, 32, 2, 4, 24, 64), 4, 3, 16, 16, 10,
           [32, 2, 0, 0, 4, 24, 64, 0, 0], seed=5)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Training throughput and peak memory of Cohort's engine against PyTorch on the same CPU, side by side.

    /usr/bin/python3 bench/compare_torch.py [--cohort build/runner/cohort] [--models resnet20,resnet56,...]
                                            [--batch 128] [--threads 2] [--repeats 3] [--steps 10]

PyTorch is Debian's python3-torch (1.13; `apt-get install -y python3-torch`), hence /usr/bin/python3. It is
needed by this script only, never by the build or the tests.

For every model, `repeats` rounds each run `cohort bench` and then the same architecture in PyTorch (order
alternating between rounds, so that drift in the machine's load hits both sides alike), each in its own
process: same batch, same thread count, synthetic 3x32x32 input, 100 classes (googlenet and resnet50: 3x224x224, batch 32,
1000 classes; densenet_bc: batch 64; mobilenet_v2, shufflenet_v2_x1_0 and resnext29_2x64d in Cohort's CIFAR forms), SGD with momentum 0.9 and
weight decay 5e-4 (AdamW for vit), train mode, forward + backward + optimiser step timed after warm-up.
Peak resident memory is each process's own maximum (getrusage ru_maxrss). The table gives medians over
the rounds of each side's images/s, and as the ratio the median over rounds of each round's Cohort/PyTorch
ratio: the two runs of a round are seconds apart, so that ratio cancels most of the machine's drift in load,
which on shared machines moves both sides' absolute figures by 20-30 % within minutes. Both sides' img/s are
means over their timed steps (like with like). "of FMA" is the median share of the machine's FMA peak that
Cohort reaches (`cohort bench` measures the peak in the same process, for the same thread count), "of sgemm" the
share of the engine's GEMM rate on large square products (its AVX-512 kernel, or OpenBLAS's sgemm where the CPU
has no AVX-512), measured there too.
--eval compares evaluation instead: `cohort bench --eval` (forward only, batch norms folded) against
PyTorch's model.eval() under torch.no_grad(). Exit status 0 when every target holds, each row naming the ones it
misses: training throughput >= 1.5x PyTorch (2.5x for vit), at least 55 % of the FMA peak for resnet56, vgg11 and
vgg16 and 45 % for resnet20 and vit; evaluation >= 2.0x; peak RSS <= 0.6x PyTorch's for every model."""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = ["resnet20", "resnet56", "vgg11", "vgg16", "vit", "googlenet", "densenet_bc", "resnet50", "mobilenet_v2",
          "shufflenet_v2_x1_0", "resnext29_2x64d"]
# (input side, batch, classes) of the models not run at the CIFAR shape (3x32x32, --batch, --classes): the
# ImageNet ones as torchvision's at 224x224, batch 32, 1000 classes; the CIFAR DenseNet-BC-100 at the paper's
# batch 64
SHAPES = {"googlenet": (224, 32, 1000), "resnet50": (224, 32, 1000), "densenet_bc": (32, 64, None)}
THROUGHPUT_TARGET = {"vit": 2.5}  # training, Cohort / PyTorch; every other model 1.5
DEFAULT_THROUGHPUT_TARGET = 1.5
EVAL_THROUGHPUT_TARGET = 2.0  # every model, forward only
# training at this share (%) of the FMA peak `cohort bench` measures; models not listed have no share target
FMA_SHARE_TARGET = {"resnet56": 55.0, "vgg11": 55.0, "vgg16": 55.0, "resnet20": 45.0, "vit": 45.0}
RSS_TARGET = 0.6  # Cohort's peak RSS / PyTorch's, every model

VGG_LAYERS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def torch_model(name, classes):
    """The architecture as Cohort builds it, from the golden-fixture exporters' definitions."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
    import export_fixtures
    import export_vit_fixtures

    if name.startswith("resnet"):
        return export_fixtures.CifarResNet(int(name[len("resnet"):]), classes)
    if name in VGG_LAYERS:
        return export_fixtures.VGG(VGG_LAYERS[name], 1.0, classes)
    if name == "vit":  # Cohort's default: dim 192, depth 6, heads 3, mlp 384, patch 4, class token, exact GELU
        return export_vit_fixtures.ViT(3, 32, 32, classes, 192, 6, 3, 384, 4, "cls", False)
    if name in ("googlenet", "resnet50"):  # torchvision's own
        import torchvision.models as tvm
        if name == "googlenet":
            return tvm.googlenet(num_classes=classes, aux_logits=False, init_weights=True)
        return tvm.resnet50(num_classes=classes)
    if name == "densenet_bc":  # DenseNet-BC-100, k = 12, as the zoo golden fixtures define it
        import export_zoo_fixtures
        return export_zoo_fixtures.DenseNetBC(100, 12, classes)
    if name == "mobilenet_v2":  # torchvision's, in Cohort's CIFAR form: stride-1 stem, the 24-channel stage at 1
        import torchvision.models as tvm
        setting = [[1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                   [6, 320, 1, 1]]
        model = tvm.MobileNetV2(num_classes=classes, inverted_residual_setting=setting)
        model.features[0][0].stride = (1, 1)
        return model
    if name.startswith("shufflenet_v2_"):  # torchvision's, CIFAR form: stride-1 stem, no max pool
        import torch.nn as nn
        import torchvision.models as tvm
        model = getattr(tvm, name)(num_classes=classes)
        model.conv1[0].stride = (1, 1)
        model.maxpool = nn.Identity()
        return model
    if name.startswith("resnext29_"):  # CIFAR ResNeXt-29 <C>x<d>d as the zoo golden fixtures define it
        import export_zoo_fixtures
        cardinality, width = re.fullmatch(r"resnext29_(\d+)x(\d+)d", name).groups()
        return export_zoo_fixtures.ResNeXt29(int(cardinality), int(width), classes)
    raise SystemExit("compare_torch.py: no PyTorch definition for model '%s'" % name)


def torch_worker(args):
    """Runs in its own process: trains the PyTorch model and prints 'images/s X  peak_rss_mib Y'."""
    import resource
    import time

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torch_model(args.model, args.classes)
    x = torch.randn(args.batch, 3, args.side, args.side)
    if args.eval:  # forward only, as PyTorch users evaluate: eval() and no_grad()
        model.eval()
        with torch.no_grad():
            for _ in range(args.warmup):
                model(x)
            start = time.perf_counter()
            for _ in range(args.steps):
                model(x)
            seconds = time.perf_counter() - start
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print("images/s %.1f  peak_rss_mib %.1f" % (args.batch * args.steps / seconds, rss_mib))
        return
    model.train()
    if args.model == "vit":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    y = torch.randint(0, args.classes, (args.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("images/s %.1f  peak_rss_mib %.1f" % (args.batch * args.steps / seconds, rss_mib))


def shape_of(args, model):
    side, batch, classes = SHAPES.get(model, (32, args.batch, args.classes))
    return side, batch, classes or args.classes


def run_torch(args, model):
    side, batch, classes = shape_of(args, model)
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", "--model", model, "--batch", str(batch),
           "--threads", str(args.threads), "--classes", str(classes), "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--side", str(side)] + (["--eval"] if args.eval else [])
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    m = re.search(r"images/s ([\d.]+)\s+peak_rss_mib ([\d.]+)", out)
    return {"ips": float(m.group(1)), "rss": float(m.group(2)), "gflops": float("nan")}


def run_cohort(args, model):
    side, batch, classes = shape_of(args, model)
    cmd = [args.cohort, "bench", "--model", model, "--batch", str(batch), "--threads", str(args.threads),
           "--classes", str(classes), "--input", "3x%dx%d" % (side, side), "--steps", str(args.steps),
           "--warmup", str(args.warmup)] + (["--eval"] if args.eval else [])
    if model == "vit":
        cmd += ["--optimizer", "adamw", "--weight_decay", "0.05", "--lr", "0.001"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"images/s ([\d.]+)\s+GFLOP/s ([\d.]+).*peak RSS ([\d.]+) MiB", out)
    peak = re.search(r"^FMA peak ([\d.]+) GFLOP/s .* (?:training|evaluation) at ([\d.]+)% of it", out, re.M)
    sgemm = re.search(r"^sgemm \S+ ([\d.]+) GFLOP/s .* (?:training|evaluation) at ([\d.]+)% of it", out, re.M)
    if not m or not peak or not sgemm:
        raise SystemExit("compare_torch.py: cannot read cohort bench output:\n" + out)
    return {"ips": float(m.group(1)), "gflops": float(m.group(2)), "rss": float(m.group(3)),
            "peak": float(peak.group(1)), "share": float(peak.group(2)), "sgemm_share": float(sgemm.group(2))}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cohort", default=os.path.join(ROOT, "build", "runner", "cohort"))
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--eval", action="store_true",
                   help="evaluation throughput instead: cohort bench --eval against PyTorch's eval() + no_grad()")
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--side", type=int, default=32, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_worker:
        torch_worker(args)
        return 0

    rows, ok = [], True
    print("%s: batch %d, threads %d, %d rounds, %d timed steps each; medians (ratio: of the rounds' ratios)"
          % ("evaluation" if args.eval else "training", args.batch, args.threads, args.repeats, args.steps), flush=True)
    header = "%-18s %11s %11s %7s %7s %9s %7s %8s %12s %12s" % (
        "model", "cohort img/s", "torch img/s", "ratio", "target", "GFLOP/s", "of FMA", "of sgemm", "cohort MiB",
        "torch MiB")
    for model in args.models.split(","):
        cohort, torch = [], []
        for r in range(args.repeats):
            sides = [(cohort, run_cohort), (torch, run_torch)]
            for results, run in sides if r % 2 == 0 else reversed(sides):
                results.append(run(args, model))
            print("  %s round %d: cohort %.1f img/s, torch %.1f img/s, ratio %.2f" % (
                model, r + 1, cohort[-1]["ips"], torch[-1]["ips"], cohort[-1]["ips"] / torch[-1]["ips"]), flush=True)
        med = lambda rs, k: statistics.median(x[k] for x in rs)
        c_ips, t_ips = med(cohort, "ips"), med(torch, "ips")
        ratio = statistics.median(c["ips"] / t["ips"] for c, t in zip(cohort, torch))
        target = EVAL_THROUGHPUT_TARGET if args.eval else THROUGHPUT_TARGET.get(model, DEFAULT_THROUGHPUT_TARGET)
        c_rss, t_rss = med(cohort, "rss"), med(torch, "rss")
        share = med(cohort, "share")
        share_target = None if args.eval else FMA_SHARE_TARGET.get(model)
        missed = []
        if ratio < target:
            missed.append("ratio < %.1fx" % target)
        if share_target is not None and share < share_target:
            missed.append("FMA share < %.0f%%" % share_target)
        if c_rss > RSS_TARGET * t_rss:
            missed.append("RSS > %.1fx" % RSS_TARGET)
        ok &= not missed
        rows.append("%-18s %11.1f %11.1f %6.2fx %6.1fx %9.1f %6.1f%% %7.1f%% %12.0f %12.0f%s" % (
            model, c_ips, t_ips, ratio, target, med(cohort, "gflops"), share, med(cohort, "sgemm_share"), c_rss, t_rss,
            "  <- missed: " + ", ".join(missed) if missed else ""))
    print(header)
    print("\n".join(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

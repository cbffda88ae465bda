#!/usr/bin/python3
"""Cohort's TPE and random search against Optuna's TPESampler and RandomSampler (default settings) on
Branin, Hartmann-6 and 5-D Rosenbrock: the median over 20 seeds of the best value found in 50 trials.

    /usr/bin/python3 bench/compare_optuna.py [--bench build/bench/search_bench] [--trials 50] [--seeds 20]

Optuna comes from Debian's python3-optuna (`apt-get install -y python3-optuna`), hence /usr/bin/python3.
Passes (exit 0) when, on every function, Cohort's TPE median is no worse than Optuna's TPE median and both
TPE medians beat both random-search medians. Lower is better (all three are minimised)."""
import argparse
import math
import os
import statistics
import subprocess
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(x):
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s


HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]
HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
              [17, 8, 0.05, 10, 0.1, 14]]
HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
              [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(HARTMANN_A[i][j] * (x[j] - 1e-4 * HARTMANN_P[i][j]) ** 2 for j in range(6))
        total += HARTMANN_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


# the same domains as sweeps/objective.c
FUNCTIONS = {
    "branin": (branin, [(-5, 10), (0, 15)]),
    "hartmann6": (hartmann6, [(0, 1)] * 6),
    "rosenbrock": (rosenbrock, [(-5, 10)] * 5),
}


def optuna_best(name, sampler, trials):
    f, domain = FUNCTIONS[name]

    def objective(trial):
        return f([trial.suggest_float("x%d" % (i + 1), lo, hi) for i, (lo, hi) in enumerate(domain)])

    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=trials)
    return study.best_value


def cohort_bests(bench, name, method, trials, seeds):
    out = subprocess.run([bench, "--function", name, "--method", method, "--trials", str(trials), "--seeds",
                          str(seeds), "--quiet"], check=True, capture_output=True, text=True).stdout
    return [float(line.split()[1]) for line in out.splitlines() if line.strip()]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.path.join(here, "..", "build", "bench", "search_bench"))
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit("compare_optuna: %s is not built (cmake --build BUILD --target search_bench)" % args.bench)

    print("optuna %s; %d trials; median over seeds 0..%d of the best value (lower is better)"
          % (optuna.__version__, args.trials, args.seeds - 1))
    header = ("function", "Cohort TPE", "Optuna TPE", "Cohort random", "Optuna random")
    print("| %-10s | %12s | %12s | %13s | %13s |" % header)
    print("|%s|%s|%s|%s|%s|" % ("-" * 12, "-" * 14, "-" * 14, "-" * 15, "-" * 15))
    ok = True
    for name in FUNCTIONS:
        seeds = range(args.seeds)
        cohort_tpe = statistics.median(cohort_bests(args.bench, name, "bayes", args.trials, args.seeds))
        cohort_rnd = statistics.median(cohort_bests(args.bench, name, "random", args.trials, args.seeds))
        optuna_tpe = statistics.median(
            optuna_best(name, optuna.samplers.TPESampler(seed=s), args.trials) for s in seeds)
        optuna_rnd = statistics.median(
            optuna_best(name, optuna.samplers.RandomSampler(seed=s), args.trials) for s in seeds)
        print("| %-10s | %12.6g | %12.6g | %13.6g | %13.6g |" % (name, cohort_tpe, optuna_tpe, cohort_rnd, optuna_rnd))
        sys.stdout.flush()
        worst_random = min(cohort_rnd, optuna_rnd)
        if cohort_tpe > optuna_tpe:
            print("  FAIL %s: Cohort's TPE median is worse than Optuna's" % name)
            ok = False
        if not (cohort_tpe < worst_random and optuna_tpe < worst_random):
            print("  FAIL %s: a TPE median does not beat random search" % name)
            ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

/* Search benchmark on the analytic objectives: Cohort's random search and TPE (bayes), driven directly
 * through the sweeps library (no MPI, no database), as bench/compare_optuna.py uses it.
 *
 *   search_bench --function branin|hartmann6|rosenbrock --method random|bayes
 *                [--trials 50] [--seeds 20] [--first-seed 0] [--workers 1] [--quiet]
 *
 * For each seed it runs one sweep of `trials` evaluations and prints "seed best"; then the median of the
 * bests. With --workers W the search is asynchronous: W trials are in flight, the oldest finishes first. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective.h"
#include "search.h"
#include "sweeps.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The sweep file for a function: every input a continuous uniform over the function's domain. */
static int sweep_text(const char *function, const char *method, int trials, char *out, size_t size) {
    int dim = objective_dimension(function);
    if (!dim) return -1;
    int n = snprintf(out, size,
                     "name: bench-%s\nmethod: %s\nrun_cap: %d\nparameters:\n  model: {value: objective}\n"
                     "  function: {value: %s}\n",
                     function, method, trials, function);
    for (int i = 0; i < dim; i++) {
        double lo, hi;
        objective_domain(function, i, &lo, &hi);
        n += snprintf(out + n, size - (size_t)n, "  x%d: {distribution: uniform, min: %g, max: %g}\n", i + 1, lo, hi);
    }
    return 0;
}

typedef struct {
    char key[17];
    double value;
} InFlight;

/* One sweep; returns the best value found (NaN on error). */
static double run_one(const Sweep *sweep, uint64_t seed, int trials, int workers) {
    char err[ERR_LEN];
    Search *search = search_create(sweep, seed, err);
    if (!search) {
        fprintf(stderr, "search_bench: %s\n", err);
        return NAN;
    }
    InFlight *flight = calloc((size_t)workers, sizeof *flight);
    int in_flight = 0, started = 0;
    double best = INFINITY;
    for (;;) {
        while (in_flight < workers && started < trials) {
            SweepTrial t;
            int rc = search_next(search, &t, err);
            if (rc < 0) {
                fprintf(stderr, "search_bench: %s\n", err);
                best = NAN;
                goto done;
            }
            if (rc == 0) break;
            double v;
            if (objective_evaluate(t.config, 1, &v, err)) {
                fprintf(stderr, "search_bench: %s\n", err);
                v = NAN;
            }
            memcpy(flight[in_flight].key, t.key, 17);
            flight[in_flight].value = v;
            in_flight++;
            started++;
            sweep_trial_clear(&t);
        }
        if (in_flight == 0) break;
        /* the oldest trial in flight finishes */
        search_observe(search, flight[0].key, flight[0].value);
        if (flight[0].value < best) best = flight[0].value;
        memmove(flight, flight + 1, (size_t)(--in_flight) * sizeof *flight);
    }
done:
    free(flight);
    search_free(search);
    return best;
}

int main(int argc, char **argv) {
    const char *function = "branin", *method = "bayes";
    int trials = 50, seeds = 20, first = 0, workers = 1, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--function") && v) function = v, i++;
        else if (!strcmp(a, "--method") && v) method = v, i++;
        else if (!strcmp(a, "--trials") && v) trials = atoi(v), i++;
        else if (!strcmp(a, "--seeds") && v) seeds = atoi(v), i++;
        else if (!strcmp(a, "--first-seed") && v) first = atoi(v), i++;
        else if (!strcmp(a, "--workers") && v) workers = atoi(v), i++;
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else {
            fprintf(stderr, "usage: %s --function branin|hartmann6|rosenbrock --method random|bayes [--trials N] "
                            "[--seeds N] [--first-seed S] [--workers W] [--quiet]\n", argv[0]);
            return 2;
        }
    }
    if (trials < 1 || seeds < 1 || workers < 1) {
        fprintf(stderr, "search_bench: --trials, --seeds and --workers must be >= 1\n");
        return 2;
    }
    static char text[4096];
    if (sweep_text(function, method, trials, text, sizeof text)) {
        fprintf(stderr, "search_bench: unknown function '%s'\n", function);
        return 2;
    }
    Sweep sweep;
    char err[ERR_LEN];
    if (sweep_load_text(&sweep, "search_bench", text, err)) {
        fprintf(stderr, "search_bench: %s\n", err);
        return 2;
    }
    double *bests = calloc((size_t)seeds, sizeof *bests);
    for (int s = 0; s < seeds; s++) {
        bests[s] = run_one(&sweep, (uint64_t)(first + s), trials, workers);
        if (isnan(bests[s])) return 1;
        printf("%d %.10g\n", first + s, bests[s]);
    }
    qsort(bests, (size_t)seeds, sizeof *bests, cmp_double);
    double median = seeds % 2 ? bests[seeds / 2] : 0.5 * (bests[seeds / 2 - 1] + bests[seeds / 2]);
    if (!quiet) printf("median %s %s %d trials %d seeds: %.6g\n", function, method, trials, seeds, median);
    free(bests);
    sweep_free(&sweep);
    return 0;
}

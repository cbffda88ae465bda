#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double gradcheck_relative_error(double analytic, double numeric) {
    double difference = fabs(analytic - numeric);
    if (difference == 0) return 0; /* also covers two exact zeros (e.g. pixels a max pool skipped) */
    double scale = fmax(GRADCHECK_FLOOR, fmax(fabs(analytic), fabs(numeric)));
    return difference / scale;
}

GradcheckResult gradcheck(GradcheckLoss loss, void *ctx, real *param, const real *analytic, size_t n, double eps,
                          size_t max_samples, Rng *rng) {
    GradcheckResult result = {0};
    const bool sampled = max_samples > 0 && max_samples < n;
    const size_t count = sampled ? max_samples : n;
    for (size_t s = 0; s < count; s++) {
        const size_t i = sampled ? (size_t)rng_below(rng, (uint32_t)n) : s;
        const real saved = param[i];
        param[i] = (real)(saved + eps);
        const double loss_plus = loss(ctx);
        param[i] = (real)(saved - eps);
        const double loss_minus = loss(ctx);
        param[i] = saved;
        /* Divide by the step actually taken, which in float would differ from 2*eps. */
        const double step = (double)(real)(saved + eps) - (double)(real)(saved - eps);
        const double numeric = (loss_plus - loss_minus) / step;
        const double error = gradcheck_relative_error(analytic[i], numeric);
        if (error > result.max_error || result.checked == 0) {
            result.max_error = error;
            result.worst_index = i;
            result.worst_analytic = analytic[i];
            result.worst_numeric = numeric;
        }
        result.checked++;
    }
    return result;
}

void fill_normal(real *x, size_t n, double scale, Rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = (real)(scale * rng_normal(rng));
}

void fill_uniform(real *x, size_t n, double lo, double hi, Rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = (real)(lo + (hi - lo) * rng_uniform(rng));
}

/* Neumaier-compensated: the loss of a gradient check is a sum of many terms of which a perturbation changes
 * only a few, and plain summation's rounding would otherwise be most of the finite-difference noise. */
double dot_product(const real *a, const real *b, size_t n) {
    double sum = 0, compensation = 0;
    for (size_t i = 0; i < n; i++) {
        double term = (double)a[i] * (double)b[i];
        double t = sum + term;
        if (fabs(sum) >= fabs(term))
            compensation += (sum - t) + term;
        else
            compensation += (term - t) + sum;
        sum = t;
    }
    return sum + compensation;
}

void *test_alloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size);
    if (!p) {
        fprintf(stderr, "test_alloc: out of memory (%zu x %zu)\n", count, size);
        abort();
    }
    return p;
}

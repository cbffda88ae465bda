/* Finite-difference gradient checking for the op tests (meant for the double build of the engine, where
 * central differences are accurate to ~1e-9 and a wrong backward shows up as an O(1) relative error). */
#ifndef COHORT_TEST_GRADCHECK_H
#define COHORT_TEST_GRADCHECK_H

#include <stddef.h>

#include "real.h"
#include "rng.h"

/* A scalar function of the tensors behind ctx, recomputed from scratch on every call. */
typedef double (*GradcheckLoss)(void *ctx);

typedef struct {
    double max_error;      /* max over the checked entries of relative_error(analytic, numeric) */
    size_t worst_index;    /* entry where it occurred */
    double worst_analytic, worst_numeric;
    size_t checked;        /* entries perturbed */
} GradcheckResult;

/* Relative error with a floor on the scale, so that entries whose true gradient is (nearly) zero are
 * judged on an absolute scale of GRADCHECK_FLOOR instead of dividing rounding noise by ~0. */
#define GRADCHECK_FLOOR 1e-3
double gradcheck_relative_error(double analytic, double numeric);

/* Compares analytic[i] with (loss(param[i] + eps) - loss(param[i] - eps)) / (2 eps) for every i < n, or for
 * max_samples indices drawn from rng when 0 < max_samples < n (for large tensors). param is restored. */
GradcheckResult gradcheck(GradcheckLoss loss, void *ctx, real *param, const real *analytic, size_t n, double eps,
                          size_t max_samples, Rng *rng);

/* Test data */
void fill_normal(real *x, size_t n, double scale, Rng *rng);
void fill_uniform(real *x, size_t n, double lo, double hi, Rng *rng);
/* sum a[i] * b[i], accumulated in double */
double dot_product(const real *a, const real *b, size_t n);
/* calloc that aborts on failure, so tests need no error paths */
void *test_alloc(size_t count, size_t size);

#endif

/* The Parzen estimators of TPE (internal to sweeps; see search.h for the algorithm).
 * Values are in the parameter's internal space: log for log distributions, the index for categoricals. */
#ifndef COHORT_SWEEPS_TPE_H
#define COHORT_SWEEPS_TPE_H

#include "rng.h"

#define TPE_STARTUP_TRIALS 10
#define TPE_EI_CANDIDATES 24
#define TPE_PRIOR_WEIGHT 1.0

typedef struct {
    int categorical;
    int choices;              /* categorical */
    const double *prior;      /* categorical prior probabilities, NULL = uniform */
    double low, high;         /* numeric: the estimator's bounds (bins' outer edges for discrete ones) */
    double step;              /* > 0: discrete bins of this width */
    double prior_mu, prior_sigma;
    /* maps a raw draw to the internal value of the nearest allowed value (rounding, q, clipping) */
    double (*snap)(const void *ctx, double x);
    const void *ctx;
} TpeDomain;

/* gamma(n) = min(ceil(0.1 n), 25) */
int tpe_gamma(int n);
/* Draws TPE_EI_CANDIDATES candidates from the estimator of `below` and writes to out[dims] the one with the
 * largest log l(x) - log g(x). below/above: nb and na observations of dims values each (row-major), in
 * chronological order; each observation is one kernel over all dims (a product of per-parameter kernels
 * whose bandwidths follow the univariate neighbour rule, widened by n^(1/5 - 1/(dims+4))). Non-zero when
 * out of memory. */
int tpe_propose(const TpeDomain *const *d, int dims, const double *below, int nb, const double *above, int na,
                Rng *rng, double *out);

#endif

/* TPE's Parzen estimators for one parameter, following Optuna 3.x's univariate _ParzenEstimator with its
 * default settings: consider_prior (weight 1), consider_magic_clip, no consider_endpoints, default_weights
 * (the last 25 observations weigh 1, older ones ramp down), truncated Gaussians (discrete bins for integer
 * and q parameters), smoothed frequencies for categoricals. */
#include "tpe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SQRT_2PI 0.91893853320467274178

int tpe_gamma(int n) {
    int g = (int)ceil(0.1 * n);
    return g < 25 ? g : 25;
}

/* ---- the normal distribution, in log space where it matters -------------------------------------------- */

static double ndtr(double z) { return 0.5 * erfc(-z / M_SQRT2); }

static double log_ndtr(double z) {
    if (z > 6) return log1p(-0.5 * erfc(z / M_SQRT2));
    if (z > -20) return log(0.5 * erfc(-z / M_SQRT2));
    double z2 = z * z; /* asymptotic series of the lower tail */
    return -0.5 * z2 - log(-z) - LOG_SQRT_2PI + log1p(-1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2));
}

/* log(exp(lp) - exp(lq)) for lp >= lq */
static double log_diff(double lp, double lq) {
    if (lq == -INFINITY) return lp;
    if (lq >= lp) return -INFINITY;
    return lp + log1p(-exp(lq - lp));
}

/* log(Phi(b) - Phi(a)), a <= b, accurate in both tails. */
static double log_gauss_mass(double a, double b) {
    if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
    if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
    double central = 1 - ndtr(a) - ndtr(-b);
    return central > 0 ? log(central) : -INFINITY;
}

/* ---- one estimator ------------------------------------------------------------------------------------------ */

typedef struct {
    int n;            /* components: observations + the prior */
    double *weights;  /* [n], sum 1 */
    double *mus, *sigmas;
    double *cat;      /* categorical: [n][choices] rows, each summing to 1 */
} Estimator;

static void estimator_free(Estimator *e) {
    free(e->weights);
    free(e->mus);
    free(e->sigmas);
    free(e->cat);
}

/* Optuna's default_weights(n): ones, or for n >= 25 a ramp from 1/n up to 1 over the first n - 25. */
static void default_weights(int n, double *w) {
    if (n < 25) {
        for (int i = 0; i < n; i++) w[i] = 1;
        return;
    }
    int ramp = n - 25;
    for (int i = 0; i < ramp; i++) w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
    for (int i = ramp; i < n; i++) w[i] = 1;
}

typedef struct {
    double mu;
    int index;
} Sorted;

static int by_mu(const void *a, const void *b) {
    const Sorted *x = a, *y = b;
    if (x->mu < y->mu) return -1;
    if (x->mu > y->mu) return 1;
    return x->index - y->index; /* numpy's argsort is not stable either, but ties give equal gaps anyway */
}

static int estimator_build(Estimator *e, const TpeDomain *d, const double *obs, int nobs) {
    memset(e, 0, sizeof *e);
    int n = nobs + 1;
    e->n = n;
    e->weights = malloc((size_t)n * sizeof *e->weights);
    if (!e->weights) return -1;
    default_weights(nobs, e->weights);
    e->weights[nobs] = TPE_PRIOR_WEIGHT;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += e->weights[i];
    for (int i = 0; i < n; i++) e->weights[i] /= sum;

    if (d->categorical) {
        int k = d->choices;
        e->cat = malloc((size_t)n * (size_t)k * sizeof *e->cat);
        if (!e->cat) return -1;
        for (int i = 0; i < n; i++) {
            double *row = e->cat + (size_t)i * (size_t)k, total = 0;
            for (int c = 0; c < k; c++) {
                double prior = d->prior ? d->prior[c] * k : 1.0;
                row[c] = TPE_PRIOR_WEIGHT / n * prior;
            }
            if (i < nobs) {
                int c = (int)obs[i];
                if (c >= 0 && c < k) row[c] += 1;
            }
            for (int c = 0; c < k; c++) total += row[c];
            for (int c = 0; c < k; c++) row[c] /= total;
        }
        return 0;
    }

    double low = d->low, high = d->high;
    e->mus = malloc((size_t)n * sizeof *e->mus);
    e->sigmas = malloc((size_t)n * sizeof *e->sigmas);
    Sorted *s = malloc((size_t)n * sizeof *s);
    double *ends = malloc((size_t)(n + 2) * sizeof *ends);
    if (!e->mus || !e->sigmas || !s || !ends) {
        free(s);
        free(ends);
        return -1;
    }
    for (int i = 0; i < nobs; i++) e->mus[i] = obs[i];
    e->mus[nobs] = 0.5 * (low + high); /* Optuna's prior sits mid-range; its sigma is set below */
    for (int i = 0; i < n; i++) s[i] = (Sorted){e->mus[i], i};
    qsort(s, (size_t)n, sizeof *s, by_mu);
    ends[0] = low;
    for (int i = 0; i < n; i++) ends[i + 1] = s[i].mu;
    ends[n + 1] = high;
    double *sorted_sigma = malloc((size_t)n * sizeof *sorted_sigma);
    if (!sorted_sigma) {
        free(s);
        free(ends);
        return -1;
    }
    for (int i = 0; i < n; i++) sorted_sigma[i] = fmax(ends[i + 1] - ends[i], ends[i + 2] - ends[i + 1]);
    if (n + 2 >= 4) { /* consider_endpoints = False */
        sorted_sigma[0] = ends[2] - ends[1];
        sorted_sigma[n - 1] = ends[n] - ends[n - 1];
    }
    double maxsigma = high - low, minsigma = (high - low) / fmin(100.0, 1.0 + n); /* magic clip */
    for (int i = 0; i < n; i++) e->sigmas[s[i].index] = fmin(fmax(sorted_sigma[i], minsigma), maxsigma);
    e->sigmas[nobs] = high - low;
    if (d->prior_sigma > 0) { /* a normal distribution's own prior */
        e->mus[nobs] = d->prior_mu;
        e->sigmas[nobs] = d->prior_sigma;
    }
    free(sorted_sigma);
    free(s);
    free(ends);
    return 0;
}

static int pick_component(const Estimator *e, Rng *rng) {
    double u = rng_uniform(rng), acc = 0;
    for (int i = 0; i < e->n; i++) {
        acc += e->weights[i];
        if (u < acc) return i;
    }
    return e->n - 1;
}

static double sample_truncnorm(double mu, double sigma, double low, double high, Rng *rng) {
    for (int tries = 0; tries < 1000; tries++) {
        double x = mu + sigma * rng_normal(rng);
        if (x >= low && x <= high) return x;
    }
    return fmin(fmax(mu, low), high);
}

static double estimator_sample(const Estimator *e, const TpeDomain *d, Rng *rng) {
    int k = pick_component(e, rng);
    if (d->categorical) {
        const double *row = e->cat + (size_t)k * (size_t)d->choices;
        double u = rng_uniform(rng), acc = 0;
        for (int c = 0; c < d->choices; c++) {
            acc += row[c];
            if (u < acc) return c;
        }
        return d->choices - 1;
    }
    return sample_truncnorm(e->mus[k], e->sigmas[k], d->low, d->high, rng);
}

static double estimator_log_pdf(const Estimator *e, const TpeDomain *d, double x) {
    double best = -INFINITY;
    double *terms = malloc((size_t)e->n * sizeof *terms);
    if (!terms) return -INFINITY;
    for (int i = 0; i < e->n; i++) {
        double lp;
        if (d->categorical) {
            lp = log(e->cat[(size_t)i * (size_t)d->choices + (size_t)x]);
        } else {
            double mu = e->mus[i], sigma = e->sigmas[i];
            double accept = log_gauss_mass((d->low - mu) / sigma, (d->high - mu) / sigma);
            if (d->step > 0) {
                double lo = fmax(x - d->step / 2, d->low), hi = fmin(x + d->step / 2, d->high);
                lp = log_gauss_mass((lo - mu) / sigma, (hi - mu) / sigma) - accept;
            } else {
                double z = (x - mu) / sigma;
                lp = -0.5 * z * z - LOG_SQRT_2PI - accept;
            }
        }
        terms[i] = lp + log(e->weights[i]);
        if (terms[i] > best) best = terms[i];
    }
    double sum = 0;
    if (best > -INFINITY)
        for (int i = 0; i < e->n; i++) sum += exp(terms[i] - best);
    free(terms);
    return best > -INFINITY ? best + log(sum) : -INFINITY;
}

double tpe_propose(const TpeDomain *d, const double *below, int nb, const double *above, int na, Rng *rng) {
    Estimator l, g;
    if (estimator_build(&l, d, below, nb) || estimator_build(&g, d, above, na)) {
        estimator_free(&l);
        estimator_free(&g);
        return d->categorical ? 0 : 0.5 * (d->low + d->high);
    }
    double best_x = 0, best_score = -INFINITY;
    int have = 0;
    for (int i = 0; i < TPE_EI_CANDIDATES; i++) {
        double x = estimator_sample(&l, d, rng);
        if (!d->categorical && d->snap) x = d->snap(d->ctx, x);
        double score = estimator_log_pdf(&l, d, x) - estimator_log_pdf(&g, d, x);
        if (!have || score > best_score) { /* first maximum, as numpy's argmax */
            best_x = x;
            best_score = score;
            have = 1;
        }
    }
    estimator_free(&l);
    estimator_free(&g);
    return best_x;
}

/* Early stopping at epoch boundaries: ASHA and the median stopping rule (see search.h). Every trial's
 * per-epoch values are kept; a rung's competitors are the trials with a value at that rung's epoch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"
#include "str_map.h"

typedef struct {
    int count;     /* epochs recorded: values[0..count) for epochs 1..count, NaN = missing */
    double *values;
} Curve;

struct Stopper {
    SweepEarlyTerminate rule;
    int maximize;
    Curve *curves;
    int count, cap;
    StrMap index; /* trial key -> its curve */
};

Stopper *stopper_create(const Sweep *sweep) {
    Stopper *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->rule = sweep->early_terminate;
    st->maximize = sweep->maximize;
    return st;
}

void stopper_free(Stopper *st) {
    if (!st) return;
    for (int i = 0; i < st->count; i++) free(st->curves[i].values);
    free(st->curves);
    str_map_free(&st->index);
    free(st);
}

static Curve *curve_of(Stopper *st, const char *key) {
    int known = str_map_get(&st->index, key);
    if (known >= 0) return &st->curves[known];
    if (st->count == st->cap) {
        int cap = st->cap ? 2 * st->cap : 64;
        Curve *grown = realloc(st->curves, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        st->curves = grown;
        st->cap = cap;
    }
    if (str_map_put(&st->index, key, st->count)) return NULL;
    Curve *c = &st->curves[st->count++];
    memset(c, 0, sizeof *c);
    return c;
}

static double value_at(const Curve *c, int epoch) { return epoch >= 1 && epoch <= c->count ? c->values[epoch - 1] : NAN; }

static Curve *record(Stopper *st, const char *key, int epoch, double value) {
    if (epoch < 1) return NULL;
    Curve *c = curve_of(st, key);
    if (!c) return NULL;
    if (epoch > c->count) {
        double *grown = realloc(c->values, (size_t)epoch * sizeof *grown);
        if (!grown) return NULL;
        for (int e = c->count; e < epoch; e++) grown[e] = NAN;
        c->values = grown;
        c->count = epoch;
    }
    c->values[epoch - 1] = value;
    return c;
}

void stopper_record(Stopper *st, const char *key, int epoch, double value) { record(st, key, epoch, value); }

/* a better than b under the goal */
static int better(const Stopper *st, double a, double b) { return st->maximize ? a > b : a < b; }

static int cmp_asc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int asha(Stopper *st, const Curve *me, int epoch, double value, char reason[256]) {
    int rung = -1;
    for (int k = 0; k < st->rule.rung_count; k++)
        if (st->rule.rungs[k] == epoch) rung = k;
    if (rung < 0) return 0;
    double *vals = malloc((size_t)st->count * sizeof *vals);
    if (!vals) return 0;
    int n = 0;
    for (int i = 0; i < st->count; i++) {
        double v = value_at(&st->curves[i], epoch);
        if (!isnan(v)) vals[n++] = v;
    }
    (void)me;
    qsort(vals, (size_t)n, sizeof *vals, cmp_asc);
    int promote = n / st->rule.eta;
    if (promote < 1) promote = 1; /* the first trials at a rung: only the best so far goes on */
    double cutoff = st->maximize ? vals[n - promote] : vals[promote - 1];
    free(vals);
    if (!better(st, cutoff, value)) return 0;
    snprintf(reason, 256, "asha: epoch %d rung, %.4g not in top 1/%d (cutoff %.4g, %d trials at the rung)", epoch, value,
             st->rule.eta, cutoff, n);
    return 1;
}

static int median(Stopper *st, const Curve *me, int epoch, char reason[256]) {
    if (epoch <= st->rule.warmup_epochs) return 0;
    double best = NAN;
    for (int e = 1; e <= epoch; e++) {
        double v = value_at(me, e);
        if (!isnan(v) && (isnan(best) || better(st, v, best))) best = v;
    }
    if (isnan(best)) return 0;
    double *avgs = malloc((size_t)st->count * sizeof *avgs);
    if (!avgs) return 0;
    int n = 0;
    for (int i = 0; i < st->count; i++) {
        const Curve *c = &st->curves[i];
        if (c == me || isnan(value_at(c, epoch))) continue;
        double sum = 0;
        int k = 0;
        for (int e = 1; e <= epoch; e++) {
            double v = value_at(c, e);
            if (!isnan(v)) {
                sum += v;
                k++;
            }
        }
        avgs[n++] = sum / k;
    }
    int stop = 0;
    if (n >= st->rule.min_trials) {
        qsort(avgs, (size_t)n, sizeof *avgs, cmp_asc);
        double med = n % 2 ? avgs[n / 2] : 0.5 * (avgs[n / 2 - 1] + avgs[n / 2]);
        if (better(st, med, best)) {
            snprintf(reason, 256, "median: epoch %d, best %.4g worse than the median %.4g of %d trials' running averages",
                     epoch, best, med, n);
            stop = 1;
        }
    }
    free(avgs);
    return stop;
}

int stopper_should_stop(Stopper *st, const char *trial_key, int epoch, double value, char reason[256]) {
    if (reason) reason[0] = '\0';
    Curve *me = record(st, trial_key, epoch, value);
    if (!me || isnan(value) || st->rule.type == SWEEP_STOP_NONE) return 0;
    char scratch[256];
    char *why = reason ? reason : scratch;
    if (st->rule.type == SWEEP_STOP_ASHA) return asha(st, me, epoch, value, why);
    return median(st, me, epoch, why);
}

/* Statistics of the report's analysis (report_stats.h). */
#include "report_stats.h"

#include <math.h>
#include <stdlib.h>

#include "report_sort.h"

Stat stat_of(const double *values, int n) {
    Stat s = {NAN, NAN, 0};
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(values[i])) sum += values[i], s.n++;
    if (!s.n) return s;
    s.mean = sum / s.n;
    if (s.n > 1) {
        double ss = 0;
        for (int i = 0; i < n; i++)
            if (!isnan(values[i])) ss += (values[i] - s.mean) * (values[i] - s.mean);
        s.std = sqrt(ss / (s.n - 1));
    }
    return s;
}

int stats_ranks(const double *v, int n, double *ranks) {
    SortKey *order = malloc((size_t)n * sizeof *order + 1);
    if (!order) return -1;
    for (int i = 0; i < n; i++) order[i] = (SortKey){v[i], 0, i};
    sort_keys(order, n);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[order[j + 1].index] == v[order[i].index]) j++;
        double rank = (i + j) / 2.0 + 1.0;
        for (int k = i; k <= j; k++) ranks[order[k].index] = rank;
        i = j + 1;
    }
    free(order);
    return 0;
}

static double pearson(const double *x, const double *y, int n) {
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= n, my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

int stats_spearman(const double *x, const double *y, int n, double *rho) {
    double *rx = malloc(((size_t)n + 1) * sizeof *rx), *ry = malloc(((size_t)n + 1) * sizeof *ry);
    int rc = -1;
    if (rx && ry && !stats_ranks(x, n, rx) && !stats_ranks(y, n, ry)) {
        *rho = pearson(rx, ry, n);
        rc = 0;
    }
    free(rx), free(ry);
    return rc;
}

double stats_ss_between(const double *y, const int *cls, int n, int k, double mean) {
    double *sum = calloc((size_t)k + 1, sizeof *sum);
    int *cnt = calloc((size_t)k + 1, sizeof *cnt);
    double ss = NAN;
    if (sum && cnt) {
        for (int i = 0; i < n; i++) sum[cls[i]] += y[i], cnt[cls[i]]++;
        ss = 0;
        for (int c = 0; c < k; c++)
            if (cnt[c]) ss += cnt[c] * (sum[c] / cnt[c] - mean) * (sum[c] / cnt[c] - mean);
    }
    free(sum), free(cnt);
    return ss;
}

int stats_pareto_front(const double *cost, const double *loss, int n, int *front) {
    SortKey *order = malloc((size_t)n * sizeof *order + 1);
    if (!order) return -1;
    for (int i = 0; i < n; i++) order[i] = (SortKey){cost[i], loss[i], i};
    sort_keys(order, n);
    /* cheapest first: a point is on the front when it beats every cheaper one */
    int count = 0;
    double best = NAN;
    for (int i = 0; i < n; i++)
        if (isnan(best) || loss[order[i].index] < best) best = loss[order[i].index], front[count++] = order[i].index;
    free(order);
    return count;
}

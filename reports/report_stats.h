/* The statistics the report's analysis uses: mean ± sample std, average ranks and Spearman's rho, the
 * between-class sum of squares of eta squared, and Pareto fronts. Plain arrays in, numbers out: no runs,
 * no formats. */
#ifndef COHORT_REPORT_STATS_H
#define COHORT_REPORT_STATS_H

/* mean and sample standard deviation (n - 1); mean NaN when n = 0, std NaN when n < 2. */
typedef struct {
    double mean, std;
    int n;
} Stat;

/* Over the values that are not NaN. */
Stat stat_of(const double *values, int n);

/* Average ranks (1-based, ties share their mean rank) of v[0..n). -1 when out of memory. */
int stats_ranks(const double *v, int n, double *ranks);

/* Spearman's rank correlation of x and y (n pairs) into *rho: NaN when either is constant. -1 when out of
 * memory. */
int stats_spearman(const double *x, const double *y, int n, double *rho);

/* Sum of squares between the classes cls[i] in [0, k) of y (n values), around mean; NaN when out of memory.
 * Divided by the total sum of squares it is eta squared. */
double stats_ss_between(const double *y, const int *cls, int n, int k, double mean);

/* The points no other beats on both cost (fewer is better) and loss (lower is better); neither may be NaN.
 * Writes their indices to front[0..return), fewest cost first; ties on cost go to the lower loss, then the
 * lower index. -1 when out of memory. */
int stats_pareto_front(const double *cost, const double *loss, int n, int *front);

#endif

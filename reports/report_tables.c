/* The report's tables as rows (report_tables.h): built once, so the formats agree on order, bold and caps. */
#include "report_tables.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "report_sort.h"

static int rows_alloc(TableRows *t, int n, int with_best) {
    t->index = calloc((size_t)n + 1, sizeof *t->index);
    if (with_best) t->best = calloc((size_t)n + 1, sizeof *t->best);
    return t->index && (!with_best || t->best) ? 0 : -1;
}

static void rows_free(TableRows *t) {
    free(t->index), free(t->best);
    memset(t, 0, sizeof *t);
}

static double column_mean(const ConfigSummary *cs, StatColumn col) {
    return col == COL_METRIC ? cs->metric.mean : col == COL_TOP1 ? cs->top1.mean : cs->top5.mean;
}

static MetricId column_metric(const ReportData *d, StatColumn col) {
    return col == COL_METRIC ? d->metric : col == COL_TOP1 ? MET_TEST_TOP1 : MET_TEST_TOP5;
}

/* Equal up to rounding: the best value may be reached by several rows, each shown in bold. */
static int same(double a, double b) { return !isnan(a) && !isnan(b) && fabs(a - b) <= 1e-12 * fmax(1, fabs(a)); }

/* Marks the rows t->best[i] (configs[i]: a configuration, or -1 for none) whose mean is the best of its
 * column among configs[0..n), which may be more than the rows shown. */
static void mark_best(const ReportData *d, TableRows *t, const int *configs, int n) {
    for (int col = 0; col < STAT_COLUMNS; col++) {
        double best = NAN;
        for (int i = 0; i < n; i++)
            if (configs[i] >= 0 && metric_better(column_metric(d, col), column_mean(&d->configs[configs[i]], col), best))
                best = column_mean(&d->configs[configs[i]], col);
        for (int i = 0; i < t->count; i++)
            t->best[i][col] = configs[i] >= 0 && same(column_mean(&d->configs[configs[i]], col), best);
    }
}

static int build_groups(const ReportData *d, ReportTables *t) {
    TableRows *g = &t->groups;
    int *best_configs = calloc((size_t)d->group_count + 1, sizeof *best_configs);
    if (!best_configs || rows_alloc(g, d->group_count, 1)) {
        free(best_configs);
        return -1;
    }
    for (int i = 0; i < d->group_count; i++) g->index[i] = i, best_configs[i] = d->groups[i].best_config;
    g->count = g->total = d->group_count;
    mark_best(d, g, best_configs, d->group_count);
    free(best_configs);
    return 0;
}

/* Every configuration by group (report order), the best mean metric first within it, then the index. */
static int build_configs(const ReportData *d, ReportTables *t) {
    int n = d->config_count, minimise = metric_minimise(d->metric);
    SortKey *keys = malloc(((size_t)n + 1) * sizeof *keys);
    if (!keys || rows_alloc(&t->configs, n, 0) || rows_alloc(&t->group_configs, n, 0) ||
        rows_alloc(&t->paper_configs, n, 1)) {
        free(keys);
        return -1;
    }
    for (int c = 0; c < n; c++)
        keys[c] = (SortKey){d->configs[c].group_index, sort_better_first(d->configs[c].metric.mean, minimise), c};
    sort_keys(keys, n);
    for (int i = 0, in_group = 0; i < n; i++) {
        const int c = keys[i].index;
        t->configs.index[t->configs.count++] = c;
        in_group = i > 0 && d->configs[c].group_index == d->configs[keys[i - 1].index].group_index ? in_group + 1 : 0;
        if (in_group < TABLE_GROUP_CONFIGS) t->group_configs.index[t->group_configs.count++] = c;
        if (d->configs[c].n > 0) t->paper_configs.index[t->paper_configs.total++] = c;
    }
    t->configs.total = t->group_configs.total = n;
    t->paper_configs.count = t->paper_configs.total < TABLE_PAPER_CONFIGS ? t->paper_configs.total : TABLE_PAPER_CONFIGS;
    mark_best(d, &t->paper_configs, t->paper_configs.index, t->paper_configs.total);
    free(keys);
    return 0;
}

static int build_ranked_configs(const ReportData *d, ReportTables *t) {
    int n = 0, minimise = metric_minimise(d->metric);
    SortKey *keys = malloc(((size_t)d->config_count + 1) * sizeof *keys);
    if (!keys || rows_alloc(&t->ranked_configs, d->config_count, 0)) {
        free(keys);
        return -1;
    }
    for (int c = 0; c < d->config_count; c++)
        if (d->configs[c].n > 0 && !isnan(d->configs[c].metric.mean))
            keys[n++] = (SortKey){sort_better_first(d->configs[c].metric.mean, minimise), 0, c};
    sort_keys(keys, n);
    t->ranked_configs.total = n;
    t->ranked_configs.count = n < TABLE_RANKED_CONFIGS ? n : TABLE_RANKED_CONFIGS;
    for (int i = 0; i < t->ranked_configs.count; i++) t->ranked_configs.index[i] = keys[i].index;
    free(keys);
    return 0;
}

static int build_runs(const ReportData *d, ReportTables *t) {
    int n = d->count, minimise = metric_minimise(d->metric);
    if (rows_alloc(&t->problems, d->problems, 0) || rows_alloc(&t->shown_problems, d->problems, 0) ||
        rows_alloc(&t->shown_runs, n, 0))
        return -1;
    for (int r = 0; r < n; r++)
        if (d->sums[r].problem) {
            t->problems.index[t->problems.count++] = r;
            if (t->shown_problems.count < TABLE_RUNS) t->shown_problems.index[t->shown_problems.count++] = r;
        }
    t->problems.total = t->shown_problems.total = t->problems.count;
    t->shown_runs.total = n;
    t->shown_runs.count = n < TABLE_RUNS ? n : TABLE_RUNS;
    if (n <= TABLE_RUNS) {
        for (int r = 0; r < n; r++) t->shown_runs.index[r] = r;
        return 0;
    }
    /* the best by the metric (finished first), then back in report order */
    SortKey *keys = malloc((size_t)n * sizeof *keys);
    if (!keys) return -1;
    for (int r = 0; r < n; r++)
        keys[r] = (SortKey){d->sums[r].finished ? 0 : 1, sort_better_first(d->sums[r].metric, minimise), r};
    sort_keys(keys, n);
    for (int i = 0; i < TABLE_RUNS; i++) keys[i] = (SortKey){keys[i].index, 0, keys[i].index};
    sort_keys(keys, TABLE_RUNS);
    for (int i = 0; i < TABLE_RUNS; i++) t->shown_runs.index[i] = keys[i].index;
    free(keys);
    return 0;
}

void report_tables_free(ReportTables *t) {
    TableRows *all[] = {&t->groups, &t->configs, &t->group_configs, &t->paper_configs, &t->ranked_configs,
                        &t->problems, &t->shown_problems, &t->shown_runs};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) rows_free(all[i]);
}

int report_tables_build(const ReportData *d, ReportTables *t, char *err) {
    memset(t, 0, sizeof *t);
    t->metric_column = d->metric != MET_TEST_TOP1 && d->metric != MET_TEST_TOP5;
    if (build_groups(d, t) || build_configs(d, t) || build_ranked_configs(d, t) || build_runs(d, t)) {
        report_tables_free(t);
        return err_set(err, "report: out of memory");
    }
    return 0;
}

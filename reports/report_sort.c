/* Ordering by precomputed keys (report_sort.h). */
#include "report_sort.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return a < b ? -1 : a > b;
}

static int cmp_key(const void *pa, const void *pb) {
    const SortKey *a = pa, *b = pb;
    int c = cmp_double(a->primary, b->primary);
    if (!c) c = cmp_double(a->secondary, b->secondary);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

void sort_keys(SortKey *keys, int n) {
    if (n > 1) qsort(keys, (size_t)n, sizeof *keys, cmp_key);
}

double sort_better_first(double value, int minimise) { return minimise ? value : -value; }

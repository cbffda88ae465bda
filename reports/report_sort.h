/* Ordering by precomputed keys: each element carries its keys and its index, so the comparison needs no
 * global state (qsort_r is not C11) and ties always fall back to the index (a stable, defined order). */
#ifndef COHORT_REPORT_SORT_H
#define COHORT_REPORT_SORT_H

typedef struct {
    double primary, secondary; /* ascending; NaN after every number */
    int index;                 /* the element's index: last key, and what the caller reads back */
} SortKey;

void sort_keys(SortKey *keys, int n);

/* A metric value as an ascending key: better first (a maximised metric is negated); NaN stays NaN (last). */
double sort_better_first(double value, int minimise);

#endif

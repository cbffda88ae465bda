/* See metrics.h: the one table of metric names, labels and directions. */
#include "metrics.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name, *label;
    int minimise, decimals;
} METRICS[MET_COUNT] = {
    [MET_TEST_TOP1] = {"test_top1", "test top-1 (%)", 0, 2},
    [MET_TEST_TOP5] = {"test_top5", "test top-5 (%)", 0, 2},
    [MET_TEST_LOSS] = {"test_loss", "test loss", 1, 4},
    [MET_TRAIN_LOSS] = {"train_loss", "train loss", 1, 4},
    [MET_TRAIN_TOP1] = {"train_top1", "train top-1 (%)", 0, 2},
    [MET_VAL_LOSS] = {"val_loss", "validation loss", 1, 4},
    [MET_VAL_TOP1] = {"val_top1", "validation top-1 (%)", 0, 2},
};

const char *metric_name(MetricId m) { return METRICS[m].name; }
const char *metric_label(MetricId m) { return METRICS[m].label; }
int metric_minimise(MetricId m) { return METRICS[m].minimise; }
int metric_decimals(MetricId m) { return METRICS[m].decimals; }

int metric_find(const char *name) {
    for (int m = 0; m < MET_COUNT; m++)
        if (!strcmp(name, METRICS[m].name)) return m;
    return -1;
}

double metric_value(const EpochMetrics *e, MetricId m) {
    switch (m) {
    case MET_TEST_TOP1: return e->test_top1;
    case MET_TEST_TOP5: return e->test_top5;
    case MET_TEST_LOSS: return e->test_loss;
    case MET_TRAIN_LOSS: return e->train_loss;
    case MET_TRAIN_TOP1: return e->train_top1;
    case MET_VAL_LOSS: return e->val_loss;
    case MET_VAL_TOP1: return e->val_top1;
    default: return NAN;
    }
}

int metric_better(MetricId m, double a, double b) {
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return METRICS[m].minimise ? a < b : a > b;
}

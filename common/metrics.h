/* What a run reports after every epoch, and the table of the metrics a sweep or a report may rank runs by.
 * Accuracies are percentages (0..100); losses are mean cross-entropy per image (with label smoothing when it
 * is on); val_* are NaN when there is no validation split. */
#ifndef COHORT_METRICS_H
#define COHORT_METRICS_H

typedef struct {
    int epoch;                /* 1-based */
    double train_loss;        /* mean over the epoch's training images, in training mode */
    double train_top1;        /* % of training images classified right during the epoch (training mode) */
    double val_loss, val_top1;
    double test_loss, test_top1, test_top5;
    double lr;                /* learning rate at the last step of the epoch */
    double wall_seconds;      /* training + evaluation wall time of this epoch */
    double images_per_sec;    /* training images per second (forward + backward + step) */
    double train_objective;   /* models with auxiliary heads: the loss training minimised, the main head's (train_loss)
                               * plus each auxiliary head's times its weight; NaN for every other model */
} EpochMetrics;

/* The per-epoch metrics that rank runs, by the names sweep files, `cohort report --metric` and the
 * database's columns use. */
typedef enum {
    MET_TEST_TOP1,
    MET_TEST_TOP5,
    MET_TEST_LOSS,
    MET_TRAIN_LOSS,
    MET_TRAIN_TOP1,
    MET_VAL_LOSS,
    MET_VAL_TOP1,
    MET_COUNT
} MetricId;

const char *metric_name(MetricId m);  /* "test_top1" */
const char *metric_label(MetricId m); /* "test top-1 (%)" */
int metric_minimise(MetricId m);      /* losses */
int metric_decimals(MetricId m);      /* digits after the point a table shows */
/* The metric called name, or -1 when there is none. */
int metric_find(const char *name);
double metric_value(const EpochMetrics *e, MetricId m);
/* a better than b (NaN is never better; anything beats NaN). */
int metric_better(MetricId m, double a, double b);

#endif

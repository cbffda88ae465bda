/* One training run: data in, per-epoch metrics out through hooks. No MPI, no SQLite: the runner decides
 * where the metrics go. */
#ifndef COHORT_TRAIN_H
#define COHORT_TRAIN_H

#include <stdint.h>

#include "config.h"
#include "data.h"
#include "errors.h"
#include "metrics.h"

typedef struct {
    /* Called once the model is built, before the first epoch. */
    void (*on_start)(int64_t param_count, void *user);
    /* Called after every epoch; return non-zero to stop the run after this epoch. */
    int (*on_epoch)(const EpochMetrics *metrics, void *user);
    void *user;
} TrainHooks;

typedef enum {
    TRAIN_FINISHED = 0,  /* all epochs done */
    TRAIN_STOPPED,       /* a hook asked to stop */
    TRAIN_DIVERGED,      /* loss became NaN or infinite */
    TRAIN_FAILED,        /* could not build or allocate; err says why */
} TrainOutcome;

typedef struct {
    TrainOutcome outcome;
    int64_t param_count;
    int epochs_done;
} TrainResult;

/* Trains cfg->model on data for cfg->epochs. Returns 0 when the run ended as planned or was stopped,
 * non-zero (with err) when it failed or diverged; result says which. */
int train_run(const TrainConfig *cfg, const DataSplits *data, const TrainHooks *hooks, TrainResult *result,
              char err[ERR_LEN]);

/* Evaluation over a whole dataset in evaluation mode (BN running statistics, no dropout). */
typedef struct {
    double loss, top1, top5; /* mean loss; accuracies in % */
} EvalResult;

#endif

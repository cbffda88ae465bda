/* One training run: data in, per-epoch metrics out through hooks. No MPI, no SQLite: the runner decides
 * where the metrics go. */
#ifndef COHORT_TRAIN_H
#define COHORT_TRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "data.h"
#include "errors.h"
#include "metrics.h"

typedef struct {
    /* Called once the model is built, before the first epoch. */
    void (*on_start)(int64_t param_count, void *user);
    /* Called after every epoch (once its checkpoint is written); return non-zero to stop the run here. */
    int (*on_epoch)(const EpochMetrics *metrics, void *user);
    /* Called after a checkpoint was loaded, with the metrics of the epochs it holds. */
    void (*on_resume)(int epochs_done, const EpochMetrics *history, void *user);
    /* Called after every optimiser step (a liveness signal; keep it cheap, e.g. rate-limited). May be NULL. */
    void (*on_step)(void *user);
    void *user;
    const char *checkpoint_path;      /* written after every epoch and on preemption; NULL = no checkpoints */
    bool resume;                      /* continue from checkpoint_path when the file exists */
    volatile sig_atomic_t *preempt;   /* becomes non-zero: checkpoint at the next batch boundary and return */
    /* The ranks training this trial together (cfg->ranks_per_trial of them; data_parallel.h), or NULL for one.
     * Rank 0 of the group loads and writes the checkpoint and is the one whose hooks report; every rank runs
     * the same steps. */
    const struct Collectives *collectives;
} TrainHooks;

typedef enum {
    TRAIN_FINISHED = 0,  /* all epochs done */
    TRAIN_STOPPED,       /* a hook asked to stop */
    TRAIN_DIVERGED,      /* loss became NaN or infinite */
    TRAIN_FAILED,        /* could not build or allocate; err says why */
    TRAIN_PREEMPTED,     /* *preempt was set: checkpointed mid-epoch, resume to continue */
    TRAIN_LOST,          /* a rank of the data-parallel group was lost; err says so (retry from the checkpoint) */
} TrainOutcome;

typedef struct {
    TrainOutcome outcome;
    int64_t param_count;
    double forward_flops;  /* FLOPs of one image's forward pass (x2 per multiply-add), set before on_start */
    int epochs_done;
} TrainResult;

/* Trains cfg->model on data for cfg->epochs. Returns 0 when the run ended as planned, was stopped or was
 * preempted, non-zero (with err) when it failed, diverged or lost a rank; result->outcome says which. */
int train_run(const TrainConfig *cfg, const DataSplits *data, const TrainHooks *hooks, TrainResult *result,
              char err[ERR_LEN]);

/* The rank of the true class among the logits [classes] (0 = top-1): the classes scoring higher, and of those
 * scoring the same the ones of a lower index (argmax takes the first maximum, so all-equal logits are right only
 * for class 0, not for every class); a NaN logit counts as higher, a NaN true logit ranks last. */
int true_class_rank(const real *logits, int label, int classes);

/* Evaluation over a whole dataset in evaluation mode (BN running statistics, no dropout). */
typedef struct {
    double loss, top1, top5; /* mean loss; accuracies in % */
} EvalResult;

#endif

/* Data-parallel training: one trial on K ranks whose results do not depend on K.
 *
 * Semantics. With `micro_batch: M` every mini-batch of B images is cut into S = ceil(B / M) micro-batches
 * (shards) of M images (the last may be smaller), in the batch's order. Each shard runs forward and backward
 * on its own, as if it were a mini-batch: batch norm normalises it by its own statistics (what data-parallel
 * PyTorch without SyncBatchNorm does with M images per GPU), dropout draws from a stream of its own (seed,
 * step, shard). The step's gradient is the sum over shards of each shard's gradient times (its images / B),
 * i.e. the gradient of the mean loss over the B images; the BN running statistics move by the mean over the
 * shards of what each shard alone would have made of them. Shard s is trained by rank s mod K.
 *
 * Why the result is the same for every K: a float sum depends on its order, and an allreduce's order depends
 * on K and on the MPI library. So gradients are summed as integers. For each block of GRAD_BLOCK gradient
 * elements the ranks agree (max) on an exponent e with |g| < 2^e for every shard's g, and each shard's g
 * becomes round(g * 2^(61 - ceil(log2 S) - e)), an int64; integer addition is exact and associative, so the
 * allreduce's sum is the same whatever the ranks and order, and the float gradient is taken back from it.
 * (The fixed-point step is 2^-(61 - log2 S) of the block's largest value: about 2^-59 for S = 4, finer than
 * the float rounding a float sum would incur, for every element within 2^31 of the block's largest.) Per-shard
 * figures (loss, correct count, BN statistics) travel in rows, one per shard, that only the shard's rank
 * fills: summing zeros moves them exactly, and every rank then combines the rows in shard order.
 *
 * The engine stays free of MPI: the runner supplies the two collectives. K = 1 needs none (NULL). */
#ifndef COHORT_DATA_PARALLEL_H
#define COHORT_DATA_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "data.h"
#include "errors.h"
#include "eval_model.h"
#include "model.h"

/* Gradient elements per exponent block. */
#define GRAD_BLOCK 1024

/* The ranks of one trial. Each call is collective: every rank calls it with the same n, in the same order.
 * A non-zero return means the group is broken (a rank was lost); the trial then ends without a result. */
typedef struct Collectives {
    int rank, size;
    int (*max_i32)(int32_t *values, size_t n, void *user); /* element-wise maximum over the ranks, in place */
    int (*sum_i64)(int64_t *values, size_t n, void *user); /* element-wise sum over the ranks, in place */
    void *user;
} Collectives;

typedef struct DataParallel DataParallel;

/* For a model built for max_batch = cfg->micro_batch, mini-batches of up to `batch` images. coll may be NULL
 * (one rank). */
int dp_create(DataParallel **out, const Model *model, const TrainConfig *cfg, int batch, const Collectives *coll,
              char err[ERR_LEN]);
void dp_free(DataParallel *dp);
int dp_rank(const DataParallel *dp);
int dp_size(const DataParallel *dp);

/* What one data-parallel step gives every rank alike. */
typedef struct {
    double loss_sum;      /* sum over the batch's images of the main head's loss */
    double objective_sum; /* of the training objective (with auxiliary heads) */
    long correct;         /* images whose top-1 was right */
    int finite;           /* 0: a loss or gradient was NaN or infinite (the run diverged) */
    int stop;             /* some rank asked to stop (its stop_local was non-zero) */
} DpStep;

/* One step over the B images at x (layout [C][B][H][W]) and labels: this rank's shards forward and backward,
 * the gradient and the BN running statistics combined over all ranks into model->grads and model->buffers
 * (the optimiser step is the caller's). `step` numbers the run's optimiser steps (it seeds dropout).
 * stop_local is this rank's wish to stop after this step; out->stop is the group's. Non-zero: the group broke. */
int dp_train_step(DataParallel *dp, Model *model, const real *x, const int32_t *labels, int B, real smoothing,
                  long step, int stop_local, DpStep *out, char err[ERR_LEN]);

/* Evaluation over a whole dataset in micro-batches of the evaluation form (eval_model.h, refreshed by the
 * caller), spread over the ranks; every rank gets the same figures. x, labels and probs hold one micro-batch.
 * Non-zero: the group broke. */
int dp_evaluate(DataParallel *dp, EvalModel *eval, const Dataset *d, int32_t *order, real *x, int32_t *labels,
                real *probs, real smoothing, double *loss, double *top1, double *top5, char err[ERR_LEN]);

/* The maximum of one flag over the ranks (e.g. "stop now"). Non-zero: the group broke. */
int dp_agree(DataParallel *dp, int *flag, char err[ERR_LEN]);

/* Copies rank 0's bytes [n] to every rank. Non-zero: the group broke. */
int dp_broadcast(DataParallel *dp, void *bytes, size_t n, char err[ERR_LEN]);

#endif

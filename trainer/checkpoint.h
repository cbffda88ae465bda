/* Checkpoints: everything a run needs to continue bit-identically — parameters, BN running statistics,
 * optimiser state, RNG states, the position in the epoch and the metrics of the epochs done so far — and the
 * run's settings, so that a checkpoint alone can rebuild its model (`cohort predict`, `cohort features`).
 *
 * File layout (little-endian, as written by this machine):
 *   CheckpointHeader | params [param_count] | buffers [buffer_count] | optimiser state [state_count] |
 *   history EpochMetrics [epochs_done] | settings text [config_bytes] ("key=value" lines, version 3) |
 *   uint32 CRC-32 (zlib) of everything before it
 * Written to PATH.tmp, fsync'd, then renamed over PATH, so a crash leaves the old or the new file. */
#ifndef COHORT_CHECKPOINT_H
#define COHORT_CHECKPOINT_H

#include <stdint.h>

#include "errors.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "rng.h"

#define CHECKPOINT_VERSION 3 /* 2: EpochMetrics.train_objective; 3: the settings text */
#include "config.h"

/* Where a run stands: `next_epoch` is the epoch in progress (or about to start), `position` the index of
 * its next training image (0 at an epoch boundary). */
typedef struct {
    int next_epoch;
    int position;
    long step;                 /* global optimiser steps done */
    double epoch_loss_sum;     /* accumulators of the epoch in progress */
    double epoch_objective_sum;
    long epoch_correct;
    double epoch_train_seconds;
    Rng shuffle_at_epoch_start; /* shuffle RNG before this epoch's shuffle (replayed on resume) */
    Rng augment, dropout;
    int epochs_done;
    EpochMetrics *history;     /* [epochs_done], owned by the caller */
    const TrainConfig *config; /* saved: the run's settings, stored as text (NULL: none) */
} TrainState;

int checkpoint_save(const char *path, const Model *model, const Optimizer *opt, const TrainState *state,
                    uint64_t config_fingerprint, char err[ERR_LEN]);
/* Loads into an already built model and optimiser of the same shape. Refuses (non-zero, err) a file that
 * is corrupt, of another version or precision, or made for another config (fingerprint) or model.
 * state->history is malloc'd (or NULL). */
int checkpoint_load(const char *path, Model *model, Optimizer *opt, TrainState *state, uint64_t config_fingerprint,
                    char err[ERR_LEN]);

/* Checks a checkpoint file on its own, without building its model: a Cohort checkpoint of this version and
 * precision, made for config_fingerprint, exactly as long as its header says and with a matching CRC.
 * 0 when it is sound; non-zero with err ("...: checkpoint checksum mismatch (corrupt file)", "...: checkpoint
 * is truncated", ...) otherwise. Reads the file once, in 16 KiB pieces. */
int checkpoint_verify(const char *path, uint64_t config_fingerprint, char err[ERR_LEN]);

/* The settings a checkpoint was made with, checked against its fingerprint, and the model name it holds.
 * Verifies the whole file first (as checkpoint_verify). A version-2 checkpoint has no settings: refused with a
 * message saying so. */
int checkpoint_read_config(const char *path, TrainConfig *cfg, char err[ERR_LEN]);
/* Loads only the parameters and buffers (BN statistics) into a model built from checkpoint_read_config's
 * settings: for inference. Refuses a checkpoint of another model or shape, or a corrupt one. */
int checkpoint_load_weights(const char *path, Model *model, char err[ERR_LEN]);
/* What a checkpoint's header says, read without the rest of the file (checkpoint_verify checks that):
 * the model, the epochs it holds, the config fingerprint and the parameter count. Non-zero with err for a
 * file that cannot be read or is not a Cohort checkpoint of this version and precision. */
typedef struct {
    char model[32];
    int epochs_done;
    uint64_t config_fingerprint;
    uint64_t param_count;
} CheckpointInfo;
int checkpoint_info(const char *path, CheckpointInfo *info, char err[ERR_LEN]);

#endif

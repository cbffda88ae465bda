/* Running one trial: the part shared by a worker rank and a single-rank sweep (its config is read by
 * trial_identity.h). */
#ifndef COHORT_TRIAL_H
#define COHORT_TRIAL_H

#include <cjson/cJSON.h>

#include "config.h"
#include "data.h"
#include "errors.h"
#include "train.h"
#include "trial_identity.h" /* trial_config_from_json, trial_config_from_text */


/* Loaded datasets are kept between trials that read the same data (same dataset, directory and options). */
typedef struct {
    char key[1024];
    DataSplits splits;
    int loaded;
} DataCache;

int data_cache_get(DataCache *cache, const TrainConfig *cfg, const DataSplits **splits, char err[ERR_LEN]);
void data_cache_free(DataCache *cache);

/* OpenBLAS threads for a trial: the config's `threads`, or cores / (training ranks on this node). */
int trial_threads(const TrainConfig *cfg, int training_ranks_on_node);

/* A kept copy of a run's checkpoint `path` (DIR/run-N.ckpt): kind "best" gives DIR/run-N.best.ckpt, kind
 * "epoch" DIR/run-N.epoch-E.ckpt; anything else path itself (the last). */
void kept_checkpoint_path(const char *path, const char *kind, int epoch, char *out, size_t size);

#endif

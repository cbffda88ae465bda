/* A trained model from a checkpoint, for `cohort eval` and `cohort export`: the model cfg describes, built for
 * the input shape and class count given, with the checkpoint's parameters and batch-norm statistics. */
#ifndef COHORT_CHECKPOINT_MODEL_H
#define COHORT_CHECKPOINT_MODEL_H

#include "checkpoint.h"
#include "config.h"
#include "model.h"

/* Checks the file (header and CRC: checkpoint_info, checkpoint_verify), builds cfg's model for max_batch images
 * of C x H x W and `classes`, and loads the checkpoint into it; the file's own config fingerprint is accepted
 * (the data settings may differ from training's), the model's name and parameter count must match. *steps
 * (may be NULL) receives the optimiser steps the checkpoint's run took. Non-zero with err naming the file. */
int checkpoint_model_load(const char *path, const TrainConfig *cfg, int C, int H, int W, int classes, int max_batch,
                          Model **model, CheckpointInfo *info, long *steps, char err[ERR_LEN]);

#endif

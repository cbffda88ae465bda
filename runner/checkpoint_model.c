#include "checkpoint_model.h"

#include <stdlib.h>
#include <string.h>

#include "optim.h"

int checkpoint_model_load(const char *path, const TrainConfig *cfg, int C, int H, int W, int classes, int max_batch,
                          Model **model, CheckpointInfo *info, long *steps, char err[ERR_LEN]) {
    *model = NULL;
    if (checkpoint_info(path, info, err) || checkpoint_verify(path, info->config_fingerprint, err)) return -1;
    Optimizer opt = {0};
    TrainState st = {0};
    if (model_create(model, cfg->model, cfg, C, H, W, classes, max_batch, cfg->seed, err) ||
        optimizer_init(&opt, cfg, *model, err) ||
        checkpoint_load(path, *model, &opt, &st, info->config_fingerprint, err)) {
        optimizer_free(&opt);
        if (*model) model_free(*model);
        *model = NULL;
        return -1;
    }
    if (steps) *steps = st.step;
    free(st.history);
    optimizer_free(&opt);
    return 0;
}

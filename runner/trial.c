#include "trial.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Everything data_load reads from the config. */
static void data_key(const TrainConfig *c, char *key, size_t size) {
    snprintf(key, size, "%s|%s|%d|%d|%.17g|%d|%d|%s|%d|%d|%d|%d", c->dataset, c->data_dir, c->pad, c->coarse_labels,
             c->val_split, c->train_limit, c->test_limit, c->input_shape, c->classes, c->synthetic_train,
             c->synthetic_test, c->image_size);
}

int data_cache_get(DataCache *cache, const TrainConfig *cfg, const DataSplits **splits, char err[ERR_LEN]) {
    char key[sizeof cache->key];
    data_key(cfg, key, sizeof key);
    if (!cache->loaded || strcmp(key, cache->key) != 0) {
        data_cache_free(cache);
        if (data_load(&cache->splits, cfg, err)) return -1;
        cache->loaded = 1;
        strcpy(cache->key, key);
    }
    *splits = &cache->splits;
    return 0;
}

void data_cache_free(DataCache *cache) {
    if (cache->loaded) data_free(&cache->splits);
    cache->loaded = 0;
    cache->key[0] = '\0';
}

int trial_threads(const TrainConfig *cfg, int training_ranks_on_node) {
    if (cfg->threads > 0) return cfg->threads;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (training_ranks_on_node < 1) training_ranks_on_node = 1;
    long t = cores / training_ranks_on_node;
    return t < 1 ? 1 : (int)t;
}

void kept_checkpoint_path(const char *path, const char *kind, int epoch, char *out, size_t size) {
    size_t stem = strlen(path);
    if (stem >= 5 && !strcmp(path + stem - 5, ".ckpt")) stem -= 5;
    if (!strcmp(kind, "best")) snprintf(out, size, "%.*s.best.ckpt", (int)stem, path);
    else if (!strcmp(kind, "epoch")) snprintf(out, size, "%.*s.epoch-%d.ckpt", (int)stem, path, epoch);
    else snprintf(out, size, "%s", path);
}

#include "trial.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int trial_config_from_json(const cJSON *config, TrainConfig *cfg, char err[ERR_LEN]) {
    if (!cJSON_IsObject(config)) return err_set(err, "trial config is not a JSON object");
    const cJSON *item;
    cJSON_ArrayForEach(item, config) {
        char text[64];
        const char *value = text;
        if (cJSON_IsString(item)) value = item->valuestring;
        else if (cJSON_IsBool(item)) value = cJSON_IsTrue(item) ? "true" : "false";
        else if (cJSON_IsNumber(item)) {
            double v = item->valuedouble;
            if (v == floor(v) && fabs(v) < 9e15) snprintf(text, sizeof text, "%.0f", v);
            else snprintf(text, sizeof text, "%.17g", v);
        } else return err_set(err, "%s: expected a number, string or boolean", item->string);
        if (train_config_set(cfg, item->string, value, err)) return -1;
    }
    return train_config_validate(cfg, err);
}

int trial_config_from_text(const char *json_text, TrainConfig *cfg, char err[ERR_LEN]) {
    cJSON *config = cJSON_Parse(json_text);
    if (!config) return err_set(err, "trial config is not valid JSON");
    int rc = trial_config_from_json(config, cfg, err);
    cJSON_Delete(config);
    return rc;
}

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

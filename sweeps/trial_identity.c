#include "trial_identity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "objective.h"

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

int trial_identity_from_json(TrialIdentity *id, cJSON *config) {
    memset(id, 0, sizeof *id);
    id->config = config;
    id->ranks = 1;
    train_config_defaults(&id->train);
    if (!config) return err_set(id->error, "trial config is not valid JSON");
    /* Read from the JSON itself, so that a config the trainer refuses still asks for what it says. */
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(config, "ranks_per_trial");
    if (cJSON_IsNumber(k) && k->valuedouble >= 1) id->ranks = (int)k->valuedouble;
    id->objective = objective_is_trial(config);
    if (id->objective) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(config, "function"),
                    *sd = cJSON_GetObjectItemCaseSensitive(config, "seed");
        snprintf(id->model, sizeof id->model, "%s", OBJECTIVE_MODEL);
        snprintf(id->dataset, sizeof id->dataset, "%s", cJSON_IsString(f) ? f->valuestring : "analytic");
        id->seed = cJSON_IsNumber(sd) ? (uint64_t)sd->valuedouble : 0;
        id->epochs = objective_epochs(config);
        return objective_check(config, id->error);
    }
    int rc = trial_config_from_json(config, &id->train, id->error);
    snprintf(id->model, sizeof id->model, "%s", id->train.model);
    snprintf(id->dataset, sizeof id->dataset, "%s", id->train.dataset);
    id->seed = id->train.seed;
    id->epochs = id->train.epochs;
    return rc;
}

int trial_identity_from_text(TrialIdentity *id, const char *json_text) {
    return trial_identity_from_json(id, json_text ? cJSON_Parse(json_text) : NULL);
}

void trial_identity_free(TrialIdentity *id) {
    cJSON_Delete(id->config);
    id->config = NULL;
}

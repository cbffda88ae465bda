/* Grid search: every combination of the parameters' values.
 *
 * Trials come out in odometer order over the parameters in file order, the last one turning fastest, so
 * the order a user reads in the file is the order trials run. A trial's key hashes only its config (not
 * its position), so growing a values list later leaves the existing trials' keys unchanged and a re-run
 * can skip what is already done. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sweep_internal.h"

/* The trial's config: every parameter, in key order. */
static cJSON *trial_config(const SweepSpec *spec, const int *digit) {
    cJSON *config = cJSON_CreateObject();
    for (int i = 0; config && i < spec->count; i++) {
        int p = spec->sorted[i];
        cJSON *v = cJSON_Duplicate(spec->params[p].values[digit[p]].json, 1);
        if (!v) {
            cJSON_Delete(config);
            return NULL;
        }
        cJSON_AddItemToObject(config, spec->params[p].key, v);
    }
    return config;
}

/* The combination as the trainer will see it: defaults, then each parameter, then the cross-key checks.
 * Each value passed train_config_set on its own already; what can fail here is the combination. */
static int check_trial(const SweepSpec *spec, const int *digit, char msg[ERR_LEN]) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    for (int p = 0; p < spec->count; p++)
        if (train_config_set(&cfg, spec->params[p].key, spec->params[p].values[digit[p]].text, msg)) return -1;
    return train_config_validate(&cfg, msg);
}

/* Open-addressing set of trial hashes, to drop repeated combinations (e.g. 0.1 and 0.10 in one list)
 * in O(1) each instead of comparing every pair. Slots hold trial index + 1; 0 is empty. */
typedef struct {
    size_t mask;
    int *slots;
    uint64_t *hashes; /* per kept trial */
} TrialSet;

/* Returns the index of an earlier trial with this hash, or -1 after inserting `index`. */
static int trial_set_add(TrialSet *set, uint64_t hash, int index) {
    size_t i = (size_t)hash & set->mask;
    while (set->slots[i]) {
        int other = set->slots[i] - 1;
        if (set->hashes[other] == hash) return other;
        i = (i + 1) & set->mask;
    }
    set->slots[i] = index + 1;
    set->hashes[index] = hash;
    return -1;
}

int sweep_grid_expand(const SweepSpec *spec, Sweep *out, char err[ERR_LEN]) {
    const char *file = spec->file;
    int line = spec->params_line, column = spec->params_column;

    /* total trials, refusing an explosion before allocating anything */
    long total = 1;
    for (int p = 0; p < spec->count; p++) {
        total *= spec->params[p].count;
        if (total > SWEEP_MAX_TRIALS)
            return sweep_error(err, file, line, column, "parameters", "the grid has more than %d trials (the limit)",
                               SWEEP_MAX_TRIALS);
    }

    TrialSet set = {0};
    size_t slots = 1;
    while (slots < 2 * (size_t)total) slots <<= 1;
    set.mask = slots - 1;
    set.slots = calloc(slots, sizeof *set.slots);
    set.hashes = calloc((size_t)total, sizeof *set.hashes);
    int *digit = calloc((size_t)spec->count, sizeof *digit);
    out->trials = calloc((size_t)total, sizeof *out->trials);
    int rc = 0;
    if (!set.slots || !set.hashes || !digit || !out->trials)
        rc = sweep_error(err, file, line, column, "parameters", "out of memory");

    for (long t = 0; rc == 0 && t < total; t++) {
        cJSON *config = trial_config(spec, digit);
        char *text = config ? cJSON_PrintUnformatted(config) : NULL;
        if (!text) {
            cJSON_Delete(config);
            rc = sweep_error(err, file, line, column, "parameters", "out of memory");
            break;
        }
        uint64_t hash = sweep_hash64(text);
        int kept = out->trial_count;
        int earlier = trial_set_add(&set, hash, kept);
        if (earlier >= 0) {
            /* same hash: a repeated combination, dropped; or (never seen in practice) two different
             * configs sharing a 64-bit hash, which must not pass silently as one */
            if (!cJSON_Compare(out->trials[earlier].config, config, 1))
                rc = sweep_error(err, file, line, column, "parameters", "trials %d and %ld have the same key %s",
                                 out->trials[earlier].index, t, out->trials[earlier].key);
            cJSON_Delete(config);
        } else {
            char msg[ERR_LEN];
            if (check_trial(spec, digit, msg)) {
                rc = sweep_error(err, file, line, column, "parameters", "trial %ld %s: %s", t, text, msg);
                cJSON_Delete(config);
            } else {
                SweepTrial *trial = &out->trials[kept];
                trial->index = (int)t;
                trial->config = config;
                sweep_hash_hex(text, trial->key);
                out->trial_count++;
            }
        }
        cJSON_free(text);

        /* next combination: the last parameter turns fastest */
        for (int p = spec->count - 1; p >= 0; p--) {
            if (++digit[p] < spec->params[p].count) break;
            digit[p] = 0;
        }
    }
    free(digit);
    free(set.slots);
    free(set.hashes);
    return rc;
}

/* Grid search: every combination of the values of the parameters that apply, times the seeds.
 *
 * Trials come out in odometer order over the parameters in file order (depth-first through conditional
 * blocks), the last one turning fastest and the seeds faster still, so the order a user reads in the file
 * is the order trials run. A parameter that does not apply (its block's condition fails) is absent and
 * contributes no factor. A trial's key hashes only its config (not its position), so growing a values
 * list later leaves the existing trials' keys unchanged and a re-run can skip what is already done. */
#include <stdlib.h>
#include <string.h>

#include "str_map.h"
#include "sweep_internal.h"

/* Every value of each parameter as JSON (values, or the integers / multiples of q of a finite range). */
typedef struct {
    int count;
    cJSON **values;
} Choices;

static void choices_free(Choices *c, int n) {
    for (int p = 0; c && p < n; p++) {
        for (int i = 0; i < c[p].count; i++) cJSON_Delete(c[p].values[i]);
        free(c[p].values);
    }
    free(c);
}

static Choices *choices_make(const SweepSpace *s) {
    Choices *c = calloc((size_t)s->count + 1, sizeof *c);
    for (int p = 0; c && p < s->count; p++) {
        const SweepParam *param = &s->params[p];
        long long n = param->count;
        if (param->dist == DIST_INT_UNIFORM) n = (long long)(param->max - param->min) + 1;
        else if (param->dist == DIST_Q_UNIFORM) n = param->kmax - param->kmin + 1;
        if (n > SWEEP_MAX_TRIALS) n = SWEEP_MAX_TRIALS + 1; /* only counted; the total will be refused */
        c[p].values = calloc((size_t)n, sizeof *c[p].values);
        if (!c[p].values) goto fail;
        for (long long i = 0; i < n; i++) {
            cJSON *v;
            if (param->dist == DIST_INT_UNIFORM) v = sweep_param_number(param, param->min + (double)i);
            else if (param->dist == DIST_Q_UNIFORM) v = sweep_param_number(param, (double)(param->kmin + i) * param->q);
            else v = cJSON_Duplicate(param->values[i].json, 1);
            if (!v) goto fail;
            c[p].values[c[p].count++] = v;
        }
    }
    return c;
fail:
    choices_free(c, s->count);
    return NULL;
}

/* The values the digits pick, NULL for parameters that do not apply. */
static void assign(const SweepSpace *s, const Choices *c, const int *digit, cJSON **assigned) {
    for (int p = 0; p < s->count; p++) {
        assigned[p] = NULL;
        if (sweep_param_active(s, p, assigned)) assigned[p] = c[p].values[digit[p]];
    }
}

/* Next combination: the last parameter turns fastest; a parameter that does not apply has one digit.
 * Returns 0 after the last one. */
static int advance(const SweepSpace *s, const Choices *c, int *digit, cJSON **assigned) {
    for (int p = s->count - 1; p >= 0; p--) {
        int radix = assigned[p] ? c[p].count : 1;
        if (++digit[p] < radix) {
            assign(s, c, digit, assigned);
            return 1;
        }
        digit[p] = 0;
    }
    return 0;
}

int sweep_grid_expand(const SweepSpace *s, Sweep *out, char err[ERR_LEN]) {
    const char *file = s->file;
    int line = s->params_line, column = s->params_column;
    int seeds = out->seed_count > 0 ? out->seed_count : 1;
    Choices *c = choices_make(s);
    int *digit = calloc((size_t)s->count + 1, sizeof *digit);
    cJSON **assigned = calloc((size_t)s->count + 1, sizeof *assigned);
    StrMap kept_keys = {0}; /* trial key -> kept trial: drops repeated combinations (0.1 and 0.10 in one list) */
    int rc = 0;
    if (!c || !digit || !assigned) {
        rc = sweep_error(err, file, line, column, "parameters", "out of memory");
        goto done;
    }

    /* count first, refusing an explosion before building any JSON */
    long total = 0;
    assign(s, c, digit, assigned);
    do {
        total += seeds;
        if (total > SWEEP_MAX_TRIALS) {
            rc = sweep_error(err, file, line, column, "parameters", "the grid has more than %d trials (the limit)",
                             SWEEP_MAX_TRIALS);
            goto done;
        }
    } while (advance(s, c, digit, assigned));

    out->trials = calloc((size_t)total, sizeof *out->trials);
    if (!out->trials) {
        rc = sweep_error(err, file, line, column, "parameters", "out of memory");
        goto done;
    }
    memset(digit, 0, (size_t)s->count * sizeof *digit);
    assign(s, c, digit, assigned);
    long t = 0;
    do {
        for (int k = 0; k < seeds && rc == 0; k++, t++) {
            cJSON *config = sweep_config_build(s, assigned, out->seed_count > 0, out->seed_count ? out->seeds[k] : 0);
            char *text = config ? cJSON_PrintUnformatted(config) : NULL;
            if (!text) {
                cJSON_Delete(config);
                rc = sweep_error(err, file, line, column, "parameters", "out of memory");
                break;
            }
            char key[17];
            sweep_hash_hex(text, key);
            int kept = out->trial_count;
            int earlier = str_map_get(&kept_keys, key);
            if (earlier >= 0) {
                /* same hash: a repeated combination, dropped; or (never seen in practice) two different
                 * configs sharing a 64-bit hash, which must not pass silently as one */
                if (!cJSON_Compare(out->trials[earlier].config, config, 1))
                    rc = sweep_error(err, file, line, column, "parameters", "trials %d and %ld have the same key %s",
                                     out->trials[earlier].index, t, out->trials[earlier].key);
                cJSON_Delete(config);
            } else {
                char msg[ERR_LEN];
                if (str_map_put(&kept_keys, key, kept)) {
                    rc = sweep_error(err, file, line, column, "parameters", "out of memory");
                    cJSON_Delete(config);
                } else if (sweep_config_check(s, config, msg)) {
                    rc = sweep_error(err, file, line, column, "parameters", "trial %ld %s: %s", t, text, msg);
                    cJSON_Delete(config);
                } else {
                    SweepTrial *trial = &out->trials[kept];
                    trial->index = (int)t;
                    trial->config = config;
                    memcpy(trial->key, key, sizeof key);
                    out->trial_count++;
                }
            }
            cJSON_free(text);
        }
    } while (rc == 0 && advance(s, c, digit, assigned));

    /* run_cap: the first run_cap trials in grid order */
    if (rc == 0 && out->run_cap > 0)
        while (out->trial_count > out->run_cap) cJSON_Delete(out->trials[--out->trial_count].config);
done:
    choices_free(c, s->count);
    free(digit);
    free(assigned);
    str_map_free(&kept_keys);
    return rc;
}

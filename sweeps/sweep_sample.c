/* What every search method shares: which parameters apply, a trial's config and key, the trainer's (or
 * objective's) check of a combination, W&B-semantics random draws, and the probe configs that let a
 * random/bayes sweep be validated before it starts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "objective.h"
#include "sweep_internal.h"

int sweep_value_index(const SweepParam *p, const cJSON *v) {
    if (!v || (p->dist != DIST_CONSTANT && p->dist != DIST_CATEGORICAL)) return -1;
    for (int i = 0; i < p->count; i++)
        if (cJSON_Compare(p->values[i].json, v, 1)) return i;
    return -1;
}

static int cond_holds(const SweepCond *c, cJSON *const *assigned) {
    const cJSON *v = assigned[c->param];
    if (!v) return 0;
    for (int i = 0; i < c->count; i++)
        if (cJSON_Compare(c->values[i], v, 1)) return 1;
    return 0;
}

int sweep_param_active(const SweepSpace *space, int p, cJSON *const *assigned) {
    for (int b = space->params[p].block; b >= 0; b = space->blocks[b].parent)
        for (int c = 0; c < space->blocks[b].cond_count; c++)
            if (!cond_holds(&space->blocks[b].conds[c], assigned)) return 0;
    return 1;
}

/* ---- configs and keys ----------------------------------------------------------------------------------- */

void sweep_json_sort(cJSON *object) {
    /* insertion sort of the member list: configs have a few dozen keys */
    cJSON *sorted = NULL;
    cJSON *item = object->child;
    while (item) {
        cJSON *next = item->next;
        item->prev = item->next = NULL;
        if (!sorted || strcmp(item->string, sorted->string) < 0) {
            item->next = sorted;
            sorted = item;
        } else {
            cJSON *at = sorted;
            while (at->next && strcmp(at->next->string, item->string) <= 0) at = at->next;
            item->next = at->next;
            at->next = item;
        }
        item = next;
    }
    /* cJSON's list: prev links, and the head's prev points at the tail */
    cJSON *prev = NULL;
    for (cJSON *i = sorted; i; i = i->next) {
        i->prev = prev;
        prev = i;
    }
    if (sorted) sorted->prev = prev;
    object->child = sorted;
}

cJSON *sweep_config_build(const SweepSpace *space, cJSON *const *assigned, int seeded, uint64_t seed) {
    cJSON *config = cJSON_CreateObject();
    for (int p = 0; config && p < space->count; p++) {
        if (!assigned[p]) continue;
        cJSON *v = cJSON_Duplicate(assigned[p], 1);
        if (!v || !cJSON_AddItemToObject(config, space->params[p].key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(config);
            return NULL;
        }
    }
    if (config && seeded && !cJSON_AddNumberToObject(config, "seed", (double)seed)) {
        cJSON_Delete(config);
        return NULL;
    }
    if (config) sweep_json_sort(config);
    return config;
}

double sweep_number_canonical(double v) { return v == 0 ? 0.0 : v; }

void sweep_json_canonical_numbers(cJSON *item) {
    if (cJSON_IsNumber(item)) cJSON_SetNumberValue(item, sweep_number_canonical(item->valuedouble));
    for (cJSON *c = item->child; c; c = c->next) sweep_json_canonical_numbers(c);
}

int sweep_config_key(const cJSON *config, char key[17], char **out_text) {
    char *text = cJSON_PrintUnformatted(config);
    if (!text) return -1;
    sweep_hash_hex(text, key);
    if (out_text) *out_text = text;
    else cJSON_free(text);
    return 0;
}

int sweep_config_hash(const cJSON *config, char key[17]) {
    if (!cJSON_IsObject(config)) return -1;
    cJSON *copy = cJSON_Duplicate(config, 1);
    if (!copy) return -1;
    sweep_json_sort(copy);
    sweep_json_canonical_numbers(copy); /* a stored "-0" is the 0 its trial was made with */
    int rc = sweep_config_key(copy, key, NULL);
    cJSON_Delete(copy);
    return rc;
}

int sweep_config_check(const SweepSpace *space, const cJSON *config, char msg[ERR_LEN]) {
    if (space->objective) return objective_check(config, msg);
    TrainConfig cfg;
    train_config_defaults(&cfg);
    const cJSON *item;
    cJSON_ArrayForEach(item, config) {
        char text[600];
        char type = train_config_key_type(item->string);
        if (train_config_set(&cfg, item->string, sweep_json_text(item, type, text, sizeof text), msg)) return -1;
    }
    return train_config_validate(&cfg, msg);
}

/* ---- random draws ------------------------------------------------------------------------------------ */

cJSON *sweep_param_number(const SweepParam *p, double v) {
    if (p->type == 'i') v = round(v);
    else if (p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES) v = sweep_round_sig(v, 12);
    else v = sweep_round_sig(v, 10);
    return cJSON_CreateNumber(sweep_number_canonical(v)); /* round(-0.3) and 0 * -q are -0.0 */
}

/* The k*q value nearest x within the distribution's multiples. */
static double snap_q(const SweepParam *p, double x) {
    double k = round(x / p->q);
    if (k < (double)p->kmin) k = (double)p->kmin;
    if (k > (double)p->kmax) k = (double)p->kmax;
    return k * p->q;
}

cJSON *sweep_param_sample(const SweepParam *p, Rng *rng) {
    switch (p->dist) {
    case DIST_CONSTANT: return cJSON_Duplicate(p->values[0].json, 1);
    case DIST_CATEGORICAL: {
        int i = (int)rng_below(rng, (uint32_t)p->count);
        if (p->probs) {
            double u = rng_uniform(rng), acc = 0;
            i = p->count - 1;
            for (int j = 0; j < p->count; j++) {
                acc += p->probs[j];
                if (u < acc) {
                    i = j;
                    break;
                }
            }
            while (i > 0 && p->probs[i] == 0) i--; /* rounding at the top end never picks a zero */
        }
        return cJSON_Duplicate(p->values[i].json, 1);
    }
    case DIST_INT_UNIFORM: {
        double span = p->max - p->min + 1;
        double k = floor(rng_uniform(rng) * span);
        if (k >= span) k = span - 1;
        return sweep_param_number(p, p->min + k);
    }
    case DIST_UNIFORM: return sweep_param_number(p, p->min + rng_uniform(rng) * (p->max - p->min));
    case DIST_Q_UNIFORM: return sweep_param_number(p, snap_q(p, p->min + rng_uniform(rng) * (p->max - p->min)));
    case DIST_LOG_UNIFORM_VALUES:
        return sweep_param_number(p, exp(log(p->min) + rng_uniform(rng) * (log(p->max) - log(p->min))));
    case DIST_Q_LOG_UNIFORM_VALUES:
        return sweep_param_number(p, snap_q(p, exp(log(p->min) + rng_uniform(rng) * (log(p->max) - log(p->min)))));
    case DIST_LOG_UNIFORM: return sweep_param_number(p, exp(p->min + rng_uniform(rng) * (p->max - p->min)));
    case DIST_NORMAL: return sweep_param_number(p, p->mu + p->sigma * rng_normal(rng));
    case DIST_LOG_NORMAL: return sweep_param_number(p, exp(p->mu + p->sigma * rng_normal(rng)));
    default: return NULL;
    }
}

/* ---- probes: representative configs of a random/bayes space ----------------------------------------------- */

/* A deterministic middle value of a parameter. */
static cJSON *center_value(const SweepParam *p) {
    switch (p->dist) {
    case DIST_CONSTANT:
    case DIST_CATEGORICAL: return cJSON_Duplicate(p->values[0].json, 1);
    case DIST_INT_UNIFORM: return sweep_param_number(p, floor((p->min + p->max) / 2));
    case DIST_UNIFORM: return sweep_param_number(p, (p->min + p->max) / 2);
    case DIST_Q_UNIFORM: return sweep_param_number(p, snap_q(p, (p->min + p->max) / 2));
    case DIST_LOG_UNIFORM_VALUES: return sweep_param_number(p, sqrt(p->min * p->max));
    case DIST_Q_LOG_UNIFORM_VALUES: return sweep_param_number(p, snap_q(p, sqrt(p->min * p->max)));
    case DIST_LOG_UNIFORM: return sweep_param_number(p, exp((p->min + p->max) / 2));
    case DIST_NORMAL: return sweep_param_number(p, p->mu);
    case DIST_LOG_NORMAL: return sweep_param_number(p, exp(p->mu));
    default: return NULL;
    }
}

/* Forces the conditions of block b and of its ancestors (first allowed value of each). */
static void force_block(const SweepSpace *s, int b, const cJSON **force) {
    for (; b >= 0; b = s->blocks[b].parent)
        for (int c = 0; c < s->blocks[b].cond_count; c++) {
            const SweepCond *cond = &s->blocks[b].conds[c];
            if (!force[cond->param]) {
                force[cond->param] = cond->values[0];
                force_block(s, s->params[cond->param].block, force);
            }
        }
}

/* The config with every parameter at its center unless forced; NULL = out of memory. */
static cJSON *probe_config(const SweepSpace *s, const cJSON **force, uint64_t seed, int seeded) {
    cJSON **assigned = calloc((size_t)s->count + 1, sizeof *assigned);
    if (!assigned) return NULL;
    int ok = 1;
    for (int p = 0; p < s->count && ok; p++) {
        if (!sweep_param_active(s, p, assigned)) continue;
        assigned[p] = force[p] ? cJSON_Duplicate(force[p], 1) : center_value(&s->params[p]);
        ok = assigned[p] != NULL;
    }
    cJSON *config = ok ? sweep_config_build(s, assigned, seeded, seed) : NULL;
    for (int p = 0; p < s->count; p++) cJSON_Delete(assigned[p]);
    free(assigned);
    return config;
}

static int add_probe(const SweepSpace *s, Sweep *out, cJSON *config, int line, int column, const char *key,
                     char err[ERR_LEN]) {
    char k[17], *text = NULL, msg[ERR_LEN];
    if (sweep_config_key(config, k, &text)) {
        cJSON_Delete(config);
        return sweep_error(err, s->file, line, column, key, "out of memory");
    }
    for (int i = 0; i < out->probe_count; i++)
        if (cJSON_Compare(out->probes[i], config, 1)) {
            cJSON_free(text);
            cJSON_Delete(config);
            return 0;
        }
    int rc = 0;
    if (sweep_config_check(s, config, msg)) {
        rc = sweep_error(err, s->file, line, column, key, "trial %s: %s", text, msg);
    } else {
        cJSON **grown = realloc(out->probes, (size_t)(out->probe_count + 1) * sizeof *grown);
        if (!grown) rc = sweep_error(err, s->file, line, column, key, "out of memory");
        else {
            out->probes = grown;
            out->probes[out->probe_count++] = config;
            config = NULL;
        }
    }
    cJSON_free(text);
    cJSON_Delete(config);
    return rc;
}

int sweep_probes_build(const SweepSpace *s, Sweep *out, char err[ERR_LEN]) {
    const cJSON **force = calloc((size_t)s->count + 1, sizeof *force);
    if (!force) return sweep_error(err, s->file, s->params_line, s->params_column, "parameters", "out of memory");
    int seeded = out->seed_count > 0;
    uint64_t seed = seeded ? out->seeds[0] : 0;
    int rc = 0;
    cJSON *base = probe_config(s, force, seed, seeded);
    rc = base ? add_probe(s, out, base, s->params_line, s->params_column, "parameters", err)
              : sweep_error(err, s->file, s->params_line, s->params_column, "parameters", "out of memory");
    /* every value of every categorical parameter, with what makes it apply */
    for (int p = 0; rc == 0 && p < s->count; p++) {
        const SweepParam *param = &s->params[p];
        if (param->dist != DIST_CATEGORICAL && param->dist != DIST_CONSTANT) continue;
        for (int v = 0; rc == 0 && v < param->count; v++) {
            memset(force, 0, (size_t)s->count * sizeof *force);
            force[p] = param->values[v].json;
            force_block(s, param->block, force);
            cJSON *config = probe_config(s, force, seed, seeded);
            if (!config) rc = sweep_error(err, s->file, param->line, param->column, param->path, "out of memory");
            else rc = add_probe(s, out, config, param->values[v].line, param->values[v].column, param->path, err);
        }
    }
    free(force);
    return rc;
}

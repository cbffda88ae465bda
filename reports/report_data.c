/* The analysis every format renders: per-run summaries, configurations (config without seed), groups,
 * the Pareto fronts and hyperparameter importance (the statistics themselves: report_stats.c). One pass
 * over each run's epochs; the rest is over runs and configurations (hash maps, sorts), so 10,000 runs x 200
 * epochs take well under a second. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_internal.h"
#include "report_sort.h"
#include "str_map.h"

/* Distinct flattened config keys a report takes: more is not a sweep. (The message rounds it to 8000.) */
enum { MAX_CONFIG_KEYS = 8191 };

const char REPORT_IMPORTANCE_METHOD[] =
    "Importance is eta squared: the share of the metric's variance over finished runs explained by the "
    "hyperparameter's value alone (between-value sum of squares / total sum of squares), the first-order term "
    "of a functional ANOVA on the runs as sampled; numeric hyperparameters with more than 10 distinct values are "
    "first cut into 10 quantile bins. rho is Spearman's rank correlation between a numeric hyperparameter and "
    "the metric (sign: direction of the effect). \"Seeds\" is the share of the variance within configurations "
    "(runs that differ only in seed), the noise floor.";


/* ---- growable strings ---- */
typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} Buf;

static void buf_add(Buf *b, const char *s) {
    size_t n = strlen(s);
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* Returns the string (never NULL unless out of memory); the Buf no longer owns it. */
static char *buf_take(Buf *b) {
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    if (!b->p) return strdup("");
    return b->p;
}

/* ---- flattening ---- */
static int flat_add(Flat *f, const char *key, const char *value) {
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        char **k = realloc(f->keys, (size_t)cap * sizeof *k);
        if (!k) return -1;
        f->keys = k;
        char **v = realloc(f->values, (size_t)cap * sizeof *v);
        if (!v) return -1;
        f->values = v;
        f->cap = cap;
    }
    f->keys[f->n] = strdup(key);
    f->values[f->n] = strdup(value);
    if (!f->keys[f->n] || !f->values[f->n]) {
        free(f->keys[f->n]);
        free(f->values[f->n]);
        return -1;
    }
    f->n++;
    return 0;
}

static void flat_free(Flat *f) {
    for (int i = 0; i < f->n; i++) free(f->keys[i]), free(f->values[i]);
    free(f->keys);
    free(f->values);
}

const char *flat_get(const Flat *f, const char *key) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->keys[i], key) == 0) return f->values[i];
    return NULL;
}

static int flatten(const cJSON *object, const char *prefix, Flat *out) {
    for (const cJSON *item = object->child; item; item = item->next) {
        if (!item->string) continue;
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", item->string);
        if (cJSON_IsObject(item)) {
            if (flatten(item, key, out)) return -1;
        } else if (cJSON_IsString(item)) {
            if (flat_add(out, key, item->valuestring)) return -1;
        } else {
            char *text = cJSON_PrintUnformatted(item);
            if (!text) return -1;
            int rc = flat_add(out, key, text);
            cJSON_free(text);
            if (rc) return -1;
        }
    }
    return 0;
}

static int index_of(char **list, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return i;
    return -1;
}

/* ---- group keys ---- */
static int is_run_column(const char *key) {
    return !strcmp(key, "sweep") || !strcmp(key, "model") || !strcmp(key, "dataset") || !strcmp(key, "status") ||
           !strcmp(key, "host");
}

const char *report_key_value(const ReportData *d, int r, const char *key, char buf[64]) {
    const RunRecord *run = &d->runs[r];
    if (!strcmp(key, "sweep")) return run->sweep_name;
    if (!strcmp(key, "model")) return run->model;
    if (!strcmp(key, "dataset")) return run->dataset;
    if (!strcmp(key, "status")) return run->status;
    if (!strcmp(key, "host")) return *run->host ? run->host : "-";
    if (!strcmp(key, "seed")) {
        snprintf(buf, 64, "%llu", (unsigned long long)run->seed);
        return buf;
    }
    const char *v = flat_get(&d->flats[r], key);
    return v ? v : "-";
}

static int parse_group_by(ReportData *d, char *err) {
    const char *spec = d->options->group_by && *d->options->group_by ? d->options->group_by : "model";
    char *copy = strdup(spec);
    if (!copy) return err_set(err, "report: out of memory");
    int n = 1;
    for (const char *p = spec; *p; p++) n += *p == ',';
    d->group_keys = calloc((size_t)n, sizeof *d->group_keys);
    if (!d->group_keys) {
        free(copy);
        return err_set(err, "report: out of memory");
    }
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ') tok[--len] = 0;
        if (!len) continue;
        if (!is_run_column(tok) && strcmp(tok, "seed") != 0 && index_of(d->config_keys, d->config_key_count, tok) < 0) {
            Buf b = {0};
            for (int i = 0; i < d->config_key_count; i++) buf_add(&b, i ? ", " : ""), buf_add(&b, d->config_keys[i]);
            char *known = buf_take(&b);
            rc = err_set(err,
                         "--group-by: unknown column or hyperparameter '%s' (columns: sweep, model, dataset, status, "
                         "host, seed; hyperparameters of these runs: %s)",
                         tok, known && *known ? known : "none");
            free(known);
            break;
        }
        if (index_of(d->group_keys, d->group_key_count, tok) >= 0) continue;
        if (!(d->group_keys[d->group_key_count++] = strdup(tok))) rc = err_set(err, "report: out of memory");
    }
    free(copy);
    if (!rc && d->group_key_count == 0) rc = err_set(err, "--group-by: no keys given");
    return rc;
}

/* ---- per-run summaries ---- */
static int is_problem(const char *status) {
    return !strcmp(status, RUN_PRUNED) || !strcmp(status, RUN_DIVERGED) || !strcmp(status, RUN_FAILED) ||
           !strcmp(status, RUN_LOST);
}

static void summarise_run(ReportData *d, int r) {
    const RunRecord *run = &d->runs[r];
    RunSummary *s = &d->sums[r];
    s->best_top1 = s->final_top1 = s->final_top5 = s->final_train_loss = s->final_test_loss = s->metric = NAN;
    for (int e = 0; e < run->epoch_count; e++) {
        const EpochMetrics *m = &run->epochs[e];
        if (!isnan(m->test_top1) && (isnan(s->best_top1) || m->test_top1 > s->best_top1))
            s->best_top1 = m->test_top1, s->best_epoch = m->epoch;
        if (!isnan(m->wall_seconds)) s->seconds += m->wall_seconds;
    }
    if (run->epoch_count) {
        const EpochMetrics *last = &run->epochs[run->epoch_count - 1];
        s->final_top1 = last->test_top1, s->final_top5 = last->test_top5;
        s->final_train_loss = last->train_loss, s->final_test_loss = last->test_loss;
        s->metric = metric_value(last, d->metric);
    }
    s->finished = strcmp(run->status, RUN_FINISHED) == 0;
    s->problem = is_problem(run->status);
}

/* Config keys whose values differ between the runs (absent counts as a value); skip: keys left out. */
static int varies(const ReportData *d, const char *key) {
    const char *first = flat_get(&d->flats[0], key);
    for (int r = 1; r < d->count; r++) {
        const char *v = flat_get(&d->flats[r], key);
        if ((v == NULL) != (first == NULL) || (v && strcmp(v, first) != 0)) return 1;
    }
    return 0;
}

/* Whether key differs between the runs idx[0..n). */
static int varies_among(const ReportData *d, const char *key, const int *idx, int n) {
    const char *first = flat_get(&d->flats[idx[0]], key);
    for (int i = 1; i < n; i++) {
        const char *v = flat_get(&d->flats[idx[i]], key);
        if ((v == NULL) != (first == NULL) || (v && strcmp(v, first) != 0)) return 1;
    }
    return 0;
}

/* "k=v, k=v" of the varying keys of run r, without model (and without seed when no_seed). */
static char *key_params_of(const ReportData *d, int r, const char *const *keys, int key_count, int no_seed) {
    Buf b = {0};
    for (int k = 0; k < key_count; k++) {
        if (no_seed && !strcmp(keys[k], "seed")) continue;
        const char *v = flat_get(&d->flats[r], keys[k]);
        if (!v) continue;
        if (b.len) buf_add(&b, ", ");
        buf_add(&b, keys[k]);
        buf_add(&b, "=");
        buf_add(&b, v);
    }
    return buf_take(&b);
}

/* The configuration's identity: group, model, dataset and the config without seed. */
static char *config_identity(const ReportData *d, int r, char **json_out) {
    *json_out = NULL;
    cJSON *json = cJSON_Parse(d->runs[r].config_json);
    if (json && cJSON_IsObject(json)) {
        cJSON_DeleteItemFromObjectCaseSensitive(json, "seed");
        *json_out = cJSON_PrintUnformatted(json);
    } else {
        *json_out = cJSON_PrintUnformatted(json ? json : NULL);
    }
    cJSON_Delete(json);
    if (!*json_out) {
        *json_out = malloc(3);
        if (*json_out) memcpy(*json_out, "{}", 3);
    }
    if (!*json_out) return NULL;
    Buf b = {0};
    char num[32];
    snprintf(num, sizeof num, "%d", d->sums[r].group_index);
    buf_add(&b, num);
    buf_add(&b, "\x1f");
    buf_add(&b, d->runs[r].model);
    buf_add(&b, "\x1f");
    buf_add(&b, d->runs[r].dataset);
    buf_add(&b, "\x1f");
    buf_add(&b, *json_out);
    return buf_take(&b);
}

static int build_groups(ReportData *d, char *err) {
    int n = d->count;
    StrMap map = {0};
    char **idents = calloc((size_t)n + 1, sizeof *idents);
    d->groups = calloc((size_t)n + 1, sizeof *d->groups);
    if (!idents || !d->groups) {
        free(idents);
        return err_set(err, "report: out of memory");
    }
    int rc = 0;
    for (int r = 0; r < n && !rc; r++) {
        Buf b = {0}, label = {0};
        char tmp[64];
        for (int k = 0; k < d->group_key_count; k++) {
            const char *v = report_key_value(d, r, d->group_keys[k], tmp);
            buf_add(&b, k ? "\x1f" : ""), buf_add(&b, v);
            buf_add(&label, k ? ", " : ""), buf_add(&label, v);
        }
        idents[r] = buf_take(&b);
        char *lab = buf_take(&label);
        if (!idents[r] || !lab) {
            free(lab);
            rc = err_set(err, "report: out of memory");
            break;
        }
        int gi = str_map_get(&map, idents[r]);
        if (gi < 0) {
            GroupSummary *g = &d->groups[d->group_count];
            g->label = lab;
            g->best_config = -1;
            g->values = calloc((size_t)d->group_key_count, sizeof *g->values);
            if (!g->values) {
                rc = err_set(err, "report: out of memory");
                break;
            }
            for (int k = 0; k < d->group_key_count && !rc; k++)
                if (!(g->values[k] = strdup(report_key_value(d, r, d->group_keys[k], tmp))))
                    rc = err_set(err, "report: out of memory");
            gi = d->group_count++;
            if (!rc && str_map_put(&map, idents[r], gi)) rc = err_set(err, "report: out of memory");
        } else {
            free(lab);
        }
        d->sums[r].group_index = gi;
        d->groups[gi].run_count++;
        if (d->sums[r].finished) d->groups[gi].finished++;
    }
    for (int r = 0; r < n; r++) free(idents[r]);
    free(idents);
    str_map_free(&map);
    return rc;
}

static int build_configs(ReportData *d, char *err) {
    int n = d->count, rc = 0;
    StrMap map = {0};
    char **idents = calloc((size_t)n + 1, sizeof *idents);
    d->configs = calloc((size_t)n + 1, sizeof *d->configs);
    int *fill = calloc((size_t)n + 1, sizeof *fill);
    if (!idents || !d->configs || !fill) {
        free(idents), free(fill);
        return err_set(err, "report: out of memory");
    }
    /* keys that vary, for labels */
    char **vary = calloc((size_t)d->config_key_count + 1, sizeof *vary);
    int vary_count = 0;
    if (!vary) rc = err_set(err, "report: out of memory");
    for (int k = 0; k < d->config_key_count && !rc && n; k++)
        if (strcmp(d->config_keys[k], "model") != 0 && varies(d, d->config_keys[k])) vary[vary_count++] = d->config_keys[k];

    for (int r = 0; r < n && !rc; r++) {
        char *json = NULL;
        idents[r] = config_identity(d, r, &json);
        if (!idents[r]) {
            free(json);
            rc = err_set(err, "report: out of memory");
            break;
        }
        int ci = str_map_get(&map, idents[r]);
        if (ci < 0) {
            ConfigSummary *c = &d->configs[d->config_count];
            c->json = json;
            json = NULL;
            c->model_index = d->sums[r].model_index;
            c->group_index = d->sums[r].group_index;
            c->best_run = -1;
            c->key_params = key_params_of(d, r, (const char *const *)vary, vary_count, 1);
            Buf b = {0};
            buf_add(&b, d->runs[r].model);
            if (c->key_params && *c->key_params) buf_add(&b, " "), buf_add(&b, c->key_params);
            c->label = buf_take(&b);
            if (!c->key_params || !c->label) rc = err_set(err, "report: out of memory");
            ci = d->config_count++;
            if (!rc && str_map_put(&map, idents[r], ci)) rc = err_set(err, "report: out of memory");
        }
        free(json);
        d->sums[r].config_index = ci;
        d->configs[ci].run_count++;
        if (!rc) {
            d->sums[r].key_params = key_params_of(d, r, (const char *const *)vary, vary_count, 0);
            if (!d->sums[r].key_params) rc = err_set(err, "report: out of memory");
        }
    }
    for (int c = 0; c < d->config_count && !rc; c++)
        if (!(d->configs[c].runs = calloc((size_t)d->configs[c].run_count, sizeof(int))))
            rc = err_set(err, "report: out of memory");
    for (int r = 0; r < n && !rc; r++) {
        int ci = d->sums[r].config_index;
        d->configs[ci].runs[fill[ci]++] = r;
    }
    for (int r = 0; r < n; r++) free(idents[r]);
    free(idents), free(fill), free(vary);
    str_map_free(&map);
    return rc;
}

static int summarise_configs(ReportData *d, char *err) {
    int most = 1;
    for (int c = 0; c < d->config_count; c++) most = d->configs[c].run_count > most ? d->configs[c].run_count : most;
    double *v[5];
    for (int i = 0; i < 5; i++) v[i] = calloc((size_t)most, sizeof(double));
    if (!v[0] || !v[1] || !v[2] || !v[3] || !v[4]) {
        for (int i = 0; i < 5; i++) free(v[i]);
        return err_set(err, "report: out of memory");
    }
    for (int c = 0; c < d->config_count; c++) {
        ConfigSummary *cs = &d->configs[c];
        int k = 0, ks = 0;
        cs->flops = NAN;
        for (int i = 0; i < cs->run_count; i++) {
            int r = cs->runs[i];
            const RunSummary *s = &d->sums[r];
            if (d->runs[r].param_count > cs->params) cs->params = d->runs[r].param_count;
            const double flops = d->runs[r].flops_per_image;
            if (flops > 0 && (isnan(cs->flops) || flops > cs->flops)) cs->flops = flops;
            if (d->runs[r].best_checkpoint_epoch > 0 || d->runs[r].last_checkpoint_epoch > 0) d->kept_checkpoints++;
            if (!s->finished) continue;
            if (d->runs[r].images_per_sec > 0) v[4][ks++] = d->runs[r].images_per_sec;
            v[0][k] = s->metric, v[1][k] = s->final_top1, v[2][k] = s->final_top5;
            v[3][k] = d->runs[r].epoch_count ? s->seconds : NAN;
            k++;
            int ep = d->runs[r].epoch_count;
            if (!cs->epochs_max || ep > cs->epochs_max) cs->epochs_max = ep;
            if (!cs->epochs_min || ep < cs->epochs_min) cs->epochs_min = ep;
            if (!isnan(s->metric) && (cs->best_run < 0 || metric_better(d->metric, s->metric, d->sums[cs->best_run].metric)))
                cs->best_run = r;
        }
        cs->metric = stat_of(v[0], k), cs->top1 = stat_of(v[1], k), cs->top5 = stat_of(v[2], k);
        cs->seconds = stat_of(v[3], k);
        cs->images_per_sec = stat_of(v[4], ks);
        cs->n = cs->metric.n;
    }
    for (int i = 0; i < 5; i++) free(v[i]);
    for (int g = 0; g < d->group_count; g++) d->groups[g].config_count = 0;
    for (int c = 0; c < d->config_count; c++) d->groups[d->configs[c].group_index].config_count++;
    for (int g = 0; g < d->group_count; g++) {
        d->groups[g].configs = calloc((size_t)d->groups[g].config_count + 1, sizeof(int));
        if (!d->groups[g].configs) return err_set(err, "report: out of memory");
        d->groups[g].config_count = 0;
    }
    for (int c = 0; c < d->config_count; c++) {
        GroupSummary *g = &d->groups[d->configs[c].group_index];
        g->configs[g->config_count++] = c;
        const ConfigSummary *cs = &d->configs[c];
        if (cs->n > 0 && (g->best_config < 0 || metric_better(d->metric, cs->metric.mean,
                                                              d->configs[g->best_config].metric.mean)))
            g->best_config = c;
    }
    return 0;
}

/* ---- Pareto fronts: a cost (parameters, FLOPs; fewer is better) or a speed (images/s; more is better)
 * against the mean metric ---- */
double report_axis_value(const ConfigSummary *c, FrontAxis axis) {
    switch (axis) {
    case AXIS_PARAMS: return c->params > 0 ? (double)c->params : NAN;
    case AXIS_FLOPS: return c->flops > 0 ? c->flops : NAN;
    default: return c->images_per_sec.n > 0 && c->images_per_sec.mean > 0 ? c->images_per_sec.mean : NAN;
    }
}

/* The configurations no other beats on both the axis and the mean metric, best on the axis first; each
 * flagged in its ConfigSummary field at offset `flag`. */
static int build_front(ReportData *d, FrontAxis axis, int **front, int *count, size_t flag, char *err) {
    *front = calloc((size_t)d->config_count + 1, sizeof **front);
    int *config = calloc((size_t)d->config_count + 1, sizeof *config);
    double *cost = calloc((size_t)d->config_count + 1, sizeof *cost);
    double *loss = calloc((size_t)d->config_count + 1, sizeof *loss);
    int n = 0, found = -1;
    if (*front && config && cost && loss) {
        for (int c = 0; c < d->config_count; c++) {
            const double x = report_axis_value(&d->configs[c], axis);
            if (d->configs[c].n > 0 && !isnan(x) && !isnan(d->configs[c].metric.mean)) {
                /* images/s: more is better, so its negation is the cost */
                cost[n] = axis == AXIS_SPEED ? -x : x;
                loss[n] = sort_better_first(d->configs[c].metric.mean, metric_minimise(d->metric));
                config[n++] = c;
            }
        }
        found = stats_pareto_front(cost, loss, n, *front);
    }
    for (int i = 0; i < found; i++) {
        (*front)[i] = config[(*front)[i]];
        *(int *)((char *)&d->configs[(*front)[i]] + flag) = 1;
    }
    *count = found > 0 ? found : 0;
    free(config), free(cost), free(loss);
    return found < 0 ? err_set(err, "report: out of memory") : 0;
}

static int build_pareto(ReportData *d, char *err) {
    return build_front(d, AXIS_PARAMS, &d->pareto, &d->pareto_count, offsetof(ConfigSummary, pareto), err) ||
           build_front(d, AXIS_FLOPS, &d->pareto_flops, &d->pareto_flops_count, offsetof(ConfigSummary, pareto_flops),
                       err) ||
           build_front(d, AXIS_SPEED, &d->pareto_speed, &d->pareto_speed_count, offsetof(ConfigSummary, pareto_speed),
                       err);
}

/* ---- hyperparameter importance ---- */
static int parse_number(const char *text, double *out) {
    if (!text || !*text) return 0;
    char *end;
    double v = strtod(text, &end);
    if (*end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* Levels of key over all runs; numeric ones sorted ascending. */
static int build_levels(ReportData *d, HyperParam *h) {
    StrMap map = {0};
    int cap = 0, rc = 0;
    h->numeric = 1;
    h->run_level = calloc((size_t)d->count + 1, sizeof *h->run_level);
    if (!h->run_level) rc = -1;
    for (int r = 0; r < d->count && !rc; r++) {
        const char *v = flat_get(&d->flats[r], h->key);
        if (!v) v = "-";
        int level = str_map_get(&map, v);
        if (level < 0) {
            if (h->level_count == cap) {
                cap = cap ? cap * 2 : 8;
                char **l = realloc(h->levels, (size_t)cap * sizeof *l);
                double *lv = l ? realloc(h->level_value, (size_t)cap * sizeof *lv) : NULL;
                if (l) h->levels = l;
                if (lv) h->level_value = lv;
                if (!l || !lv) {
                    rc = -1;
                    break;
                }
            }
            if (!(h->levels[h->level_count] = strdup(v))) {
                rc = -1;
                break;
            }
            double num = NAN;
            if (strcmp(v, "-") != 0 && !parse_number(v, &num)) h->numeric = 0;
            h->level_value[h->level_count] = num;
            level = h->level_count++;
            if (str_map_put(&map, v, level)) {
                rc = -1;
                break;
            }
        }
        h->run_level[r] = level;
    }
    str_map_free(&map);
    if (rc) return -1;
    if (h->numeric) {
        /* Sort the levels by value and remap the runs. */
        int *order = malloc((size_t)h->level_count * sizeof *order), *where = malloc((size_t)h->level_count * sizeof *where);
        char **levels = malloc((size_t)h->level_count * sizeof *levels);
        double *values = malloc((size_t)h->level_count * sizeof *values);
        if (!order || !where || !levels || !values) {
            free(order), free(where), free(levels), free(values);
            return -1;
        }
        SortKey *keys = malloc((size_t)h->level_count * sizeof *keys);
        if (!keys) {
            free(order), free(where), free(levels), free(values);
            return -1;
        }
        for (int i = 0; i < h->level_count; i++) keys[i] = (SortKey){h->level_value[i], 0, i};
        sort_keys(keys, h->level_count); /* ascending, "-" (NaN) last */
        for (int i = 0; i < h->level_count; i++) order[i] = keys[i].index;
        free(keys);
        for (int i = 0; i < h->level_count; i++) {
            levels[i] = h->levels[order[i]], values[i] = h->level_value[order[i]];
            where[order[i]] = i;
        }
        memcpy(h->levels, levels, (size_t)h->level_count * sizeof *levels);
        memcpy(h->level_value, values, (size_t)h->level_count * sizeof *values);
        for (int r = 0; r < d->count; r++) h->run_level[r] = where[h->run_level[r]];
        free(order), free(where), free(levels), free(values);
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < h->level_count; i++)
            if (!isnan(h->level_value[i])) lo = fmin(lo, h->level_value[i]), hi = fmax(hi, h->level_value[i]);
        h->log_scale = lo > 0 && hi / lo >= 20.0;
    }
    return 0;
}

static int build_importance(ReportData *d, char *err) {
    int n = d->count;
    d->hps = calloc((size_t)d->config_key_count + 1, sizeof *d->hps);
    d->importance_order = calloc((size_t)d->config_key_count + 1, sizeof *d->importance_order);
    double *y = calloc((size_t)n + 1, sizeof *y), *x = calloc((size_t)n + 1, sizeof *x);
    double *rx = calloc((size_t)n + 1, sizeof *rx), *ry = calloc((size_t)n + 1, sizeof *ry);
    int *runs = calloc((size_t)n + 1, sizeof *runs), *cls = calloc((size_t)n + 1, sizeof *cls);
    int rc = 0;
    if (!d->hps || !d->importance_order || !y || !x || !rx || !ry || !runs || !cls) {
        rc = err_set(err, "report: out of memory");
        goto done;
    }
    int m = 0;
    double mean = 0;
    for (int r = 0; r < n; r++)
        if (d->sums[r].finished && !isnan(d->sums[r].metric)) runs[m] = r, y[m] = d->sums[r].metric, mean += y[m], m++;
    d->importance_runs = m;
    if (m) mean /= m;
    double ss_total = 0;
    for (int i = 0; i < m; i++) ss_total += (y[i] - mean) * (y[i] - mean);
    /* within configurations */
    for (int i = 0; i < m; i++) cls[i] = d->sums[runs[i]].config_index;
    double between_configs = m ? stats_ss_between(y, cls, m, d->config_count, mean) : NAN;
    d->within_config = ss_total > 0 ? fmax(0.0, 1.0 - between_configs / ss_total) : NAN;

    for (int k = 0; k < d->config_key_count && n; k++) {
        const char *key = d->config_keys[k];
        /* swept: varies between the runs with a result (between all runs while none has one) */
        if (!strcmp(key, "seed") || !strcmp(key, "threads") || !(m >= 2 ? varies_among(d, key, runs, m) : varies(d, key)))
            continue;
        HyperParam *h = &d->hps[d->hp_count++];
        h->eta2 = h->spearman = NAN;
        h->best_level = -1;
        if (!(h->key = strdup(key)) || build_levels(d, h)) {
            rc = err_set(err, "report: out of memory");
            goto done;
        }
        h->level_stat = calloc((size_t)h->level_count + 1, sizeof *h->level_stat);
        double *vals = calloc((size_t)m + 1, sizeof *vals);
        if (!h->level_stat || !vals) {
            free(vals);
            rc = err_set(err, "report: out of memory");
            goto done;
        }
        for (int l = 0; l < h->level_count; l++) {
            int c = 0;
            for (int i = 0; i < m; i++)
                if (h->run_level[runs[i]] == l) vals[c++] = y[i];
            h->level_stat[l] = stat_of(vals, c);
            if (c && (h->best_level < 0 || metric_better(d->metric, h->level_stat[l].mean,
                                                         h->level_stat[h->best_level].mean)))
                h->best_level = l;
        }
        free(vals);
        if (m < 2 || !(ss_total > 0)) continue;
        int present = 0; /* runs with a numeric value */
        for (int i = 0; i < m; i++) {
            cls[i] = h->run_level[runs[i]];
            if (h->numeric && !isnan(h->level_value[cls[i]])) x[present] = h->level_value[cls[i]], ry[present] = y[i], present++;
        }
        int levels_used = h->level_count;
        if (h->numeric && h->level_count > 10 && present == m) {
            /* quantile bins of the values (ties stay together) */
            if (stats_ranks(x, m, rx)) {
                rc = err_set(err, "report: out of memory");
                goto done;
            }
            for (int i = 0; i < m; i++) {
                int b = (int)floor(10.0 * (rx[i] - 0.5) / m);
                cls[i] = b < 0 ? 0 : b > 9 ? 9 : b;
            }
            levels_used = 10;
            h->bins = 10;
        }
        h->eta2 = stats_ss_between(y, cls, m, levels_used, mean) / ss_total;
        if (h->eta2 > 1) h->eta2 = 1;
        if (h->numeric && present >= 3 && stats_spearman(x, ry, present, &h->spearman)) {
            rc = err_set(err, "report: out of memory");
            goto done;
        }
    }
    /* largest eta squared first, undefined last */
    SortKey *keys = malloc(((size_t)d->hp_count + 1) * sizeof *keys);
    if (!keys) {
        rc = err_set(err, "report: out of memory");
        goto done;
    }
    for (int i = 0; i < d->hp_count; i++) keys[i] = (SortKey){-d->hps[i].eta2, 0, i};
    sort_keys(keys, d->hp_count);
    for (int i = 0; i < d->hp_count; i++) d->importance_order[i] = keys[i].index;
    free(keys);
done:
    free(y), free(x), free(rx), free(ry), free(runs), free(cls);
    return rc;
}

/* ---- the whole analysis ---- */
void report_data_free(ReportData *d) {
    for (int i = 0; d->sums && i < d->count; i++) free(d->sums[i].key_params), free(d->sums[i].label);
    free(d->sums);
    for (int i = 0; d->flats && i < d->count; i++) flat_free(&d->flats[i]);
    free(d->flats);
    for (int i = 0; i < d->model_count; i++) free(d->models[i]);
    free(d->models);
    for (int i = 0; i < d->sweep_count; i++) free(d->sweeps[i]);
    free(d->sweeps);
    for (int i = 0; i < d->config_key_count; i++) free(d->config_keys[i]);
    free(d->config_keys);
    for (int i = 0; i < d->group_key_count; i++) free(d->group_keys[i]);
    free(d->group_keys);
    for (int i = 0; d->configs && i < d->config_count; i++) {
        free(d->configs[i].json), free(d->configs[i].key_params), free(d->configs[i].label);
        free(d->configs[i].runs);
    }
    free(d->configs);
    for (int g = 0; d->groups && g < d->group_count; g++) {
        for (int k = 0; d->groups[g].values && k < d->group_key_count; k++) free(d->groups[g].values[k]);
        free(d->groups[g].values), free(d->groups[g].label), free(d->groups[g].configs);
    }
    free(d->groups);
    for (int i = 0; d->hps && i < d->hp_count; i++) {
        HyperParam *h = &d->hps[i];
        for (int l = 0; l < h->level_count; l++) free(h->levels[l]);
        free(h->key), free(h->levels), free(h->level_value), free(h->run_level), free(h->level_stat);
    }
    free(d->hps);
    free(d->importance_order);
    free(d->pareto);
    free(d->pareto_flops);
    for (int i = 0; i < d->eval_count; i++) {
        ReportEvaluation *v = &d->evals[i];
        for (int k = 0; v->names && k < v->classes; k++) free(v->names[k]);
        free(v->names), free(v->confusion), free(v->checkpoint), free(v->split), free(v->dataset);
    }
    free(d->evals);
    free(d->pareto_speed);
    report_tables_free(&d->tables);
    store_free_runs(d->runs, d->count);
    memset(d, 0, sizeof *d);
}

int report_data_build(ReportData *d, char *err) {
    int n = d->count;
    d->sums = calloc((size_t)n + 1, sizeof *d->sums);
    d->flats = calloc((size_t)n + 1, sizeof *d->flats);
    d->models = calloc((size_t)n + 1, sizeof *d->models);
    d->sweeps = calloc((size_t)n + 1, sizeof *d->sweeps);
    if (!d->sums || !d->flats || !d->models || !d->sweeps)
        return err_set(err, "report: out of memory");
    d->best_run = d->best_top1_run = -1;

    StrMap keys = {0}; /* the distinct config keys so far */
    int key_cap = 0;
    for (int r = 0; r < n; r++) {
        const RunRecord *run = &d->runs[r];
        cJSON *json = cJSON_Parse(run->config_json);
        /* A config that is not a JSON object contributes no keys (treated as all absent). */
        int bad = json && cJSON_IsObject(json) && flatten(json, "", &d->flats[r]);
        cJSON_Delete(json);
        if (bad) goto oom;
        for (int i = 0; i < d->flats[r].n; i++) {
            if (str_map_get(&keys, d->flats[r].keys[i]) >= 0) continue;
            if (d->config_key_count >= MAX_CONFIG_KEYS) goto toomany;
            if (d->config_key_count == key_cap) {
                key_cap = key_cap ? key_cap * 2 : 32;
                char **grown = realloc(d->config_keys, (size_t)key_cap * sizeof *grown);
                if (!grown) goto oom;
                d->config_keys = grown;
            }
            if (!(d->config_keys[d->config_key_count] = strdup(d->flats[r].keys[i]))) goto oom;
            d->config_key_count++;
            if (str_map_put(&keys, d->flats[r].keys[i], d->config_key_count - 1)) goto oom;
        }
        summarise_run(d, r);
        RunSummary *s = &d->sums[r];
        if (s->finished && !isnan(s->metric) && (d->best_run < 0 || metric_better(d->metric, s->metric, d->sums[d->best_run].metric)))
            d->best_run = r;
        if (!isnan(s->best_top1) && (d->best_top1_run < 0 || s->best_top1 > d->sums[d->best_top1_run].best_top1))
            d->best_top1_run = r;
        d->finished += s->finished;
        d->problems += s->problem;
        int m = index_of(d->models, d->model_count, run->model);
        if (m < 0) {
            m = d->model_count;
            if (!(d->models[d->model_count++] = strdup(run->model))) goto oom;
        }
        s->model_index = m;
        if (index_of(d->sweeps, d->sweep_count, run->sweep_name) < 0 &&
            !(d->sweeps[d->sweep_count++] = strdup(run->sweep_name)))
            goto oom;
    }
    str_map_free(&keys);
    if (parse_group_by(d, err) || build_groups(d, err) || build_configs(d, err) || summarise_configs(d, err))
        return -1;
    for (int r = 0; r < n; r++) {
        Buf b = {0};
        char id[32];
        snprintf(id, sizeof id, "#%lld ", (long long)d->runs[r].id);
        buf_add(&b, id);
        buf_add(&b, d->runs[r].model);
        if (*d->sums[r].key_params) buf_add(&b, " "), buf_add(&b, d->sums[r].key_params);
        if (!(d->sums[r].label = buf_take(&b))) return err_set(err, "report: out of memory");
    }
    if (build_pareto(d, err) || build_importance(d, err)) return -1;

    Buf t = {0};
    buf_add(&t, "Cohort report");
    for (int i = 0; i < d->sweep_count; i++) buf_add(&t, i ? ", " : ": "), buf_add(&t, d->sweeps[i]);
    char *title = buf_take(&t);
    if (!title) return err_set(err, "report: out of memory");
    snprintf(d->title, sizeof d->title, "%s", title);
    if (strlen(title) >= sizeof d->title) memcpy(d->title + sizeof d->title - 4, "...", 4);
    free(title);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(d->generated_at, sizeof d->generated_at, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return 0;
toomany:
    str_map_free(&keys);
    return err_set(err, "report: more than 8000 distinct configuration keys");
oom:
    str_map_free(&keys);
    return err_set(err, "report: out of memory");
}

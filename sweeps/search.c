/* Search: grid, random and TPE proposals over a sweep's space, with the history of known trials (see
 * search.h). Every known trial is kept with its config, its status and value, and its parameters in the
 * estimators' internal space (NaN where a parameter does not apply). */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str_map.h"
#include "sweep_internal.h"
#include "tpe.h"

/* Draws of one configuration before giving up: a draw is retried when it repeats a known configuration
 * or the trainer refuses the combination. */
#define MAX_DRAWS 200

typedef struct {
    char key[17];
    cJSON *config;
    SearchStatus status;
    int epoch;
    double value;
    double *x; /* [space->count] internal values, NaN = absent */
} Entry;

/* A configuration whose runs with some seeds are still to be issued. */
typedef struct {
    cJSON *base; /* the config without seed */
    int next_seed;
} Pending;

struct Search {
    const Sweep *sweep;
    const SweepSpace *space;
    int method; /* 0 grid, 1 random, 2 bayes */
    uint64_t seed;
    Entry *entries;
    int count, cap;
    StrMap index; /* trial key -> entry */
    int grid_pos;
    Pending *pending;
    int pending_count;
    int restored_scan_done;
    long configs; /* configurations proposed or known: the stream index of the next proposal */
    int next_index;
    TpeDomain *domains; /* per parameter */
    int multivariate;   /* joint TPE over the top-level parameters */
};

/* ---- the table of known trials ------------------------------------------------------------------------ */

static int find_entry(const Search *s, const char *key) { return str_map_get(&s->index, key); }

/* Internal value of a parameter's JSON value (NaN when it cannot be placed). */
static double internal_value(const SweepParam *p, const cJSON *v) {
    if (p->dist == DIST_CONSTANT || p->dist == DIST_CATEGORICAL) {
        int i = sweep_value_index(p, v);
        return i < 0 ? NAN : i;
    }
    if (!cJSON_IsNumber(v)) return NAN;
    double x = v->valuedouble;
    switch (p->dist) {
    case DIST_LOG_UNIFORM_VALUES:
    case DIST_Q_LOG_UNIFORM_VALUES:
    case DIST_LOG_UNIFORM:
    case DIST_LOG_NORMAL: return x > 0 ? log(x) : NAN;
    default: return x;
    }
}

/* The parameters of a config, in internal space; parameters that do not apply are NaN. */
static void config_internal(const SweepSpace *space, const cJSON *config, double *x, cJSON **assigned) {
    for (int p = 0; p < space->count; p++) {
        assigned[p] = NULL;
        x[p] = NAN;
        if (!sweep_param_active(space, p, assigned)) continue;
        cJSON *v = cJSON_GetObjectItemCaseSensitive(config, space->params[p].key);
        if (!v) continue;
        assigned[p] = v;
        x[p] = internal_value(&space->params[p], v);
    }
}

/* Adds (or, for a known key, updates) a trial; config is taken over. Returns the entry or -1. */
static int add_entry(Search *s, cJSON *config, const char key[17], SearchStatus status, int epoch, double value) {
    int e = find_entry(s, key);
    if (e >= 0) {
        cJSON_Delete(config);
        s->entries[e].status = status;
        s->entries[e].epoch = epoch;
        s->entries[e].value = value;
        return e;
    }
    if (s->count == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        Entry *grown = realloc(s->entries, (size_t)cap * sizeof *grown);
        if (!grown) return -1;
        s->entries = grown;
        s->cap = cap;
    }
    Entry *en = &s->entries[s->count];
    memset(en, 0, sizeof *en);
    en->x = malloc(((size_t)s->space->count + 1) * sizeof *en->x);
    cJSON **assigned = calloc((size_t)s->space->count + 1, sizeof *assigned);
    if (!en->x || !assigned) {
        free(en->x);
        free(assigned);
        return -1;
    }
    config_internal(s->space, config, en->x, assigned);
    free(assigned);
    if (str_map_put(&s->index, key, s->count)) {
        free(en->x);
        return -1;
    }
    memcpy(en->key, key, 17);
    en->config = config;
    en->status = status;
    en->epoch = epoch;
    en->value = value;
    return s->count++;
}

/* ---- TPE domains ---------------------------------------------------------------------------------------- */

static double snap_value(const SweepParam *p, double v); /* below */

/* A raw draw in internal space -> the internal value of the nearest allowed value. */
static double snap_internal(const void *ctx, double x) {
    const SweepParam *p = ctx;
    int logd = p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES ||
               p->dist == DIST_LOG_UNIFORM || p->dist == DIST_LOG_NORMAL;
    double v = snap_value(p, logd ? exp(x) : x);
    return logd ? log(v) : v;
}

/* A numeric value -> the nearest allowed value of the parameter (rounded as trial values are). */
static double snap_value(const SweepParam *p, double v) {
    double out = v;
    switch (p->dist) {
    case DIST_INT_UNIFORM: out = fmin(fmax(round(v), p->min), p->max); break;
    case DIST_UNIFORM:
    case DIST_LOG_UNIFORM_VALUES: out = fmin(fmax(v, p->min), p->max); break;
    case DIST_LOG_UNIFORM: out = fmin(fmax(v, exp(p->min)), exp(p->max)); break;
    case DIST_Q_UNIFORM:
    case DIST_Q_LOG_UNIFORM_VALUES: {
        double k = fmin(fmax(round(v / p->q), (double)p->kmin), (double)p->kmax);
        out = k * p->q;
        break;
    }
    default: break;
    }
    cJSON *n = sweep_param_number(p, out);
    if (n) out = n->valuedouble;
    cJSON_Delete(n);
    return out;
}

/* Whether internal value x (log space for log_normal) is a value the parameter's key accepts. */
static int valid_internal(const SweepSpace *space, const SweepParam *p, double x) {
    char msg[ERR_LEN];
    double v = p->dist == DIST_LOG_NORMAL ? exp(x) : x;
    if (p->type == 'i') v = round(v);
    return isfinite(v) && sweep_value_check_number(space->objective, p->key, sweep_round_sig(v, 10), msg) == 0;
}

/* The valid internal value nearest `far` on the way from `from` (bisection; `far` itself when valid, `from`
 * when `from` is not valid either). */
static double valid_bound(const SweepSpace *space, const SweepParam *p, double from, double far) {
    if (valid_internal(space, p, far) || !valid_internal(space, p, from)) return far;
    double good = from, bad = far;
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (good + bad);
        if (valid_internal(space, p, mid)) good = mid;
        else bad = mid;
    }
    return good;
}

static void make_domain(const SweepSpace *space, const SweepParam *p, TpeDomain *d) {
    memset(d, 0, sizeof *d);
    d->snap = snap_internal;
    d->ctx = p;
    switch (p->dist) {
    case DIST_CONSTANT:
    case DIST_CATEGORICAL:
        d->categorical = 1;
        d->choices = p->count;
        d->prior = p->probs;
        break;
    case DIST_INT_UNIFORM:
        d->low = p->min - 0.5;
        d->high = p->max + 0.5;
        d->step = 1;
        break;
    case DIST_UNIFORM:
        d->low = p->min;
        d->high = p->max;
        break;
    case DIST_Q_UNIFORM:
        d->low = (double)p->kmin * p->q - 0.5 * p->q;
        d->high = (double)p->kmax * p->q + 0.5 * p->q;
        d->step = p->q;
        break;
    case DIST_LOG_UNIFORM_VALUES:
        d->low = log(p->min);
        d->high = log(p->max);
        break;
    case DIST_Q_LOG_UNIFORM_VALUES: {
        double lo = (double)p->kmin * p->q, hi = (double)p->kmax * p->q;
        d->low = log(fmax(lo - 0.5 * p->q, 0.5 * lo));
        d->high = log(hi + 0.5 * p->q);
        break;
    }
    case DIST_LOG_UNIFORM:
        d->low = p->min;
        d->high = p->max;
        break;
    case DIST_NORMAL:
    case DIST_LOG_NORMAL:
        /* an unbounded distribution: modelled within 4 sigma (cut to the values the key accepts), its prior
         * the distribution itself */
        d->low = valid_bound(space, p, p->mu, p->mu - 4 * p->sigma);
        d->high = valid_bound(space, p, p->mu, p->mu + 4 * p->sigma);
        if (!(d->low < d->high)) {
            d->low = p->mu - 4 * p->sigma;
            d->high = p->mu + 4 * p->sigma;
        }
        d->prior_mu = p->mu;
        d->prior_sigma = p->sigma;
        break;
    default: break;
    }
}

/* ---- create, restore, report ------------------------------------------------------------------------------- */

Search *search_create(const Sweep *sweep, uint64_t seed, char err[ERR_LEN]) {
    if (!sweep || !sweep->space) {
        err_set(err, "search: the sweep is not loaded");
        return NULL;
    }
    Search *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(err, "search: out of memory");
        return NULL;
    }
    s->sweep = sweep;
    s->space = sweep->space;
    s->seed = seed;
    s->method = !strcmp(sweep->method, "grid") ? 0 : !strcmp(sweep->method, "random") ? 1 : 2;
    s->multivariate = 1;
    s->domains = calloc((size_t)s->space->count + 1, sizeof *s->domains);
    if (!s->domains) {
        search_free(s);
        err_set(err, "search: out of memory");
        return NULL;
    }
    for (int p = 0; p < s->space->count; p++) make_domain(s->space, &s->space->params[p], &s->domains[p]);
    return s;
}

void search_free(Search *s) {
    if (!s) return;
    for (int e = 0; e < s->count; e++) {
        cJSON_Delete(s->entries[e].config);
        free(s->entries[e].x);
    }
    for (int i = 0; i < s->pending_count; i++) cJSON_Delete(s->pending[i].base);
    free(s->pending);
    free(s->entries);
    str_map_free(&s->index);
    free(s->domains);
    free(s);
}

int search_restore(Search *s, const cJSON *stored, SearchStatus status, int epoch, double value,
                   char err[ERR_LEN]) {
    cJSON *config = cJSON_IsObject(stored) ? cJSON_Duplicate(stored, 1) : NULL;
    char key[17];
    if (!config || sweep_config_hash(config, key)) {
        cJSON_Delete(config);
        char *text = stored ? cJSON_PrintUnformatted(stored) : NULL;
        err_set(err, "search: a stored config is not a JSON object: %.200s", text ? text : "(not valid JSON)");
        cJSON_free(text);
        return -1;
    }
    /* the stored JSON may carry runner-only keys (resources' threads) that are not part of the config */
    if (s->sweep->threads >= 0 && !s->space->objective) {
        int defined = 0;
        for (int p = 0; p < s->space->count; p++) defined |= !strcmp(s->space->params[p].key, "threads");
        if (!defined) {
            cJSON_DeleteItemFromObjectCaseSensitive(config, "threads");
            sweep_config_hash(config, key);
        }
    }
    sweep_json_sort(config);
    if (add_entry(s, config, key, status, epoch, value) < 0) return err_set(err, "search: out of memory");
    s->restored_scan_done = 0;
    return 0;
}

int search_report(Search *s, const char *trial_key, SearchStatus status, int epoch, double value) {
    int e = find_entry(s, trial_key);
    if (e < 0) return -1;
    if (status == SEARCH_FINISHED && isnan(value)) status = SEARCH_FAILED;
    s->entries[e].status = status;
    s->entries[e].epoch = epoch;
    s->entries[e].value = value;
    return 0;
}

int search_observe(Search *s, const char *trial_key, double value) {
    return search_report(s, trial_key, isnan(value) ? SEARCH_FAILED : SEARCH_FINISHED, 0, value);
}

int search_running(Search *s, const char *trial_key) { return search_report(s, trial_key, SEARCH_RUNNING, 0, NAN); }

int search_trial_count(const Search *s) { return s->count; }

const char *search_best(const Search *s, double *value) {
    const char *best = NULL;
    double bv = NAN;
    for (int e = 0; e < s->count; e++) {
        const Entry *en = &s->entries[e];
        if (en->status != SEARCH_FINISHED) continue;
        if (!best || sweep_better(s->sweep, en->value, bv)) {
            best = en->key;
            bv = en->value;
        }
    }
    if (value) *value = bv;
    return best;
}

/* ---- seeds ------------------------------------------------------------------------------------------------- */

/* The config without its seed. */
static cJSON *base_of(const cJSON *config) {
    cJSON *base = cJSON_Duplicate(config, 1);
    if (base) cJSON_DeleteItemFromObjectCaseSensitive(base, "seed");
    return base;
}

static int push_pending(Search *s, cJSON *base, int next_seed) {
    Pending *grown = realloc(s->pending, (size_t)(s->pending_count + 1) * sizeof *grown);
    if (!grown) {
        cJSON_Delete(base);
        return -1;
    }
    s->pending = grown;
    s->pending[s->pending_count++] = (Pending){base, next_seed};
    return 0;
}

/* After a restore: the known configurations (counted as proposals, so the next one draws from a fresh
 * stream) and those whose seeds were not all issued (queued, so they are completed first). */
static int scan_restored(Search *s) {
    s->restored_scan_done = 1;
    s->configs = 0;
    s->next_index = s->count;
    int seeds = s->sweep->seed_count;
    char *done = calloc((size_t)s->count + 1, 1);
    if (!done) return -1;
    for (int e = 0; e < s->count; e++) {
        if (done[e]) continue;
        s->configs++;
        if (seeds == 0) continue;
        cJSON *base = base_of(s->entries[e].config);
        if (!base) {
            free(done);
            return -1;
        }
        /* the seeds of this configuration that are known */
        int missing = 0;
        for (int k = 0; k < seeds; k++) {
            cJSON *c = cJSON_Duplicate(base, 1);
            char key[17];
            if (!c || !cJSON_AddNumberToObject(c, "seed", (double)s->sweep->seeds[k]) ) {
                cJSON_Delete(c);
                continue;
            }
            sweep_json_sort(c);
            sweep_config_key(c, key, NULL);
            cJSON_Delete(c);
            int f = find_entry(s, key);
            if (f >= 0) done[f] = 1;
            else missing = 1;
        }
        if (missing) {
            if (push_pending(s, base, 0)) {
                free(done);
                return -1;
            }
        } else {
            cJSON_Delete(base);
        }
    }
    free(done);
    return 0;
}

/* The next seed run of a queued configuration that is not known yet; 1 = *config set. */
static int next_pending(Search *s, cJSON **config, char key[17], char err[ERR_LEN]) {
    while (s->pending_count > 0) {
        Pending *pd = &s->pending[0];
        while (pd->next_seed < s->sweep->seed_count) {
            cJSON *c = cJSON_Duplicate(pd->base, 1);
            if (!c || !cJSON_AddNumberToObject(c, "seed", (double)s->sweep->seeds[pd->next_seed++])) {
                cJSON_Delete(c);
                return err_set(err, "search: out of memory");
            }
            sweep_json_sort(c);
            sweep_config_key(c, key, NULL);
            if (find_entry(s, key) < 0) {
                *config = c;
                return 1;
            }
            cJSON_Delete(c);
        }
        cJSON_Delete(pd->base);
        memmove(s->pending, s->pending + 1, (size_t)(--s->pending_count) * sizeof *s->pending);
    }
    return 0;
}

/* ---- proposals -------------------------------------------------------------------------------------------- */

/* Observations in Optuna's ranking: finished (by score), then pruned (deeper first, then by score), then
 * diverged, then running ones (the constant liar). Returns the number of finished+pruned+diverged. */
typedef struct {
    int entry;
    double step; /* -inf finished, -epoch pruned, +inf running */
    double score;
} Ranked;

static int by_rank(const void *a, const void *b) {
    const Ranked *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return x->entry - y->entry; /* stable */
}

static int by_entry(const void *a, const void *b) { return ((const Ranked *)a)->entry - ((const Ranked *)b)->entry; }

/* Splits the history into below (the best gamma(n)) and above, each chronological. */
static int split_history(const Search *s, Ranked **out, int *total, int *n_below, int *n_done) {
    Ranked *r = malloc(((size_t)s->count + 1) * sizeof *r);
    if (!r) return -1;
    int n = 0, done = 0;
    double sign = s->sweep->maximize ? -1 : 1;
    for (int e = 0; e < s->count; e++) {
        const Entry *en = &s->entries[e];
        Ranked x = {e, 0, 0};
        switch (en->status) {
        case SEARCH_FINISHED:
            x.step = -INFINITY;
            x.score = sign * en->value;
            done++;
            break;
        case SEARCH_PRUNED:
            x.step = -(double)en->epoch;
            x.score = isnan(en->value) ? INFINITY : sign * en->value;
            done++;
            break;
        case SEARCH_DIVERGED:
            x.step = -(double)en->epoch;
            x.score = INFINITY;
            done++;
            break;
        case SEARCH_RUNNING:
            x.step = INFINITY;
            x.score = INFINITY;
            break;
        default: continue; /* failed: no information */
        }
        if (isnan(x.score)) x.score = INFINITY;
        r[n++] = x;
    }
    qsort(r, (size_t)n, sizeof *r, by_rank);
    int nb = tpe_gamma(done);
    if (nb > n) nb = n;
    qsort(r, (size_t)nb, sizeof *r, by_entry);
    qsort(r + nb, (size_t)(n - nb), sizeof *r, by_entry);
    *out = r;
    *total = n;
    *n_below = nb;
    *n_done = done;
    return 0;
}

/* A parameter's value from an internal one. */
static cJSON *value_of_internal(const SweepParam *p, double x) {
    if (p->dist == DIST_CONSTANT || p->dist == DIST_CATEGORICAL) {
        int i = (int)x;
        if (i < 0) i = 0;
        if (i >= p->count) i = p->count - 1;
        return cJSON_Duplicate(p->values[i].json, 1);
    }
    int logd = p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES ||
               p->dist == DIST_LOG_UNIFORM || p->dist == DIST_LOG_NORMAL;
    return sweep_param_number(p, snap_value(p, logd ? exp(x) : x));
}

/* Observations of the given parameters in the below and above groups: rows of internal values, trials
 * where one of them is absent left out. */
static void gather(const Search *s, const Ranked *ranked, int total, int nb, const int *params, int dims,
                   double *below, int *nbl, double *above, int *nab) {
    *nbl = *nab = 0;
    for (int i = 0; i < total; i++) {
        const double *x = s->entries[ranked[i].entry].x;
        int present = 1;
        for (int j = 0; j < dims && present; j++) present = !isnan(x[params[j]]);
        if (!present) continue;
        double *row = i < nb ? below + (size_t)(*nbl)++ * (size_t)dims : above + (size_t)(*nab)++ * (size_t)dims;
        for (int j = 0; j < dims; j++) {
            const TpeDomain *d = &s->domains[params[j]];
            row[j] = d->categorical ? x[params[j]] : fmin(fmax(x[params[j]], d->low), d->high);
        }
    }
}

/* One draw of every parameter that applies: TPE where it has enough history, random otherwise. With
 * multivariate TPE the top-level parameters are drawn jointly, the conditional ones one by one. */
static int draw(Search *s, Rng *rng, const Ranked *ranked, int total, int nb, int use_tpe, cJSON **assigned) {
    const SweepSpace *space = s->space;
    int n = space->count;
    int *group = malloc(((size_t)n + 1) * sizeof *group), *in_group = calloc((size_t)n + 1, sizeof *in_group);
    const TpeDomain **doms = malloc(((size_t)n + 1) * sizeof *doms);
    double *below = malloc(((size_t)total + 1) * ((size_t)n + 1) * sizeof *below);
    double *above = malloc(((size_t)total + 1) * ((size_t)n + 1) * sizeof *above);
    double *joint = malloc(((size_t)n + 1) * sizeof *joint);
    int rc = group && in_group && doms && below && above && joint ? 0 : -1;
    int dims = 0;
    if (rc == 0 && use_tpe && s->multivariate) {
        for (int p = 0; p < n; p++)
            if (space->params[p].block < 0 && space->params[p].dist != DIST_CONSTANT) {
                in_group[p] = dims + 1;
                doms[dims] = &s->domains[p];
                group[dims++] = p;
            }
        int nbl, nab;
        gather(s, ranked, total, nb, group, dims, below, &nbl, above, &nab);
        if (dims > 0 && tpe_propose(doms, dims, below, nbl, above, nab, rng, joint)) rc = -1;
    }
    for (int p = 0; rc == 0 && p < n; p++) {
        assigned[p] = NULL;
        if (!sweep_param_active(space, p, assigned)) continue;
        const SweepParam *param = &space->params[p];
        if (in_group[p]) {
            assigned[p] = value_of_internal(param, joint[in_group[p] - 1]);
        } else if (!use_tpe || param->dist == DIST_CONSTANT) {
            assigned[p] = sweep_param_sample(param, rng);
        } else {
            const TpeDomain *d = &s->domains[p];
            int nbl, nab;
            double x;
            gather(s, ranked, total, nb, &p, 1, below, &nbl, above, &nab);
            if (tpe_propose(&d, 1, below, nbl, above, nab, rng, &x)) rc = -1;
            else assigned[p] = value_of_internal(param, x);
        }
        if (rc == 0 && !assigned[p]) rc = -1;
    }
    free(group);
    free(in_group);
    free(doms);
    free(below);
    free(above);
    free(joint);
    return rc;
}

/* A new configuration: its first-seed trial (the other seeds are queued). 1 = found, 0 = none new. */
static int propose(Search *s, cJSON **config, char key[17], char err[ERR_LEN]) {
    const SweepSpace *space = s->space;
    int seeded = s->sweep->seed_count > 0;
    uint64_t first_seed = seeded ? s->sweep->seeds[0] : 0;
    Rng rng;
    rng_seed_stream(&rng, s->seed, (uint64_t)s->configs);
    s->configs++;

    Ranked *ranked = NULL;
    int total = 0, nb = 0, done = 0;
    if (s->method == 2 && split_history(s, &ranked, &total, &nb, &done)) return err_set(err, "search: out of memory");
    int use_tpe = s->method == 2 && done >= TPE_STARTUP_TRIALS;
    cJSON **assigned = calloc((size_t)space->count + 1, sizeof *assigned);
    int rc = assigned ? 0 : err_set(err, "search: out of memory");
    char last_msg[ERR_LEN] = "", last_text[512] = "";
    int invalid = 0;
    for (int attempt = 0; rc == 0 && attempt < MAX_DRAWS; attempt++) {
        /* TPE first; if it keeps repeating itself or proposing invalid combinations, random draws */
        int tpe = use_tpe && attempt < MAX_DRAWS / 4;
        if (draw(s, &rng, ranked, total, nb, tpe, assigned)) {
            rc = err_set(err, "search: out of memory");
            break;
        }
        cJSON *c = sweep_config_build(space, assigned, seeded, first_seed);
        for (int p = 0; p < space->count; p++) {
            cJSON_Delete(assigned[p]);
            assigned[p] = NULL;
        }
        char *text = NULL, msg[ERR_LEN];
        if (!c || sweep_config_key(c, key, &text)) {
            cJSON_Delete(c);
            rc = err_set(err, "search: out of memory");
            break;
        }
        if (find_entry(s, key) >= 0) {
            cJSON_free(text);
            cJSON_Delete(c);
            continue;
        }
        if (sweep_config_check(space, c, msg)) {
            invalid++;
            snprintf(last_msg, sizeof last_msg, "%s", msg);
            snprintf(last_text, sizeof last_text, "%s", text);
            cJSON_free(text);
            cJSON_Delete(c);
            continue;
        }
        cJSON_free(text);
        if (seeded && s->sweep->seed_count > 1) {
            cJSON *base = base_of(c);
            if (!base || push_pending(s, base, 1)) {
                cJSON_Delete(c);
                rc = err_set(err, "search: out of memory");
                break;
            }
        }
        *config = c;
        rc = 1;
    }
    free(assigned);
    free(ranked);
    if (rc == 0 && invalid > MAX_DRAWS / 2)
        return err_set(err, "%s: %d of %d draws were invalid combinations, e.g. %s: %s", space->file, invalid, MAX_DRAWS,
                       last_text, last_msg);
    return rc;
}

int search_next(Search *s, SweepTrial *out, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    if (s->method == 0) {
        while (s->grid_pos < s->sweep->trial_count) {
            const SweepTrial *t = &s->sweep->trials[s->grid_pos++];
            if (find_entry(s, t->key) >= 0) continue;
            cJSON *c = cJSON_Duplicate(t->config, 1);
            if (!c || add_entry(s, c, t->key, SEARCH_RUNNING, 0, NAN) < 0) return err_set(err, "search: out of memory");
            out->index = t->index;
            memcpy(out->key, t->key, 17);
            out->config = cJSON_Duplicate(t->config, 1);
            return out->config ? 1 : err_set(err, "search: out of memory");
        }
        return 0;
    }
    if (!s->restored_scan_done && scan_restored(s)) return err_set(err, "search: out of memory");
    if (s->sweep->run_cap > 0 && s->count >= s->sweep->run_cap) return 0;
    cJSON *config = NULL;
    char key[17];
    int rc = next_pending(s, &config, key, err);
    if (rc == 0) rc = propose(s, &config, key, err);
    if (rc <= 0) return rc;
    cJSON *copy = cJSON_Duplicate(config, 1);
    if (!copy || add_entry(s, config, key, SEARCH_RUNNING, 0, NAN) < 0) {
        cJSON_Delete(copy);
        return err_set(err, "search: out of memory");
    }
    out->index = s->next_index++;
    memcpy(out->key, key, 17);
    out->config = copy;
    return 1;
}

/* Sweep file -> validated Sweep. The YAML tree (yaml_tree.c) knows nothing about sweeps; this file checks
 * the document's top-level keys (the parameters are sweep_param.c's), and every message carries the
 * offending node's own line:column and dotted path so a user can go straight to it. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "objective.h"
#include "sweep_internal.h"

int sweep_error(char err[ERR_LEN], const char *file, int line, int column, const char *key, const char *fmt, ...) {
    char msg[ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* an empty key (`"": x` in the file) would leave the KEY slot blank; name the document instead */
    return err_set(err, "%s:%d:%d: %s: %s", file, line, column, *key ? key : "yaml", msg);
}

void sweep_warn(Sweep *sweep, const char *file, int line, int column, const char *key, const char *fmt, ...) {
    char msg[ERR_LEN], full[ERR_LEN + 600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s:%d:%d: %s: %s", file, line, column, *key ? key : "yaml", msg);
    char **grown = realloc(sweep->warnings, (size_t)(sweep->warning_count + 1) * sizeof *grown);
    if (!grown) return;
    sweep->warnings = grown;
    if ((sweep->warnings[sweep->warning_count] = strdup(full))) sweep->warning_count++;
}

void sweep_trial_clear(SweepTrial *trial) {
    if (!trial) return;
    cJSON_Delete(trial->config);
    memset(trial, 0, sizeof *trial);
}

void sweep_free(Sweep *sweep) {
    if (!sweep) return;
    for (int i = 0; i < sweep->trial_count; i++) cJSON_Delete(sweep->trials[i].config);
    free(sweep->trials);
    free(sweep->description);
    cJSON_free(sweep->spec_json); /* printed by cJSON, so released through its allocator */
    free(sweep->seeds);
    for (int i = 0; i < sweep->warning_count; i++) free(sweep->warnings[i]);
    free(sweep->warnings);
    for (int i = 0; i < sweep->probe_count; i++) cJSON_Delete(sweep->probes[i]);
    free(sweep->probes);
    sweep_space_free(sweep->space);
    memset(sweep, 0, sizeof *sweep);
}

/* ---- top level ---------------------------------------------------------------------------------- */

static const struct {
    const char *key;
    int required;
} TOP_KEYS[] = {{"name", 1},    {"description", 0}, {"method", 1},          {"metric", 0},
                {"parameters", 1}, {"run_cap", 0},  {"seeds", 0},           {"repeats", 0},
                {"search_seed", 0}, {"resources", 0}, {"early_terminate", 0}, {"max_retries", 0},
                {"keep_checkpoints", 0}};
#define TOP_KEY_COUNT ((int)(sizeof TOP_KEYS / sizeof TOP_KEYS[0]))

/* W&B keys that make sense only to W&B's agent: a warning, then ignored. */
static const char *const WANDB_ONLY_KEYS[] = {"program", "command", "project", "entity"};

static const char *const METHODS[] = {"grid", "random", "bayes"};


typedef struct {
    SweepSpace *space;
    Sweep *out;
    char *err;
} Doc;

#define FILE_OF(d) ((d)->space->file)

static int fail(Doc *d, const YNode *at, const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(Doc *d, const YNode *at, const char *key, const char *fmt, ...) {
    char msg[ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sweep_error(d->err, FILE_OF(d), at->line, at->column, key, "%s", msg);
}

/* A string-valued key: a non-null scalar. */
static int read_string(Doc *d, const YNode *node, const char *key) {
    if (node->kind != YNODE_SCALAR) return fail(d, node, key, "expected a string, got %s", ytree_kind_name(node));
    if (ytree_is_null(node) || !*node->text) return fail(d, node, key, "expected a non-empty string");
    return 0;
}

/* An integer-valued key in [lo, hi]. */
static int read_int(Doc *d, const YNode *node, const char *key, long long lo, long long hi, long long *out) {
    if (node->kind != YNODE_SCALAR || ytree_is_null(node))
        return fail(d, node, key, "expected an integer, got %s", ytree_is_null(node) ? "null" : ytree_kind_name(node));
    char *end;
    errno = 0;
    long long v = strtoll(node->text, &end, 10);
    if (errno || end == node->text || *end) return fail(d, node, key, "expected an integer, got '%s'", node->text);
    if (v < lo || v > hi) return fail(d, node, key, "%lld is out of range [%lld, %lld]", v, lo, hi);
    *out = v;
    return 0;
}

static int read_name(Doc *d, const YNode *node) {
    if (read_string(d, node, "name")) return -1;
    if (strlen(node->text) >= sizeof d->out->name)
        return fail(d, node, "name", "longer than %zu characters", sizeof d->out->name - 1);
    strcpy(d->out->name, node->text);
    return 0;
}

static int read_method(Doc *d, const YNode *node) {
    if (read_string(d, node, "method")) return -1;
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++)
        if (!strcmp(node->text, METHODS[i])) {
            strcpy(d->out->method, node->text);
            return 0;
        }
    return fail(d, node, "method", "unknown method '%s' (expected grid, random or bayes)", node->text);
}

static int read_description(Doc *d, const YNode *node) {
    if (node->kind != YNODE_SCALAR)
        return fail(d, node, "description", "expected a string, got %s", ytree_kind_name(node));
    if (ytree_is_null(node)) return 0; /* `description:` left empty */
    if (!(d->out->description = strdup(node->text))) return fail(d, node, "description", "out of memory");
    return 0;
}

static int read_metric(Doc *d, const YNode *node) {
    if (node->kind != YNODE_MAPPING) return fail(d, node, "metric", "expected {name: M, goal: minimize | maximize}, got %s",
                                                 ytree_kind_name(node));
    const YNode *name = NULL, *goal = NULL;
    for (int i = 0; i < node->count; i++) {
        const YNode *k = ytree_map_key(node, i), *v = ytree_map_value(node, i);
        char path[256];
        snprintf(path, sizeof path, "metric.%s", k->text);
        if (!strcmp(k->text, "name")) name = v;
        else if (!strcmp(k->text, "goal")) goal = v;
        else if (!strcmp(k->text, "target"))
            sweep_warn(d->out, FILE_OF(d), k->line, k->column, path, "ignored (a W&B setting Cohort does not use)");
        else return fail(d, k, path, "unknown key '%s' (expected name or goal)", k->text);
    }
    if (!name) return fail(d, node, "metric.name", "required key is missing");
    if (read_string(d, name, "metric.name")) return -1;
    int is_value = !strcmp(name->text, OBJECTIVE_METRIC), found = metric_find(name->text);
    if (found < 0 && !is_value)
        return fail(d, name, "metric.name",
                    "unknown metric '%s' (expected train_loss, train_top1, val_loss, val_top1, test_loss, test_top1, "
                    "test_top5, or value for objectives)",
                    name->text);
    if (is_value != d->space->objective)
        return fail(d, name, "metric.name", is_value ? "'value' is the metric of objective sweeps (model: objective)"
                                                     : "an objective sweep's metric is 'value', not '%s'",
                    name->text);
    strcpy(d->out->metric, name->text);
    d->out->maximize = found >= 0 && !metric_minimise((MetricId)found);
    if (goal) {
        if (read_string(d, goal, "metric.goal")) return -1;
        if (!strcmp(goal->text, "maximize")) d->out->maximize = 1;
        else if (!strcmp(goal->text, "minimize")) d->out->maximize = 0;
        else return fail(d, goal, "metric.goal", "expected minimize or maximize, got '%s'", goal->text);
    }
    return 0;
}

static int read_seeds(Doc *d, const YNode *node) {
    if (node->kind != YNODE_SEQUENCE || node->count == 0)
        return fail(d, node, "seeds", "expected a non-empty list of seeds");
    if (!(d->out->seeds = calloc((size_t)node->count, sizeof *d->out->seeds))) return fail(d, node, "seeds", "out of memory");
    for (int i = 0; i < node->count; i++) {
        char path[64];
        snprintf(path, sizeof path, "seeds[%d]", i);
        long long v;
        if (read_int(d, node->items[i], path, 0, (long long)SWEEP_MAX_EXACT_INTEGER, &v)) return -1;
        for (int j = 0; j < i; j++)
            if (d->out->seeds[j] == (uint64_t)v) return fail(d, node->items[i], path, "seed %lld is listed twice", v);
        d->out->seeds[d->out->seed_count++] = (uint64_t)v;
    }
    return 0;
}

static int read_repeats(Doc *d, const YNode *node) {
    long long n = 0;
    if (read_int(d, node, "repeats", 1, 1000, &n)) return -1;
    if (!(d->out->seeds = calloc((size_t)n, sizeof *d->out->seeds))) return fail(d, node, "repeats", "out of memory");
    for (long long i = 0; i < n; i++) d->out->seeds[i] = (uint64_t)i;
    d->out->seed_count = (int)n;
    return 0;
}

/* keep_checkpoints: one of best, last, all, none, or a list of best and last. */
static int keep_word(Doc *d, const YNode *node, const char *path, int *mask) {
    static const struct {
        const char *word;
        int mask;
    } WORDS[] = {{"best", SWEEP_KEEP_BEST}, {"last", SWEEP_KEEP_LAST}, {"all", SWEEP_KEEP_ALL}, {"none", 0}};
    if (node->kind != YNODE_SCALAR || ytree_is_null(node))
        return fail(d, node, path, "expected best, last, all or none, got %s",
                    ytree_is_null(node) ? "null" : ytree_kind_name(node));
    for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++)
        if (!strcmp(node->text, WORDS[i].word)) {
            *mask = WORDS[i].mask;
            return 0;
        }
    return fail(d, node, path, "unknown value '%s' (expected best, last, all or none)", node->text);
}

static int read_keep_checkpoints(Doc *d, const YNode *node) {
    int mask = 0;
    if (node->kind != YNODE_SEQUENCE) {
        if (keep_word(d, node, "keep_checkpoints", &mask)) return -1;
        d->out->keep_checkpoints = mask;
        return 0;
    }
    if (node->count == 0) return fail(d, node, "keep_checkpoints", "expected a non-empty list of best and last");
    for (int i = 0; i < node->count; i++) {
        char path[64];
        int one;
        snprintf(path, sizeof path, "keep_checkpoints[%d]", i);
        if (keep_word(d, node->items[i], path, &one)) return -1;
        if (one != SWEEP_KEEP_BEST && one != SWEEP_KEEP_LAST)
            return fail(d, node->items[i], path, "'%s' stands alone, not in a list (a list takes best and last)",
                        node->items[i]->text);
        if (mask & one) return fail(d, node->items[i], path, "'%s' is listed twice", node->items[i]->text);
        mask |= one;
    }
    d->out->keep_checkpoints = mask;
    return 0;
}

static int read_resources(Doc *d, const YNode *node) {
    if (node->kind != YNODE_MAPPING) return fail(d, node, "resources", "expected {threads: N}, got %s", ytree_kind_name(node));
    for (int i = 0; i < node->count; i++) {
        const YNode *k = ytree_map_key(node, i);
        char path[256];
        snprintf(path, sizeof path, "resources.%s", k->text);
        if (strcmp(k->text, "threads")) return fail(d, k, path, "unknown key '%s' (expected threads)", k->text);
        long long n = 0;
        if (read_int(d, ytree_map_value(node, i), path, 0, 1024, &n)) return -1;
        d->out->threads = (int)n;
    }
    return 0;
}

/* ---- early_terminate ------------------------------------------------------------------------------- */

static int read_early_terminate(Doc *d, const YNode *node) {
    SweepEarlyTerminate *et = &d->out->early_terminate;
    if (node->kind != YNODE_MAPPING)
        return fail(d, node, "early_terminate", "expected {type: asha | hyperband | median, ...}, got %s",
                    ytree_kind_name(node));
    int t = ytree_map_find(node, "type");
    if (t < 0) return fail(d, node, "early_terminate.type", "required key is missing (asha, hyperband or median)");
    const YNode *type = ytree_map_value(node, t);
    if (read_string(d, type, "early_terminate.type")) return -1;
    int asha = !strcmp(type->text, "asha") || !strcmp(type->text, "hyperband");
    if (!asha && strcmp(type->text, "median"))
        return fail(d, type, "early_terminate.type", "unknown type '%s' (expected asha, hyperband or median)", type->text);
    et->type = asha ? SWEEP_STOP_ASHA : SWEEP_STOP_MEDIAN;
    long long min_epochs = -1, max_epochs = -1, eta = 3, s = -1, warmup = 0, min_trials = 5;
    const YNode *min_at = NULL, *max_at = NULL, *s_at = NULL;
    for (int i = 0; i < node->count; i++) {
        const YNode *k = ytree_map_key(node, i), *v = ytree_map_value(node, i);
        char path[256];
        snprintf(path, sizeof path, "early_terminate.%s", k->text);
        const char *key = k->text;
        if (!strcmp(key, "type")) continue;
        if (asha && (!strcmp(key, "min_epochs") || !strcmp(key, "min_iter"))) {
            if (min_at) return fail(d, k, path, "min_epochs and min_iter are the same setting; give one");
            if (read_int(d, v, path, 1, 1000000, &min_epochs)) return -1;
            min_at = k;
        } else if (asha && (!strcmp(key, "max_epochs") || !strcmp(key, "max_iter"))) {
            if (max_at) return fail(d, k, path, "max_epochs and max_iter are the same setting; give one");
            if (read_int(d, v, path, 1, 1000000, &max_epochs)) return -1;
            max_at = k;
        } else if (asha && !strcmp(key, "eta")) {
            if (read_int(d, v, path, 2, 1000, &eta)) return -1;
        } else if (asha && !strcmp(key, "s")) {
            if (read_int(d, v, path, 1, 30, &s)) return -1;
            s_at = k;
        } else if (asha && !strcmp(key, "strict")) {
            sweep_warn(d->out, FILE_OF(d), k->line, k->column, path, "ignored (a W&B setting Cohort does not use)");
        } else if (!asha && !strcmp(key, "warmup_epochs")) {
            if (read_int(d, v, path, 0, 1000000, &warmup)) return -1;
        } else if (!asha && !strcmp(key, "min_trials")) {
            if (read_int(d, v, path, 1, 1000000, &min_trials)) return -1;
        } else {
            return fail(d, k, path, "unknown key '%s' for type %s (expected %s)", key, type->text,
                        asha ? "min_epochs (min_iter), eta, max_epochs (max_iter) or s" : "warmup_epochs or min_trials");
        }
    }
    et->eta = (int)eta;
    et->warmup_epochs = (int)warmup;
    et->min_trials = (int)min_trials;
    if (!asha) return 0;
    if (s_at && (min_at || !max_at))
        return fail(d, s_at, "early_terminate.s", "s goes with max_iter and without min_iter (W&B's hyperband)");
    if (max_at && !min_at && !s_at)
        return fail(d, max_at, "early_terminate.max_iter", "max_iter needs min_iter (or s, W&B's bracket count)");
    if (s_at) {
        /* W&B: rungs at max_iter / eta^k for k = s .. 1 */
        double r = (double)max_epochs;
        int rungs[SWEEP_MAX_RUNGS], n = 0;
        for (long long k = 1; k <= s; k++) {
            r /= (double)eta;
            int e = (int)floor(r + 0.5);
            if (e < 1) break;
            if (n == 0 || rungs[n - 1] != e) rungs[n++] = e;
        }
        if (n == 0) return fail(d, s_at, "early_terminate.s", "max_iter / eta is below one epoch: no rung");
        for (int i = 0; i < n; i++) et->rungs[i] = rungs[n - 1 - i];
        et->rung_count = n;
        return 0;
    }
    if (min_epochs < 0) min_epochs = 1;
    if (max_at && max_epochs <= min_epochs)
        return fail(d, max_at, "early_terminate.max_epochs", "must be > min_epochs (%lld)", min_epochs);
    double r = (double)min_epochs;
    while (et->rung_count < SWEEP_MAX_RUNGS && r <= 1000000 && (max_epochs < 0 || r < (double)max_epochs)) {
        et->rungs[et->rung_count++] = (int)r;
        r *= (double)eta;
    }
    return 0;
}

/* ---- the whole document ------------------------------------------------------------------------------ */

/* model: {value: objective} (or a values list holding it) makes every key an objective key. */
static int detect_objective(const YNode *params) {
    if (!params || params->kind != YNODE_MAPPING) return 0;
    int m = ytree_map_find(params, "model");
    if (m < 0) return 0;
    const YNode *body = ytree_map_value(params, m);
    if (body->kind != YNODE_MAPPING) return 0;
    for (int i = 0; i < body->count; i++) {
        const YNode *k = ytree_map_key(body, i), *v = ytree_map_value(body, i);
        if (!strcmp(k->text, "value") && v->kind == YNODE_SCALAR && !strcmp(v->text, OBJECTIVE_MODEL)) return 1;
        if (!strcmp(k->text, "values") && v->kind == YNODE_SEQUENCE)
            for (int j = 0; j < v->count; j++)
                if (v->items[j]->kind == YNODE_SCALAR && !strcmp(v->items[j]->text, OBJECTIVE_MODEL)) return 1;
    }
    return 0;
}

static const YNode *value_of(const YNode *root, const char *key) {
    int i = ytree_map_find(root, key);
    return i < 0 ? NULL : ytree_map_value(root, i);
}

static const YNode *key_of(const YNode *root, const char *key) {
    int i = ytree_map_find(root, key);
    return i < 0 ? NULL : ytree_map_key(root, i);
}

/* A key defined in parameters (at any depth), or -1. */
static int find_param(const SweepSpace *s, const char *key) {
    for (int i = 0; i < s->count; i++)
        if (!strcmp(s->params[i].key, key)) return i;
    return -1;
}

/* Checks that depend on several top-level keys. */
static int check_whole(Doc *d, const YNode *root) {
    Sweep *out = d->out;
    SweepSpace *s = d->space;
    int grid = !strcmp(out->method, "grid");
    if (!grid && out->run_cap == 0)
        return fail(d, value_of(root, "method"), "run_cap",
                    "method %s needs run_cap: N, the number of runs to try (W&B would run forever)", out->method);
    int seed = find_param(s, "seed");
    if (seed >= 0 && out->seed_count > 0)
        return sweep_error(d->err, s->file, s->params[seed].line, s->params[seed].column, s->params[seed].path,
                           "seed is set by %s; remove it from parameters", key_of(root, "seeds") ? "seeds" : "repeats");
    if (!strncmp(out->metric, "val_", 4) && find_param(s, "val_split") < 0) {
        const YNode *m = value_of(value_of(root, "metric"), "name");
        return fail(d, m, "metric.name", "%s needs a validation split: set val_split among the parameters", out->metric);
    }
    for (int i = 0; i < s->count; i++) {
        const SweepParam *p = &s->params[i];
        if (grid && p->dist != DIST_CONSTANT && p->dist != DIST_CATEGORICAL && p->dist != DIST_INT_UNIFORM &&
            p->dist != DIST_Q_UNIFORM) {
            char path[320];
            snprintf(path, sizeof path, "%s%s", p->path, p->dist_line == p->line && p->dist_column == p->column
                                                              ? "" : ".distribution");
            return sweep_error(d->err, s->file, p->dist_line, p->dist_column, path,
                               "method grid needs a finite set of values (value, values, int_uniform or q_uniform), "
                               "not %s; use method random or bayes",
                               SWEEP_DIST_NAMES[p->dist]);
        }
        if (grid && p->probs)
            sweep_warn(out, s->file, p->line, p->column, p->path, "probabilities are ignored by method grid");
    }
    /* an early_terminate rule that can never act deserves a word */
    const SweepEarlyTerminate *et = &out->early_terminate;
    int epochs_param = find_param(s, s->objective ? "curve_epochs" : "epochs");
    const YNode *et_key = key_of(root, "early_terminate");
    if (et->type == SWEEP_STOP_ASHA && epochs_param >= 0 && s->params[epochs_param].dist == DIST_CONSTANT &&
        s->params[epochs_param].values[0].json->valuedouble <= et->rungs[0])
        sweep_warn(out, s->file, et_key->line, et_key->column, "early_terminate",
                   "never stops a trial: trials run %g epochs and the first rung is at epoch %d",
                   s->params[epochs_param].values[0].json->valuedouble, et->rungs[0]);
    if (s->objective && et->type != SWEEP_STOP_NONE && (epochs_param < 0))
        sweep_warn(out, s->file, et_key->line, et_key->column, "early_terminate",
                   "never stops a trial: objective trials without curve_epochs have one epoch");
    return 0;
}

static int read_document(const YNode *root, Doc *d) {
    Sweep *out = d->out;
    SweepSpace *s = d->space;
    if (!root || ytree_is_null(root))
        return sweep_error(d->err, s->file, root ? root->line : 1, root ? root->column : 1, "yaml",
                           "the file is empty (expected name, method and parameters)");
    if (root->kind != YNODE_MAPPING)
        return fail(d, root, "yaml", "expected a mapping with name, method and parameters, got %s", ytree_kind_name(root));

    /* unknown keys first, in file order: a misspelt key would otherwise surface as "missing" */
    for (int i = 0; i < root->count; i++) {
        const YNode *k = ytree_map_key(root, i);
        int known = 0;
        for (int t = 0; t < TOP_KEY_COUNT; t++) known |= !strcmp(k->text, TOP_KEYS[t].key);
        for (size_t w = 0; w < sizeof WANDB_ONLY_KEYS / sizeof WANDB_ONLY_KEYS[0]; w++)
            if (!strcmp(k->text, WANDB_ONLY_KEYS[w])) {
                sweep_warn(out, s->file, k->line, k->column, k->text, "ignored (a W&B setting Cohort does not use)");
                known = 1;
            }
        if (!known)
            return fail(d, k, k->text,
                        "unknown key '%s' (expected name, description, method, metric, parameters, run_cap, seeds, "
                        "repeats, search_seed, early_terminate, resources, max_retries or keep_checkpoints)",
                        k->text);
    }
    for (int t = 0; t < TOP_KEY_COUNT; t++)
        if (TOP_KEYS[t].required && ytree_map_find(root, TOP_KEYS[t].key) < 0)
            return fail(d, root, TOP_KEYS[t].key, "required key is missing");

    const YNode *params = value_of(root, "parameters");
    s->objective = detect_objective(params);
    strcpy(out->metric, s->objective ? OBJECTIVE_METRIC : metric_name(MET_TEST_TOP1));
    out->maximize = !s->objective;
    out->threads = -1;
    out->max_retries = -1;
    out->keep_checkpoints = -1;
    out->objective = s->objective;

    if (read_name(d, value_of(root, "name"))) return -1;
    if (read_method(d, value_of(root, "method"))) return -1;
    const YNode *v;
    long long n = 0;
    if ((v = value_of(root, "description")) && read_description(d, v)) return -1;
    if ((v = value_of(root, "metric")) && read_metric(d, v)) return -1;
    if ((v = value_of(root, "run_cap"))) {
        if (read_int(d, v, "run_cap", 1, SWEEP_MAX_TRIALS, &n)) return -1;
        out->run_cap = (int)n;
    }
    if ((v = value_of(root, "seeds")) && value_of(root, "repeats"))
        return fail(d, key_of(root, "repeats"), "repeats", "give seeds or repeats, not both");
    if ((v = value_of(root, "seeds")) && read_seeds(d, v)) return -1;
    if ((v = value_of(root, "repeats")) && read_repeats(d, v)) return -1;
    if ((v = value_of(root, "search_seed"))) {
        if (read_int(d, v, "search_seed", 0, (long long)SWEEP_MAX_EXACT_INTEGER, &n)) return -1;
        out->search_seed = (uint64_t)n;
    }
    if ((v = value_of(root, "resources")) && read_resources(d, v)) return -1;
    if ((v = value_of(root, "max_retries"))) {
        if (read_int(d, v, "max_retries", 0, 1000, &n)) return -1;
        out->max_retries = (int)n;
    }
    if ((v = value_of(root, "keep_checkpoints")) && read_keep_checkpoints(d, v)) return -1;
    if ((v = value_of(root, "early_terminate")) && read_early_terminate(d, v)) return -1;
    if (sweep_params_read(s, out, key_of(root, "parameters"), params, d->err)) return -1;
    return check_whole(d, root);
}

/* Sorts every object's members, at every depth. */
static void sort_deep(cJSON *item) {
    if (cJSON_IsObject(item)) sweep_json_sort(item);
    for (cJSON *c = item->child; c; c = c->next) sort_deep(c);
}

/* {"method","name","parameters":{...}, and when given: "early_terminate","metric","run_cap","seeds",
 * "search_seed"}, every object's keys sorted, so the same sweep written in any key order gives the same
 * text and hash. resources and max_retries are left out: they do not change what a trial computes. */
static int build_spec_json(const YNode *root, Doc *d) {
    Sweep *out = d->out;
    cJSON *spec = cJSON_CreateObject();
    int ok = spec && cJSON_AddStringToObject(spec, "method", out->method) && cJSON_AddStringToObject(spec, "name", out->name);
    cJSON *params = ok ? sweep_params_json(d->space) : NULL;
    ok = params && cJSON_AddItemToObject(spec, "parameters", params);
    if (ok && ytree_map_find(root, "metric") >= 0) {
        cJSON *m = cJSON_AddObjectToObject(spec, "metric");
        ok = m && cJSON_AddStringToObject(m, "goal", out->maximize ? "maximize" : "minimize") &&
             cJSON_AddStringToObject(m, "name", out->metric);
    }
    if (ok && out->run_cap) ok = cJSON_AddNumberToObject(spec, "run_cap", out->run_cap) != NULL;
    if (ok && out->seed_count) {
        cJSON *list = cJSON_AddArrayToObject(spec, "seeds");
        ok = list != NULL;
        for (int i = 0; ok && i < out->seed_count; i++) ok = cJSON_AddItemToArray(list, cJSON_CreateNumber((double)out->seeds[i]));
    }
    if (ok && ytree_map_find(root, "search_seed") >= 0)
        ok = cJSON_AddNumberToObject(spec, "search_seed", (double)out->search_seed) != NULL;
    const SweepEarlyTerminate *et = &out->early_terminate;
    if (ok && et->type != SWEEP_STOP_NONE) {
        cJSON *e = cJSON_AddObjectToObject(spec, "early_terminate");
        ok = e != NULL;
        if (ok && et->type == SWEEP_STOP_ASHA) {
            cJSON *rungs = cJSON_CreateIntArray(et->rungs, et->rung_count);
            ok = cJSON_AddNumberToObject(e, "eta", et->eta) && rungs && cJSON_AddItemToObject(e, "rungs", rungs) &&
                 cJSON_AddStringToObject(e, "type", "asha");
        } else if (ok) {
            ok = cJSON_AddNumberToObject(e, "min_trials", et->min_trials) && cJSON_AddStringToObject(e, "type", "median") &&
                 cJSON_AddNumberToObject(e, "warmup_epochs", et->warmup_epochs);
        }
    }
    if (ok) {
        sort_deep(spec);
        ok = (out->spec_json = cJSON_PrintUnformatted(spec)) != NULL;
    }
    cJSON_Delete(spec);
    if (!ok) return sweep_error(d->err, d->space->file, 1, 1, "yaml", "out of memory");
    sweep_hash_hex(out->spec_json, out->spec_hash);
    return 0;
}

static int load_tree(Sweep *out, const char *name, YNode *root, char err[ERR_LEN]) {
    SweepSpace *space = calloc(1, sizeof *space);
    if (!space || !(space->file = strdup(name))) {
        free(space);
        ytree_free(root);
        return err_set(err, "%s:1:1: yaml: out of memory", name);
    }
    out->space = space;
    Doc d = {space, out, err};
    int rc = read_document(root, &d);
    if (rc == 0) rc = build_spec_json(root, &d);
    if (rc == 0 && !strcmp(out->method, "grid")) rc = sweep_grid_expand(space, out, err);
    else if (rc == 0) rc = sweep_probes_build(space, out, err);
    ytree_free(root);
    if (rc) sweep_free(out); /* a failed load leaves *out empty, as documented for sweep_free */
    return rc ? -1 : 0;
}

int sweep_load(Sweep *out, const char *path, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    YNode *root = NULL;
    if (ytree_load_file(path, &root, err)) return -1;
    return load_tree(out, path, root, err);
}

int sweep_load_text(Sweep *out, const char *name, const char *text, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    YNode *root = NULL;
    if (ytree_load_buffer(name, text, strlen(text), &root, err)) return -1;
    return load_tree(out, name, root, err);
}

/* ---- helpers for the runner --------------------------------------------------------------------------- */

cJSON *sweep_run_config(const Sweep *sweep, const cJSON *config) {
    cJSON *copy = cJSON_Duplicate(config, 1);
    if (!copy) return NULL;
    if (sweep->threads >= 0 && !sweep->objective && !cJSON_GetObjectItemCaseSensitive(copy, "threads")) {
        cJSON_AddNumberToObject(copy, "threads", sweep->threads);
        sweep_json_sort(copy);
    }
    return copy;
}

char *sweep_run_json(const Sweep *sweep, const cJSON *config) {
    cJSON *copy = sweep_run_config(sweep, config);
    if (!copy) return NULL;
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    return text;
}

double sweep_epoch_metric(const Sweep *sweep, const EpochMetrics *m) {
    if (!strcmp(sweep->metric, OBJECTIVE_METRIC)) return m->test_loss; /* see objective_epoch_metrics */
    int id = metric_find(sweep->metric);
    return id < 0 ? NAN : metric_value(m, (MetricId)id);
}

int sweep_better(const Sweep *sweep, double a, double b) {
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return sweep->maximize ? a > b : a < b;
}

/* The `parameters` mapping -> SweepSpace: each entry a distribution (explicit, or inferred the way W&B
 * infers it) checked against its key's type and range, or a conditional block of further parameters.
 * Every message carries the offending node's own line:column and dotted path. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

const char *const SWEEP_DIST_NAMES[DIST_COUNT] = {
    "constant",          "categorical", "int_uniform", "uniform",   "q_uniform", "log_uniform_values",
    "q_log_uniform_values", "log_uniform", "normal",   "log_normal",
};

/* The keys of a parameter, and which each distribution takes. */
enum { K_VALUE, K_VALUES, K_PROBABILITIES, K_DISTRIBUTION, K_MIN, K_MAX, K_Q, K_MU, K_SIGMA, K_COUNT };
static const char *const PARAM_KEYS[K_COUNT] = {"value", "values", "probabilities", "distribution",
                                                "min",   "max",    "q",             "mu",
                                                "sigma"};
#define BIT(k) (1u << (k))
static const unsigned DIST_KEYS[DIST_COUNT] = {
    [DIST_CONSTANT] = BIT(K_VALUE),
    [DIST_CATEGORICAL] = BIT(K_VALUES) | BIT(K_PROBABILITIES),
    [DIST_INT_UNIFORM] = BIT(K_MIN) | BIT(K_MAX),
    [DIST_UNIFORM] = BIT(K_MIN) | BIT(K_MAX),
    [DIST_Q_UNIFORM] = BIT(K_MIN) | BIT(K_MAX) | BIT(K_Q),
    [DIST_LOG_UNIFORM_VALUES] = BIT(K_MIN) | BIT(K_MAX),
    [DIST_Q_LOG_UNIFORM_VALUES] = BIT(K_MIN) | BIT(K_MAX) | BIT(K_Q),
    [DIST_LOG_UNIFORM] = BIT(K_MIN) | BIT(K_MAX),
    [DIST_NORMAL] = BIT(K_MU) | BIT(K_SIGMA),
    [DIST_LOG_NORMAL] = BIT(K_MU) | BIT(K_SIGMA),
};
static const char *const DIST_TAKES[DIST_COUNT] = {
    [DIST_CONSTANT] = "value",
    [DIST_CATEGORICAL] = "values and probabilities",
    [DIST_INT_UNIFORM] = "min and max",
    [DIST_UNIFORM] = "min and max",
    [DIST_Q_UNIFORM] = "min, max and q",
    [DIST_LOG_UNIFORM_VALUES] = "min and max",
    [DIST_Q_LOG_UNIFORM_VALUES] = "min, max and q",
    [DIST_LOG_UNIFORM] = "min and max",
    [DIST_NORMAL] = "mu and sigma",
    [DIST_LOG_NORMAL] = "mu and sigma",
};

/* dst = a + "." + b (or a + b when b starts with '['), truncated to size. */
static void path_join(char *dst, size_t size, const char *a, const char *b) {
    if (snprintf(dst, size, "%s%s%s", a, b[0] == '[' || b[0] == '\0' ? "" : ".", b) < 0) dst[0] = '\0';
}

typedef struct {
    SweepSpace *space;
    Sweep *sweep;
    char *err;
} Reader;

#define FILE_OF(r) ((r)->space->file)

void sweep_space_free(SweepSpace *space) {
    if (!space) return;
    for (int i = 0; i < space->count; i++) {
        SweepParam *p = &space->params[i];
        for (int j = 0; j < p->count; j++) sweep_value_clear(&p->values[j]);
        free(p->values);
        free(p->probs);
        free(p->key);
        free(p->path);
    }
    for (int b = 0; b < space->block_count; b++) {
        SweepBlock *blk = &space->blocks[b];
        for (int c = 0; c < blk->cond_count; c++) {
            for (int v = 0; v < blk->conds[c].count; v++) cJSON_Delete(blk->conds[c].values[v]);
            free(blk->conds[c].values);
        }
        free(blk->conds);
        free(blk->name);
    }
    free(space->params);
    free(space->blocks);
    free(space->file);
    free(space);
}

/* ---- numbers ---------------------------------------------------------------------------------------- */

static int read_number(Reader *r, const YNode *node, const char *path, double *out) {
    if (node->kind != YNODE_SCALAR)
        return sweep_error(r->err, FILE_OF(r), node->line, node->column, path, "expected a number, got %s",
                           ytree_kind_name(node));
    if (ytree_is_null(node))
        return sweep_error(r->err, FILE_OF(r), node->line, node->column, path, "expected a number, got null");
    char *end;
    errno = 0;
    double v = strtod(node->text, &end);
    if (errno || end == node->text || *end || !isfinite(v))
        return sweep_error(r->err, FILE_OF(r), node->line, node->column, path, "expected a number, got '%s'",
                           node->text);
    *out = v;
    return 0;
}

/* Written as an integer: digits with an optional sign (W&B's int_uniform inference). */
static int is_integer_text(const YNode *node) {
    if (node->kind != YNODE_SCALAR) return 0;
    const char *t = node->text;
    if (*t == '+' || *t == '-') t++;
    if (!*t) return 0;
    for (; *t; t++)
        if (*t < '0' || *t > '9') return 0;
    return 1;
}

/* ---- one parameter ---------------------------------------------------------------------------------- */

static int grow_params(Reader *r, const YNode *at, const char *path) {
    SweepSpace *s = r->space;
    SweepParam *grown = realloc(s->params, (size_t)(s->count + 1) * sizeof *grown);
    if (!grown) return sweep_error(r->err, FILE_OF(r), at->line, at->column, path, "out of memory");
    s->params = grown;
    memset(&s->params[s->count], 0, sizeof *s->params);
    s->count++;
    return 0;
}

static int read_values(Reader *r, const char *path, SweepParam *p, const YNode *list) {
    if (list->kind != YNODE_SEQUENCE || list->count == 0) {
        const char *got = ""; /* an empty list needs no "got" */
        if (ytree_is_null(list)) got = ", got null";
        else if (list->kind == YNODE_SCALAR) got = ", got a scalar";
        else if (list->kind == YNODE_MAPPING) got = ", got a mapping";
        return sweep_error(r->err, FILE_OF(r), list->line, list->column, path, "expected a non-empty list%s", got);
    }
    p->values = calloc((size_t)list->count, sizeof *p->values);
    if (!p->values) return sweep_error(r->err, FILE_OF(r), list->line, list->column, path, "out of memory");
    for (int i = 0; i < list->count; i++) {
        const YNode *item = list->items[i];
        char msg[ERR_LEN];
        if (sweep_value_read(r->space->objective, p->key, item, &p->values[i], msg)) {
            char item_path[512];
            char idx[16];
            snprintf(idx, sizeof idx, "[%d]", i);
            path_join(item_path, sizeof item_path, path, idx);
            return sweep_error(r->err, FILE_OF(r), item->line, item->column, item_path, "%s", msg);
        }
        p->count++;
    }
    return 0;
}

static int read_fixed(Reader *r, const char *path, SweepParam *p, const YNode *node) {
    p->values = calloc(1, sizeof *p->values);
    if (!p->values) return sweep_error(r->err, FILE_OF(r), node->line, node->column, path, "out of memory");
    char msg[ERR_LEN];
    if (sweep_value_read(r->space->objective, p->key, node, &p->values[0], msg))
        return sweep_error(r->err, FILE_OF(r), node->line, node->column, path, "%s", msg);
    p->count = 1;
    return 0;
}

static int read_probabilities(Reader *r, const char *path, SweepParam *p, const YNode *list) {
    if (list->kind != YNODE_SEQUENCE || list->count != p->count)
        return sweep_error(r->err, FILE_OF(r), list->line, list->column, path,
                           "expected a list of %d probabilities, one per value", p->count);
    p->probs = calloc((size_t)p->count, sizeof *p->probs);
    if (!p->probs) return sweep_error(r->err, FILE_OF(r), list->line, list->column, path, "out of memory");
    double sum = 0;
    for (int i = 0; i < list->count; i++) {
        char item_path[512];
        char idx[16];
        snprintf(idx, sizeof idx, "[%d]", i);
        path_join(item_path, sizeof item_path, path, idx);
        const YNode *item = list->items[i];
        if (read_number(r, item, item_path, &p->probs[i])) return -1;
        if (p->probs[i] < 0)
            return sweep_error(r->err, FILE_OF(r), item->line, item->column, item_path,
                               "a probability must be >= 0, got %g", p->probs[i]);
        sum += p->probs[i];
    }
    if (fabs(sum - 1) > 1e-6)
        return sweep_error(r->err, FILE_OF(r), list->line, list->column, path, "probabilities must sum to 1, got %g",
                           sum);
    return 0;
}

/* A bound of a numeric distribution must itself be a valid value of the key. */
static int check_bound(Reader *r, const SweepParam *p, const YNode *node, const char *path, double v) {
    char msg[ERR_LEN];
    if (sweep_value_check_number(r->space->objective, p->key, v, msg))
        return sweep_error(r->err, FILE_OF(r), node->line, node->column, path, "%s", msg);
    return 0;
}

static int infer_dist(Reader *r, const char *path, const YNode *body, const YNode *given[K_COUNT], SweepParam *p) {
    if (given[K_DISTRIBUTION]) {
        const YNode *d = given[K_DISTRIBUTION];
        char dpath[320];
        path_join(dpath, sizeof dpath, path, "distribution");
        p->dist_line = d->line;
        p->dist_column = d->column;
        if (d->kind == YNODE_SCALAR && !ytree_is_null(d))
            for (int i = 0; i < DIST_COUNT; i++)
                if (!strcmp(d->text, SWEEP_DIST_NAMES[i])) {
                    p->dist = (SweepDist)i;
                    return 0;
                }
        char names[512] = "";
        for (int i = 0; i < DIST_COUNT; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", SWEEP_DIST_NAMES[i]);
        if (d->kind != YNODE_SCALAR)
            return sweep_error(r->err, FILE_OF(r), d->line, d->column, dpath, "expected a distribution name, got %s",
                               ytree_kind_name(d));
        return sweep_error(r->err, FILE_OF(r), d->line, d->column, dpath, "unknown distribution '%s' (expected %s)",
                           d->text, names);
    }
    p->dist_line = p->line;
    p->dist_column = p->column;
    if (given[K_VALUES]) p->dist = DIST_CATEGORICAL;
    else if (given[K_VALUE]) p->dist = DIST_CONSTANT;
    else if (given[K_MIN] || given[K_MAX]) {
        int ints = (!given[K_MIN] || is_integer_text(given[K_MIN])) && (!given[K_MAX] || is_integer_text(given[K_MAX]));
        p->dist = ints ? DIST_INT_UNIFORM : DIST_UNIFORM;
        if (ints && p->type == 'f' && given[K_MIN] && given[K_MAX])
            sweep_warn(r->sweep, FILE_OF(r), body->line, body->column, path,
                       "min and max are both integers, so the distribution is int_uniform (W&B's rule); write "
                       "%s.0 or distribution: uniform for a continuous range",
                       given[K_MIN]->text);
    } else if (given[K_MU] || given[K_SIGMA]) p->dist = DIST_NORMAL;
    else
        return sweep_error(r->err, FILE_OF(r), body->line, body->column, path,
                           "expected {value: X}, {values: [...]} or a distribution (min/max, mu/sigma)");
    return 0;
}

static int read_numeric(Reader *r, const char *path, const YNode *given[K_COUNT], SweepParam *p) {
    char sub[K_COUNT][320];
    for (int k = 0; k < K_COUNT; k++) path_join(sub[k], sizeof sub[k], path, PARAM_KEYS[k]);
    const char *dname = SWEEP_DIST_NAMES[p->dist];
    const char *file = FILE_OF(r);

    if (p->dist == DIST_NORMAL || p->dist == DIST_LOG_NORMAL) {
        p->mu = 0;
        p->sigma = 1; /* W&B's defaults */
        if (given[K_MU] && read_number(r, given[K_MU], sub[K_MU], &p->mu)) return -1;
        if (given[K_SIGMA] && read_number(r, given[K_SIGMA], sub[K_SIGMA], &p->sigma)) return -1;
        if (p->sigma <= 0) {
            const YNode *at = given[K_SIGMA];
            return sweep_error(r->err, file, at->line, at->column, sub[K_SIGMA], "sigma must be > 0, got %g", p->sigma);
        }
        return 0;
    }
    if (!given[K_MIN] || !given[K_MAX]) {
        int missing = given[K_MIN] ? K_MAX : K_MIN;
        return sweep_error(r->err, file, p->line, p->column, path, "%s needs %s (it takes %s)", dname,
                           PARAM_KEYS[missing], DIST_TAKES[p->dist]);
    }
    if (read_number(r, given[K_MIN], sub[K_MIN], &p->min) || read_number(r, given[K_MAX], sub[K_MAX], &p->max))
        return -1;
    if (p->dist == DIST_INT_UNIFORM) {
        for (int k = K_MIN; k <= K_MAX; k++) {
            double v = k == K_MIN ? p->min : p->max;
            if (v != floor(v) || fabs(v) > SWEEP_MAX_EXACT_INTEGER)
                return sweep_error(r->err, file, given[k]->line, given[k]->column, sub[k],
                                   "int_uniform needs integer min and max, got %s", given[k]->text);
        }
    }
    if (!(p->min < p->max))
        return sweep_error(r->err, file, given[K_MAX]->line, given[K_MAX]->column, sub[K_MAX],
                           "min must be < max (min %g, max %g)", p->min, p->max);
    if ((p->dist == DIST_LOG_UNIFORM_VALUES || p->dist == DIST_Q_LOG_UNIFORM_VALUES) && p->min <= 0)
        return sweep_error(r->err, file, given[K_MIN]->line, given[K_MIN]->column, sub[K_MIN],
                           "log distribution needs min > 0, got %g", p->min);
    if (p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES) {
        p->q = 1; /* W&B's default */
        if (given[K_Q] && read_number(r, given[K_Q], sub[K_Q], &p->q)) return -1;
        const YNode *qat = given[K_Q] ? given[K_Q] : given[K_MAX];
        const char *qpath = given[K_Q] ? sub[K_Q] : path;
        if (p->q <= 0) return sweep_error(r->err, file, qat->line, qat->column, qpath, "q must be > 0, got %g", p->q);
        if (p->type == 'i' && p->q != floor(p->q))
            return sweep_error(r->err, file, qat->line, qat->column, qpath,
                               "'%s' takes integers, so q must be an integer, got %g", p->key, p->q);
        double klo = ceil(p->min / p->q - 1e-9), khi = floor(p->max / p->q + 1e-9);
        if (klo > khi)
            return sweep_error(r->err, file, qat->line, qat->column, qpath,
                               "no multiple of q = %g lies in [%g, %g]", p->q, p->min, p->max);
        if (khi - klo > 1e12)
            return sweep_error(r->err, file, qat->line, qat->column, qpath, "q = %g is too small for [%g, %g]", p->q,
                               p->min, p->max);
        p->kmin = (long long)klo;
        p->kmax = (long long)khi;
    }
    /* the extreme values the distribution can produce must be valid settings */
    double lo = p->min, hi = p->max;
    if (p->dist == DIST_LOG_UNIFORM) {
        lo = exp(p->min);
        hi = exp(p->max);
        if (!(lo > 0) || !isfinite(hi))
            return sweep_error(r->err, file, given[K_MAX]->line, given[K_MAX]->column, sub[K_MAX],
                               "log_uniform takes natural-log exponents: exp(%g) .. exp(%g) is out of range "
                               "(use log_uniform_values for min/max as values)",
                               p->min, p->max);
    } else if (p->q > 0) {
        lo = sweep_round_sig((double)p->kmin * p->q, 12);
        hi = sweep_round_sig((double)p->kmax * p->q, 12);
    }
    if (p->type == 'f' || p->dist == DIST_INT_UNIFORM || p->q > 0) {
        if (check_bound(r, p, given[K_MIN], sub[K_MIN], lo) || check_bound(r, p, given[K_MAX], sub[K_MAX], hi)) return -1;
    }
    return 0;
}

/* One entry of `parameters`: a setting and its distribution. */
static int read_param(Reader *r, const char *path, const YNode *key_node, const YNode *body, int block) {
    if (grow_params(r, key_node, path)) return -1;
    SweepParam *p = &r->space->params[r->space->count - 1];
    p->block = block;
    p->line = key_node->line;
    p->column = key_node->column;
    p->type = sweep_key_type(r->space->objective, key_node->text);
    if (!(p->key = strdup(key_node->text)) || !(p->path = strdup(path)))
        return sweep_error(r->err, FILE_OF(r), key_node->line, key_node->column, path, "out of memory");
    const char *file = FILE_OF(r);

    if (body->kind != YNODE_MAPPING)
        return sweep_error(r->err, file, body->line, body->column, path,
                           "expected {value: X}, {values: [...]} or a distribution, got %s", ytree_kind_name(body));
    const YNode *given[K_COUNT] = {0}, *given_key[K_COUNT] = {0};
    for (int i = 0; i < body->count; i++) {
        const YNode *k = ytree_map_key(body, i);
        char sub[320];
        path_join(sub, sizeof sub, path, k->text);
        int found = -1;
        for (int j = 0; j < K_COUNT; j++)
            if (!strcmp(k->text, PARAM_KEYS[j])) found = j;
        if (found < 0)
            return sweep_error(r->err, file, k->line, k->column, sub,
                               "unknown key '%s' (expected value, values, probabilities, distribution, min, max, q, "
                               "mu or sigma)",
                               k->text);
        if ((found == K_VALUE && given[K_VALUES]) || (found == K_VALUES && given[K_VALUE]))
            return sweep_error(r->err, file, k->line, k->column, sub, "expected value or values, not both");
        given[found] = ytree_map_value(body, i);
        given_key[found] = k;
    }
    if (infer_dist(r, path, body, given, p)) return -1;
    for (int k = 0; k < K_COUNT; k++) {
        if (!given[k] || k == K_DISTRIBUTION || (DIST_KEYS[p->dist] & BIT(k))) continue;
        char sub[320];
        path_join(sub, sizeof sub, path, PARAM_KEYS[k]);
        return sweep_error(r->err, file, given_key[k]->line, given_key[k]->column, sub,
                           "'%s' does not apply to %s (it takes %s)", PARAM_KEYS[k], SWEEP_DIST_NAMES[p->dist],
                           DIST_TAKES[p->dist]);
    }
    /* which distributions the key's type allows */
    int finite = p->dist == DIST_CONSTANT || p->dist == DIST_CATEGORICAL;
    char dpath[320];
    path_join(dpath, sizeof dpath, path, given[K_DISTRIBUTION] ? "distribution" : "");
    const YNode *dat = given[K_DISTRIBUTION] ? given[K_DISTRIBUTION] : key_node;
    if ((p->type == 's' || p->type == 'b') && !finite)
        return sweep_error(r->err, file, dat->line, dat->column, dpath, "'%s' takes %s, so it needs value or values, not %s",
                           p->key, p->type == 's' ? "text" : "true or false", SWEEP_DIST_NAMES[p->dist]);
    if (p->type == 'i' && !finite && p->dist != DIST_INT_UNIFORM && p->dist != DIST_Q_UNIFORM &&
        p->dist != DIST_Q_LOG_UNIFORM_VALUES)
        return sweep_error(r->err, file, dat->line, dat->column, dpath,
                           "'%s' takes integers: use int_uniform, q_uniform or q_log_uniform_values with an integer "
                           "q, or values (not %s)",
                           p->key, SWEEP_DIST_NAMES[p->dist]);

    char sub[320];
    switch (p->dist) {
    case DIST_CONSTANT:
        if (!given[K_VALUE]) return sweep_error(r->err, file, dat->line, dat->column, path, "constant needs value");
        path_join(sub, sizeof sub, path, "value");
        return read_fixed(r, sub, p, given[K_VALUE]);
    case DIST_CATEGORICAL:
        if (!given[K_VALUES]) return sweep_error(r->err, file, dat->line, dat->column, path, "categorical needs values");
        path_join(sub, sizeof sub, path, "values");
        if (read_values(r, sub, p, given[K_VALUES])) return -1;
        path_join(sub, sizeof sub, path, "probabilities");
        return given[K_PROBABILITIES] ? read_probabilities(r, sub, p, given[K_PROBABILITIES]) : 0;
    default:
        return read_numeric(r, path, given, p);
    }
}

/* ---- conditional blocks ----------------------------------------------------------------------------- */

/* Whether block `b` is `ancestor` or inside it (-1 = the top level contains everything). */
static int block_within(const SweepSpace *s, int b, int ancestor) {
    for (; b >= 0; b = s->blocks[b].parent)
        if (b == ancestor) return 1;
    return ancestor < 0;
}

/* Parameters a block's condition may name: earlier ones whose own block encloses the new block. */
static int in_scope(const SweepSpace *s, int p, int parent) { return block_within(s, parent, s->params[p].block); }

static int add_cond_value(SweepCond *c, const cJSON *v) {
    cJSON **grown = realloc(c->values, (size_t)(c->count + 1) * sizeof *grown);
    if (!grown) return -1;
    c->values = grown;
    if (!(c->values[c->count] = cJSON_Duplicate(v, 1))) return -1;
    c->count++;
    return 0;
}

static int read_when(Reader *r, const char *path, const YNode *when, int b) {
    SweepSpace *s = r->space;
    const char *file = FILE_OF(r);
    if (when->kind != YNODE_MAPPING || when->count == 0)
        return sweep_error(r->err, file, when->line, when->column, path,
                           "expected a mapping of earlier parameters to values, e.g. {model: vit}");
    s->blocks[b].conds = calloc((size_t)when->count, sizeof(SweepCond));
    if (!s->blocks[b].conds) return sweep_error(r->err, file, when->line, when->column, path, "out of memory");
    for (int i = 0; i < when->count; i++) {
        const YNode *k = ytree_map_key(when, i), *v = ytree_map_value(when, i);
        char sub[512];
        path_join(sub, sizeof sub, path, k->text);
        int param = -1;
        for (int p = s->count - 1; p >= 0 && param < 0; p--)
            if (!strcmp(s->params[p].key, k->text) && in_scope(s, p, s->blocks[b].parent)) param = p;
        if (param < 0)
            return sweep_error(r->err, file, k->line, k->column, sub,
                               "'%s' is not an earlier parameter of an enclosing scope", k->text);
        const SweepParam *cp = &s->params[param];
        if (cp->dist != DIST_CONSTANT && cp->dist != DIST_CATEGORICAL)
            return sweep_error(r->err, file, k->line, k->column, sub,
                               "a condition needs a parameter with value or values, and '%s' is %s", k->text,
                               SWEEP_DIST_NAMES[cp->dist]);
        SweepCond *c = &s->blocks[b].conds[s->blocks[b].cond_count++];
        c->param = param;
        int n = v->kind == YNODE_SEQUENCE ? v->count : 1;
        if (n == 0) return sweep_error(r->err, file, v->line, v->column, sub, "expected a value or a non-empty list");
        for (int j = 0; j < n; j++) {
            const YNode *item = v->kind == YNODE_SEQUENCE ? v->items[j] : v;
            char msg[ERR_LEN], item_path[600];
            char at[16];
            snprintf(at, sizeof at, "[%d]", j);
            if (v->kind == YNODE_SEQUENCE) path_join(item_path, sizeof item_path, sub, at);
            else path_join(item_path, sizeof item_path, sub, "");
            SweepValue value;
            if (sweep_value_read(s->objective, k->text, item, &value, msg))
                return sweep_error(r->err, file, item->line, item->column, item_path, "%s", msg);
            int idx = sweep_value_index(cp, value.json);
            int rc = idx < 0 ? sweep_error(r->err, file, item->line, item->column, item_path,
                                           "'%s' is not one of the values of %s (line %d)", value.text, k->text,
                                           cp->line)
                             : add_cond_value(c, value.json)
                                   ? sweep_error(r->err, file, item->line, item->column, item_path, "out of memory")
                                   : 0;
            sweep_value_clear(&value);
            if (rc) return -1;
        }
    }
    return 0;
}

/* No `when`: the block's name is a value of exactly one earlier categorical parameter in scope. */
static int implicit_when(Reader *r, const char *path, const YNode *key_node, int b) {
    SweepSpace *s = r->space;
    const char *name = key_node->text;
    int found = -1, found_value = -1;
    for (int p = 0; p < s->count; p++) {
        const SweepParam *cp = &s->params[p];
        if ((cp->dist != DIST_CONSTANT && cp->dist != DIST_CATEGORICAL) || !in_scope(s, p, s->blocks[b].parent)) continue;
        for (int v = 0; v < cp->count; v++) {
            if (strcmp(cp->values[v].text, name)) continue;
            if (found >= 0 && strcmp(s->params[found].key, cp->key))
                return sweep_error(r->err, FILE_OF(r), key_node->line, key_node->column, path,
                                   "'%s' is a value of both %s and %s: say which with when: {KEY: %s}", name,
                                   s->params[found].key, cp->key, name);
            found = p;
            found_value = v;
        }
    }
    if (found < 0)
        return sweep_error(r->err, FILE_OF(r), key_node->line, key_node->column, path,
                           "'%s' is not a setting; a conditional block named so needs when: {KEY: VALUE}, or an "
                           "earlier parameter with the value '%s'",
                           name, name);
    s->blocks[b].conds = calloc(1, sizeof(SweepCond));
    if (!s->blocks[b].conds) return sweep_error(r->err, FILE_OF(r), key_node->line, key_node->column, path, "out of memory");
    s->blocks[b].cond_count = 1;
    s->blocks[b].conds[0].param = found;
    if (add_cond_value(&s->blocks[b].conds[0], s->params[found].values[found_value].json))
        return sweep_error(r->err, FILE_OF(r), key_node->line, key_node->column, path, "out of memory");
    return 0;
}

static int read_mapping(Reader *r, const char *path, const YNode *map, int block);

static int read_block(Reader *r, const char *path, const YNode *key_node, const YNode *body, int parent) {
    SweepSpace *s = r->space;
    const char *file = FILE_OF(r);
    int params_at = ytree_map_find(body, "parameters"), when_at = ytree_map_find(body, "when");
    for (int i = 0; i < body->count; i++) {
        const YNode *k = ytree_map_key(body, i);
        if (strcmp(k->text, "parameters") && strcmp(k->text, "when")) {
            char sub[320];
            path_join(sub, sizeof sub, path, k->text);
            return sweep_error(r->err, file, k->line, k->column, sub,
                               "unknown key '%s' in conditional block '%s' (expected when or parameters)", k->text,
                               key_node->text);
        }
    }
    if (params_at < 0)
        return sweep_error(r->err, file, body->line, body->column, path,
                           "a conditional block needs parameters (and optionally when)");
    SweepBlock *grown = realloc(s->blocks, (size_t)(s->block_count + 1) * sizeof *grown);
    if (!grown) return sweep_error(r->err, file, key_node->line, key_node->column, path, "out of memory");
    s->blocks = grown;
    int b = s->block_count++;
    memset(&s->blocks[b], 0, sizeof s->blocks[b]);
    s->blocks[b].parent = parent;
    s->blocks[b].line = key_node->line;
    s->blocks[b].column = key_node->column;
    if (!(s->blocks[b].name = strdup(key_node->text)))
        return sweep_error(r->err, file, key_node->line, key_node->column, path, "out of memory");
    char sub[320];
    if (when_at >= 0) {
        path_join(sub, sizeof sub, path, "when");
        if (read_when(r, sub, ytree_map_value(body, when_at), b)) return -1;
    } else if (implicit_when(r, path, key_node, b)) {
        return -1;
    }
    path_join(sub, sizeof sub, path, "parameters");
    return read_mapping(r, sub, ytree_map_value(body, params_at), b);
}

static int read_mapping(Reader *r, const char *path, const YNode *map, int block) {
    if (map->kind != YNODE_MAPPING || map->count == 0)
        return sweep_error(r->err, FILE_OF(r), map->line, map->column, path,
                           "expected a mapping of settings to {value: X}, {values: [...]} or a distribution, got %s",
                           map->kind == YNODE_MAPPING ? "an empty one" : ytree_kind_name(map));
    for (int i = 0; i < map->count; i++) {
        const YNode *k = ytree_map_key(map, i), *body = ytree_map_value(map, i);
        char sub[320];
        path_join(sub, sizeof sub, path, k->text);
        int rc;
        if (sweep_key_type(r->space->objective, k->text)) {
            rc = read_param(r, sub, k, body, block);
        } else if (body->kind == YNODE_MAPPING &&
                   (ytree_map_find(body, "parameters") >= 0 || ytree_map_find(body, "when") >= 0)) {
            rc = read_block(r, sub, k, body, block);
        } else if (r->space->objective) {
            rc = sweep_error(r->err, FILE_OF(r), k->line, k->column, sub,
                             "unknown parameter '%s' (an objective takes function, x1..xN, curve_epochs)", k->text);
        } else {
            rc = sweep_error(r->err, FILE_OF(r), k->line, k->column, sub,
                             "unknown parameter '%s' (not a trainer setting)", k->text);
        }
        if (rc) return -1;
    }
    return 0;
}

/* ---- a key defined more than once ------------------------------------------------------------------------ */

/* Whether two blocks can never apply together: some key has conditions in both with no common value. */
static int blocks_disjoint(const SweepSpace *s, int a, int b) {
    for (int x = a; x >= 0; x = s->blocks[x].parent)
        for (int y = b; y >= 0; y = s->blocks[y].parent)
            for (int i = 0; i < s->blocks[x].cond_count; i++)
                for (int j = 0; j < s->blocks[y].cond_count; j++) {
                    const SweepCond *cx = &s->blocks[x].conds[i], *cy = &s->blocks[y].conds[j];
                    if (cx->param != cy->param) continue;
                    int common = 0;
                    for (int u = 0; u < cx->count && !common; u++)
                        for (int v = 0; v < cy->count && !common; v++) common = cJSON_Compare(cx->values[u], cy->values[v], 1);
                    if (!common) return 1;
                }
    return 0;
}

static int check_redefinitions(Reader *r) {
    const SweepSpace *s = r->space;
    for (int i = 0; i < s->count; i++)
        for (int j = 0; j < i; j++) {
            if (strcmp(s->params[i].key, s->params[j].key)) continue;
            if (blocks_disjoint(s, s->params[i].block, s->params[j].block)) continue;
            return sweep_error(r->err, s->file, s->params[i].line, s->params[i].column, s->params[i].path,
                               "also defined at line %d, column %d, and both can apply to one trial (a key may be "
                               "defined again only in blocks whose conditions exclude each other)",
                               s->params[j].line, s->params[j].column);
        }
    return 0;
}

int sweep_params_read(SweepSpace *space, Sweep *sweep, const YNode *key_node, const YNode *map, char err[ERR_LEN]) {
    space->params_line = key_node->line;
    space->params_column = key_node->column;
    Reader r = {space, sweep, err};
    if (read_mapping(&r, "parameters", map, -1)) return -1;
    return check_redefinitions(&r);
}

/* ---- spec_json --------------------------------------------------------------------------------------- */

static cJSON *param_json(const SweepParam *p) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = 1;
    if (p->dist == DIST_CONSTANT) {
        cJSON *v = cJSON_Duplicate(p->values[0].json, 1);
        ok = v && cJSON_AddItemToObject(o, "value", v);
    } else if (p->dist == DIST_CATEGORICAL) {
        cJSON *list = cJSON_AddArrayToObject(o, "values");
        ok = list != NULL;
        for (int j = 0; ok && j < p->count; j++) {
            cJSON *v = cJSON_Duplicate(p->values[j].json, 1);
            ok = v && cJSON_AddItemToArray(list, v);
        }
        if (ok && p->probs) {
            cJSON *probs = cJSON_CreateDoubleArray(p->probs, p->count);
            ok = probs && cJSON_AddItemToObject(o, "probabilities", probs);
        }
    } else {
        ok = cJSON_AddStringToObject(o, "distribution", SWEEP_DIST_NAMES[p->dist]) != NULL;
        if (p->dist == DIST_NORMAL || p->dist == DIST_LOG_NORMAL) {
            ok = ok && cJSON_AddNumberToObject(o, "mu", p->mu) && cJSON_AddNumberToObject(o, "sigma", p->sigma);
        } else {
            ok = ok && cJSON_AddNumberToObject(o, "min", p->min) && cJSON_AddNumberToObject(o, "max", p->max);
            if (p->dist == DIST_Q_UNIFORM || p->dist == DIST_Q_LOG_UNIFORM_VALUES)
                ok = ok && cJSON_AddNumberToObject(o, "q", p->q);
        }
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The parameters and blocks directly inside `block`, into obj. */
static int scope_json(const SweepSpace *s, int block, cJSON *obj) {
    for (int i = 0; i < s->count; i++) {
        if (s->params[i].block != block) continue;
        cJSON *pj = param_json(&s->params[i]);
        if (!pj || !cJSON_AddItemToObject(obj, s->params[i].key, pj)) {
            cJSON_Delete(pj);
            return -1;
        }
    }
    for (int b = 0; b < s->block_count; b++) {
        if (s->blocks[b].parent != block) continue;
        cJSON *bj = cJSON_CreateObject(), *when = bj ? cJSON_AddObjectToObject(bj, "when") : NULL;
        cJSON *inner = when ? cJSON_AddObjectToObject(bj, "parameters") : NULL;
        int ok = inner && cJSON_AddItemToObject(obj, s->blocks[b].name, bj);
        if (!ok) {
            cJSON_Delete(bj);
            return -1;
        }
        for (int c = 0; c < s->blocks[b].cond_count; c++) {
            const SweepCond *cond = &s->blocks[b].conds[c];
            cJSON *list = cJSON_AddArrayToObject(when, s->params[cond->param].key);
            if (!list) return -1;
            for (int v = 0; v < cond->count; v++) {
                cJSON *dup = cJSON_Duplicate(cond->values[v], 1);
                if (!dup || !cJSON_AddItemToArray(list, dup)) return -1;
            }
        }
        if (scope_json(s, b, inner)) return -1;
    }
    return 0;
}

cJSON *sweep_params_json(const SweepSpace *space) {
    cJSON *obj = cJSON_CreateObject();
    if (!obj || scope_json(space, -1, obj)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

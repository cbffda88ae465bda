/* Sweep file -> validated SweepSpec -> Sweep. The YAML tree (yaml_tree.c) knows nothing about sweeps;
 * this file checks the document's shape and keys, and every message carries the offending node's own
 * line:column and dotted path so a user can go straight to it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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

void sweep_spec_free(SweepSpec *spec) {
    for (int i = 0; i < spec->count; i++) {
        SweepParam *p = &spec->params[i];
        for (int j = 0; j < p->count; j++) sweep_value_clear(&p->values[j]);
        free(p->values);
        free(p->key);
    }
    free(spec->params);
    free(spec->sorted);
    memset(spec, 0, sizeof *spec);
}

void sweep_free(Sweep *sweep) {
    if (!sweep) return;
    for (int i = 0; i < sweep->trial_count; i++) cJSON_Delete(sweep->trials[i].config);
    free(sweep->trials);
    free(sweep->description);
    cJSON_free(sweep->spec_json); /* printed by cJSON, so released through its allocator */
    memset(sweep, 0, sizeof *sweep);
}

/* ---- top level ---------------------------------------------------------------------------------- */

/* The keys a sweep file may have. The table is the place to add W&B's metric, early_terminate, etc. */
static const struct {
    const char *key;
    int required;
} TOP_KEYS[] = {{"name", 1}, {"description", 0}, {"method", 1}, {"parameters", 1}};
#define TOP_KEY_COUNT ((int)(sizeof TOP_KEYS / sizeof TOP_KEYS[0]))

/* Search methods by name. Only grid expands today; the others are recognised so that a W&B sweep gets
 * "not supported yet" rather than "unknown method". */
static const struct {
    const char *name;
    int supported;
} METHODS[] = {{"grid", 1}, {"random", 0}, {"bayes", 0}};
#define METHOD_COUNT ((int)(sizeof METHODS / sizeof METHODS[0]))

/* A string-valued top-level key: a non-null scalar. */
static int read_string(const SweepSpec *spec, const YNode *node, const char *key, char err[ERR_LEN]) {
    if (node->kind != YNODE_SCALAR)
        return sweep_error(err, spec->file, node->line, node->column, key, "expected a string, got %s",
                           ytree_kind_name(node));
    if (ytree_is_null(node) || !*node->text)
        return sweep_error(err, spec->file, node->line, node->column, key, "expected a non-empty string");
    return 0;
}

static int read_name(const SweepSpec *spec, const YNode *node, Sweep *out, char err[ERR_LEN]) {
    if (read_string(spec, node, "name", err)) return -1;
    if (strlen(node->text) >= sizeof out->name)
        return sweep_error(err, spec->file, node->line, node->column, "name", "longer than %zu characters",
                           sizeof out->name - 1);
    strcpy(out->name, node->text);
    return 0;
}

static int read_method(const SweepSpec *spec, const YNode *node, Sweep *out, char err[ERR_LEN]) {
    if (read_string(spec, node, "method", err)) return -1;
    for (int i = 0; i < METHOD_COUNT; i++) {
        if (strcmp(node->text, METHODS[i].name) != 0) continue;
        if (!METHODS[i].supported)
            return sweep_error(err, spec->file, node->line, node->column, "method",
                               "'%s' is not supported yet (only grid)", node->text);
        strcpy(out->method, node->text);
        return 0;
    }
    return sweep_error(err, spec->file, node->line, node->column, "method", "unknown method '%s' (expected grid)",
                       node->text);
}

static int read_description(const SweepSpec *spec, const YNode *node, Sweep *out, char err[ERR_LEN]) {
    if (node->kind != YNODE_SCALAR)
        return sweep_error(err, spec->file, node->line, node->column, "description", "expected a string, got %s",
                           ytree_kind_name(node));
    if (ytree_is_null(node)) return 0; /* `description:` left empty */
    out->description = strdup(node->text);
    if (!out->description)
        return sweep_error(err, spec->file, node->line, node->column, "description", "out of memory");
    return 0;
}

/* ---- parameters ----------------------------------------------------------------------------------- */

/* Keys of a W&B parameter that a later search method will use; named so the message says "not yet"
 * instead of "unknown". */
static const char *const FUTURE_PARAM_KEYS[] = {"distribution", "min", "max", "mu", "sigma", "q", "probabilities"};

static int read_values(const SweepSpec *spec, const char *path, const char *key, const YNode *list, SweepParam *p,
                       char err[ERR_LEN]) {
    if (list->kind != YNODE_SEQUENCE || list->count == 0) {
        const char *got = ""; /* an empty list needs no "got" */
        if (ytree_is_null(list)) got = ", got null";
        else if (list->kind == YNODE_SCALAR) got = ", got a scalar";
        else if (list->kind == YNODE_MAPPING) got = ", got a mapping";
        return sweep_error(err, spec->file, list->line, list->column, path, "expected a non-empty list%s", got);
    }
    p->values = calloc((size_t)list->count, sizeof *p->values);
    if (!p->values) return sweep_error(err, spec->file, list->line, list->column, path, "out of memory");
    for (int i = 0; i < list->count; i++) {
        const YNode *item = list->items[i];
        char msg[ERR_LEN];
        if (sweep_value_read(key, item, &p->values[i], msg)) {
            char item_path[512];
            snprintf(item_path, sizeof item_path, "%s[%d]", path, i);
            return sweep_error(err, spec->file, item->line, item->column, item_path, "%s", msg);
        }
        p->count++;
    }
    p->kind = SWEEP_PARAM_VALUES;
    return 0;
}

static int read_fixed(const SweepSpec *spec, const char *path, const char *key, const YNode *node, SweepParam *p,
                      char err[ERR_LEN]) {
    p->values = calloc(1, sizeof *p->values);
    if (!p->values) return sweep_error(err, spec->file, node->line, node->column, path, "out of memory");
    char msg[ERR_LEN];
    if (sweep_value_read(key, node, &p->values[0], msg))
        return sweep_error(err, spec->file, node->line, node->column, path, "%s", msg);
    p->count = 1;
    p->kind = SWEEP_PARAM_FIXED;
    return 0;
}

/* One entry of `parameters`: KEY: {value: X} or KEY: {values: [X, ...]}. */
static int read_param(const SweepSpec *spec, const YNode *key_node, const YNode *body, SweepParam *p,
                      char err[ERR_LEN]) {
    const char *key = key_node->text;
    char path[256];
    snprintf(path, sizeof path, "parameters.%s", key);
    if (!train_config_key_type(key))
        return sweep_error(err, spec->file, key_node->line, key_node->column, path,
                           "unknown parameter '%s' (not a trainer setting)", key);
    if (!(p->key = strdup(key)))
        return sweep_error(err, spec->file, key_node->line, key_node->column, path, "out of memory");
    p->type = train_config_key_type(key);
    p->line = key_node->line;
    p->column = key_node->column;

    if (body->kind != YNODE_MAPPING)
        return sweep_error(err, spec->file, body->line, body->column, path,
                           "expected {value: X} or {values: [...]}, got %s", ytree_kind_name(body));
    const YNode *form = NULL; /* the `value` or `values` key seen so far */
    for (int i = 0; i < body->count; i++) {
        const YNode *k = ytree_map_key(body, i);
        char sub[320];
        snprintf(sub, sizeof sub, "%s.%s", path, k->text);
        if (!strcmp(k->text, "value") || !strcmp(k->text, "values")) {
            if (form)
                return sweep_error(err, spec->file, k->line, k->column, sub,
                                   "expected {value: X} or {values: [...]}, not both");
            form = k;
            continue;
        }
        for (size_t f = 0; f < sizeof FUTURE_PARAM_KEYS / sizeof FUTURE_PARAM_KEYS[0]; f++)
            if (!strcmp(k->text, FUTURE_PARAM_KEYS[f]))
                return sweep_error(err, spec->file, k->line, k->column, sub,
                                   "'%s' is not supported yet (expected value or values)", k->text);
        return sweep_error(err, spec->file, k->line, k->column, sub, "unknown key '%s' (expected value or values)",
                           k->text);
    }
    if (!form)
        return sweep_error(err, spec->file, body->line, body->column, path, "expected {value: X} or {values: [...]}");

    const YNode *node = ytree_map_value(body, ytree_map_find(body, form->text));
    char sub[320];
    snprintf(sub, sizeof sub, "%s.%s", path, form->text);
    return !strcmp(form->text, "value") ? read_fixed(spec, sub, key, node, p, err)
                                        : read_values(spec, sub, key, node, p, err);
}

static int by_key(const void *a, const void *b) {
    return strcmp((*(const SweepParam *const *)a)->key, (*(const SweepParam *const *)b)->key);
}

static int read_parameters(SweepSpec *spec, const YNode *key_node, const YNode *map, char err[ERR_LEN]) {
    spec->params_line = key_node->line;
    spec->params_column = key_node->column;
    if (map->kind != YNODE_MAPPING || map->count == 0)
        return sweep_error(err, spec->file, map->line, map->column, "parameters",
                           "expected a mapping of trainer settings to {value: X} or {values: [...]}, got %s",
                           map->kind == YNODE_MAPPING ? "an empty one" : ytree_kind_name(map));
    spec->params = calloc((size_t)map->count, sizeof *spec->params);
    spec->sorted = calloc((size_t)map->count, sizeof *spec->sorted);
    if (!spec->params || !spec->sorted)
        return sweep_error(err, spec->file, map->line, map->column, "parameters", "out of memory");
    for (int i = 0; i < map->count; i++) {
        /* counted before reading so a half-read parameter is freed with the spec */
        spec->count++;
        if (read_param(spec, ytree_map_key(map, i), ytree_map_value(map, i), &spec->params[i], err)) return -1;
    }
    /* sort pointers (qsort has no context argument), then turn them back into indices */
    const SweepParam **order = malloc((size_t)spec->count * sizeof *order);
    if (!order) return sweep_error(err, spec->file, map->line, map->column, "parameters", "out of memory");
    for (int i = 0; i < spec->count; i++) order[i] = &spec->params[i];
    qsort(order, (size_t)spec->count, sizeof *order, by_key);
    for (int i = 0; i < spec->count; i++) spec->sorted[i] = (int)(order[i] - spec->params);
    free(order);
    return 0;
}

/* ---- the whole document ------------------------------------------------------------------------------ */

static int read_document(const YNode *root, SweepSpec *spec, Sweep *out, char err[ERR_LEN]) {
    if (!root || ytree_is_null(root))
        return sweep_error(err, spec->file, root ? root->line : 1, root ? root->column : 1, "yaml",
                           "the file is empty (expected name, method and parameters)");
    if (root->kind != YNODE_MAPPING)
        return sweep_error(err, spec->file, root->line, root->column, "yaml",
                           "expected a mapping with name, method and parameters, got %s", ytree_kind_name(root));

    /* unknown keys first, in file order: a misspelt key would otherwise surface as "missing" */
    for (int i = 0; i < root->count; i++) {
        const YNode *k = ytree_map_key(root, i);
        int known = 0;
        for (int t = 0; t < TOP_KEY_COUNT; t++) known |= !strcmp(k->text, TOP_KEYS[t].key);
        if (!known)
            return sweep_error(err, spec->file, k->line, k->column, k->text,
                               "unknown key '%s' (expected name, description, method or parameters)", k->text);
    }
    for (int t = 0; t < TOP_KEY_COUNT; t++)
        if (TOP_KEYS[t].required && ytree_map_find(root, TOP_KEYS[t].key) < 0)
            return sweep_error(err, spec->file, root->line, root->column, TOP_KEYS[t].key, "required key is missing");

    /* method before parameters: which parameter forms are allowed will depend on the method */
    if (read_name(spec, ytree_map_value(root, ytree_map_find(root, "name")), out, err)) return -1;
    if (read_method(spec, ytree_map_value(root, ytree_map_find(root, "method")), out, err)) return -1;
    int d = ytree_map_find(root, "description");
    if (d >= 0 && read_description(spec, ytree_map_value(root, d), out, err)) return -1;
    int p = ytree_map_find(root, "parameters");
    return read_parameters(spec, ytree_map_key(root, p), ytree_map_value(root, p), err);
}

/* {"method","name","parameters":{KEY:{"value":x} | {"values":[...]}}}, every object's keys sorted, so
 * the same sweep written in any key order gives the same text and hash. */
static int build_spec_json(const SweepSpec *spec, Sweep *out, char err[ERR_LEN]) {
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "method", out->method) &&
             cJSON_AddStringToObject(root, "name", out->name);
    cJSON *params = ok ? cJSON_AddObjectToObject(root, "parameters") : NULL;
    ok = params != NULL;
    for (int i = 0; ok && i < spec->count; i++) {
        const SweepParam *p = &spec->params[spec->sorted[i]];
        cJSON *entry = cJSON_AddObjectToObject(params, p->key);
        cJSON *list = NULL;
        ok = entry != NULL;
        if (ok && p->kind == SWEEP_PARAM_VALUES) ok = (list = cJSON_AddArrayToObject(entry, "values")) != NULL;
        for (int j = 0; ok && j < p->count; j++) {
            cJSON *v = cJSON_Duplicate(p->values[j].json, 1);
            ok = v != NULL;
            if (ok && list) cJSON_AddItemToArray(list, v);
            else if (ok) cJSON_AddItemToObject(entry, "value", v);
        }
    }
    if (ok) ok = (out->spec_json = cJSON_PrintUnformatted(root)) != NULL;
    cJSON_Delete(root);
    if (!ok) return sweep_error(err, spec->file, 1, 1, "yaml", "out of memory");
    sweep_hash_hex(out->spec_json, out->spec_hash);
    return 0;
}

int sweep_load(Sweep *out, const char *path, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    YNode *root = NULL;
    if (ytree_load_file(path, &root, err)) return -1;
    SweepSpec spec = {.file = path};
    int rc = read_document(root, &spec, out, err);
    if (rc == 0) rc = build_spec_json(&spec, out, err);
    if (rc == 0) rc = sweep_grid_expand(&spec, out, err);
    sweep_spec_free(&spec);
    ytree_free(root);
    if (rc) sweep_free(out); /* a failed load leaves *out empty, as documented for sweep_free */
    return rc ? -1 : 0;
}

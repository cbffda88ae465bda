/* One YAML scalar -> one typed trial value.
 *
 * The key's table (the trainer's, or the objective's for model: objective sweeps), not YAML's implicit
 * typing, decides a value's type: `hidden: {value: 128}` is the string "128" and `lr: {value: "0.1"}` is
 * the number 0.1. Every trainer value also goes through train_config_set, the single gate for a key's
 * syntax and range, so a sweep can never hold a value that `cohort train --key value` would refuse. The
 * JSON form is normalised (0.10 and 0.1 are the same number, -0.0 and 0 too, yes and true the same bool)
 * so that trial keys depend on values, not on spelling. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "objective.h"
#include "sweep_internal.h"

void sweep_value_clear(SweepValue *value) {
    cJSON_Delete(value->json);
    free(value->text);
    memset(value, 0, sizeof *value);
}

/* ---- the objective's keys ---------------------------------------------------------------------------- */

/* x1..x99 */
static int is_x_key(const char *key) {
    if (key[0] != 'x' || key[1] < '1' || key[1] > '9') return 0;
    return key[2] == '\0' || (key[2] >= '0' && key[2] <= '9' && key[3] == '\0');
}

char sweep_key_type(int objective, const char *key) {
    if (!objective) return train_config_key_type(key);
    if (!strcmp(key, "model") || !strcmp(key, "function")) return 's';
    if (!strcmp(key, "curve_epochs") || !strcmp(key, "seed")) return 'i';
    if (is_x_key(key)) return 'f';
    return 0;
}

/* An objective key's value: the type, and the few ranges there are. */
static int objective_check_text(const char *key, char type, const char *text, char msg[ERR_LEN]) {
    char *end;
    errno = 0;
    if (type == 's') {
        if (!*text) return err_set(msg, "expected a non-empty string");
        if (!strcmp(key, "model") && strcmp(text, OBJECTIVE_MODEL))
            return err_set(msg, "'%s': an objective sweep's model must be " OBJECTIVE_MODEL, text);
        if (!strcmp(key, "function") && objective_dimension(text) == 0)
            return err_set(msg, "unknown function '%s' (branin, hartmann6, rosenbrock)", text);
        return 0;
    }
    if (type == 'i') {
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end) return err_set(msg, "expected an integer, got '%s'", text);
        if (!strcmp(key, "curve_epochs") && (v < 1 || v > 1000000))
            return err_set(msg, "%lld is out of range [1, 1000000]", v);
        if (!strcmp(key, "seed") && v < 0) return err_set(msg, "expected a non-negative integer, got '%s'", text);
        return 0;
    }
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v)) return err_set(msg, "expected a number, got '%s'", text);
    return 0;
}

/* The trainer prefixes its messages with "key: "; the sweep error already names the key's full path. */
static void strip_key_prefix(char msg[ERR_LEN], const char *key) {
    size_t n = strlen(key);
    if (strncmp(msg, key, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        memmove(msg, msg + n + 2, strlen(msg + n + 2) + 1);
}

/* The key's own check of a value in text form. */
static int check_text(int objective, const char *key, const char *text, char msg[ERR_LEN]) {
    if (objective) return objective_check_text(key, sweep_key_type(1, key), text, msg);
    TrainConfig scratch;
    train_config_defaults(&scratch);
    if (train_config_set(&scratch, key, text, msg)) {
        strip_key_prefix(msg, key);
        return -1;
    }
    return 0;
}

/* YAML 1.1 and 1.2 spellings of booleans, plus the 1/0 that train_config_set also takes. */
static const char *bool_word(const char *t) {
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(t, yes[i])) return "true";
        if (!strcasecmp(t, no[i])) return "false";
    }
    return NULL;
}

int sweep_value_read(int objective, const char *key, const YNode *node, SweepValue *out, char msg[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    if (node->kind != YNODE_SCALAR) return err_set(msg, "expected a single value, got %s", ytree_kind_name(node));
    if (ytree_is_null(node)) return err_set(msg, "expected a value, got null");
    out->line = node->line;
    out->column = node->column;

    char type = sweep_key_type(objective, key);
    const char *text = node->text;
    if (type == 'b') {
        const char *word = bool_word(text);
        if (word) text = word;
    }
    if (check_text(objective, key, text, msg)) return -1;

    /* numeric keys that also take "auto" (the model's own default) keep it as the string, as augment does */
    if ((type == 'i' || type == 'f') && !strcmp(text, "auto")) type = 's';
    switch (type) {
    case 'i': {
        /* the key's check accepted it as an integer of the key's range; only the JSON form is left */
        double v;
        errno = 0;
        if (strchr(text, '-')) v = (double)strtoll(text, NULL, 10);
        else v = (double)strtoull(text, NULL, 10);
        if (errno || v > SWEEP_MAX_EXACT_INTEGER || v < -SWEEP_MAX_EXACT_INTEGER)
            return err_set(msg, "%s is too large to store exactly (at most 999999999999999)", text);
        out->json = cJSON_CreateNumber(sweep_number_canonical(v));
        break;
    }
    case 'f':
        out->json = cJSON_CreateNumber(sweep_number_canonical(strtod(text, NULL)));
        break;
    case 'b':
        /* augment also takes "auto" (the dataset's default), which no JSON bool can hold: it stays the
         * string "auto", which train_config_set reads back the same way */
        out->json = bool_word(text) ? cJSON_CreateBool(!strcmp(text, "true")) : cJSON_CreateString(text);
        break;
    default:
        out->json = cJSON_CreateString(text);
        break;
    }
    out->text = strdup(text);
    if (!out->json || !out->text) {
        sweep_value_clear(out);
        return err_set(msg, "out of memory");
    }
    return 0;
}

const char *sweep_json_text(const cJSON *v, char type, char *buf, size_t size) {
    if (cJSON_IsString(v)) snprintf(buf, size, "%s", v->valuestring);
    else if (cJSON_IsBool(v)) snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsNumber(v) && type == 'i') snprintf(buf, size, "%.0f", v->valuedouble);
    else if (cJSON_IsNumber(v)) snprintf(buf, size, "%.17g", v->valuedouble);
    else snprintf(buf, size, "?");
    return buf;
}

int sweep_value_check_number(int objective, const char *key, double v, char msg[ERR_LEN]) {
    char type = sweep_key_type(objective, key), text[64];
    if (!isfinite(v)) return err_set(msg, "expected a finite number, got %g", v);
    if (type == 'i') {
        if (v != floor(v)) return err_set(msg, "expected an integer, got %.17g", v);
        if (fabs(v) > SWEEP_MAX_EXACT_INTEGER)
            return err_set(msg, "%.0f is too large to store exactly (at most 999999999999999)", v);
        snprintf(text, sizeof text, "%.0f", v);
    } else {
        snprintf(text, sizeof text, "%.17g", v);
    }
    return check_text(objective, key, text, msg);
}

double sweep_round_sig(double v, int digits) {
    if (!isfinite(v) || v == 0) return v;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    return strtod(buf, NULL);
}

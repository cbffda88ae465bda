/* One YAML scalar -> one typed trial value.
 *
 * The trainer's key table, not YAML's implicit typing, decides a value's type: `hidden: {value: 128}`
 * is the string "128" and `lr: {value: "0.1"}` is the number 0.1. Every value also goes through
 * train_config_set, the single gate for a key's syntax and range, so a sweep can never hold a value that
 * `cohort train --key value` would refuse. The JSON form is normalised (0.10 and 0.1 are the same
 * number, yes and true the same bool) so that trial keys depend on values, not on spelling. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "sweep_internal.h"

/* JSON numbers are doubles, and cJSON prints them with 15 significant digits when that reads back
 * within an epsilon: 2^53 would come out as 9.00719925474099e+15. Integers of at most 15 digits print
 * exactly, so larger ones (in practice only a seed) are refused rather than silently changed. */
#define MAX_EXACT_INTEGER 999999999999999.0

void sweep_value_clear(SweepValue *value) {
    cJSON_Delete(value->json);
    free(value->text);
    memset(value, 0, sizeof *value);
}

/* The trainer prefixes its messages with "key: "; the sweep error already names the key's full path. */
static void strip_key_prefix(char msg[ERR_LEN], const char *key) {
    size_t n = strlen(key);
    if (strncmp(msg, key, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        memmove(msg, msg + n + 2, strlen(msg + n + 2) + 1);
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

int sweep_value_read(const char *key, const YNode *node, SweepValue *out, char msg[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    if (node->kind != YNODE_SCALAR) return err_set(msg, "expected a single value, got %s", ytree_kind_name(node));
    if (ytree_is_null(node)) return err_set(msg, "expected a value, got null");
    out->line = node->line;
    out->column = node->column;

    char type = train_config_key_type(key);
    const char *text = node->text;
    if (type == 'b') {
        const char *word = bool_word(text);
        if (word) text = word;
    }
    TrainConfig scratch;
    train_config_defaults(&scratch);
    if (train_config_set(&scratch, key, text, msg)) {
        strip_key_prefix(msg, key);
        return -1;
    }

    switch (type) {
    case 'i': {
        /* train_config_set accepted it as an integer of the key's range; only the JSON form is left */
        double v;
        errno = 0;
        if (strchr(text, '-')) v = (double)strtoll(text, NULL, 10);
        else v = (double)strtoull(text, NULL, 10);
        if (errno || v > MAX_EXACT_INTEGER || v < -MAX_EXACT_INTEGER)
            return err_set(msg, "%s is too large to store exactly (at most 999999999999999)", text);
        out->json = cJSON_CreateNumber(v);
        break;
    }
    case 'f':
        out->json = cJSON_CreateNumber(strtod(text, NULL));
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

#include "spec_diff.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *out;
    size_t size, used;
    int count, breaking;
} DiffText;

/* {values: [a, b]} -> {values: [a, b, c]}: the grid only grew, every finished trial is still in it. */
static int only_added_values(const cJSON *old, const cJSON *new) {
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(old, "values"), *nv = cJSON_GetObjectItemCaseSensitive(new, "values");
    if (!cJSON_IsArray(ov) || !cJSON_IsArray(nv) || cJSON_GetArraySize(old) != 1 || cJSON_GetArraySize(new) != 1)
        return 0;
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, ov) {
        int found = 0;
        cJSON_ArrayForEach(b, nv) found = found || cJSON_Compare(a, b, 1);
        if (!found) return 0;
    }
    return 1;
}

static void add_line(DiffText *d, const char *path, const cJSON *old, const cJSON *new) {
    char *a = old ? cJSON_PrintUnformatted(old) : NULL, *b = new ? cJSON_PrintUnformatted(new) : NULL;
    int additive = old && new && only_added_values(old, new);
    int n = snprintf(d->out + d->used, d->size - d->used, "  %s: %s -> %s%s\n", path, a ? a : "(absent)",
                     b ? b : "(absent)", additive ? " (values added)" : "");
    d->breaking += !additive;
    if (n > 0 && (size_t)n < d->size - d->used) d->used += (size_t)n;
    d->count++;
    free(a);
    free(b);
}

/* Compares two objects key by key, descending into "parameters". */
static void diff_objects(DiffText *d, const char *prefix, const cJSON *old, const cJSON *new) {
    const cJSON *item;
    char path[512];
    cJSON_ArrayForEach(item, old) {
        snprintf(path, sizeof path, "%s%s", prefix, item->string);
        const cJSON *other = cJSON_GetObjectItemCaseSensitive(new, item->string);
        if (!other) add_line(d, path, item, NULL);
        else if (!cJSON_Compare(item, other, 1)) {
            if (!strcmp(item->string, "parameters") && cJSON_IsObject(item) && cJSON_IsObject(other)) {
                snprintf(path, sizeof path, "%sparameters.", prefix);
                diff_objects(d, path, item, other);
            } else {
                add_line(d, path, item, other);
            }
        }
    }
    cJSON_ArrayForEach(item, new) {
        if (cJSON_GetObjectItemCaseSensitive(old, item->string)) continue;
        snprintf(path, sizeof path, "%s%s", prefix, item->string);
        add_line(d, path, NULL, item);
    }
}

int spec_diff(const char *old_json, const char *new_json, char *out, size_t size, int *breaking) {
    DiffText d = {out, size, 0, 0, 0};
    out[0] = '\0';
    cJSON *old = cJSON_Parse(old_json ? old_json : ""), *new = cJSON_Parse(new_json ? new_json : "");
    if (!old || !new) {
        snprintf(out, size, "  (the recorded specification could not be read)\n");
        d.count = d.breaking = 1;
    } else {
        diff_objects(&d, "", old, new);
    }
    cJSON_Delete(old);
    cJSON_Delete(new);
    *breaking = d.breaking;
    return d.count;
}

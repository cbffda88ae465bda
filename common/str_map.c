/* See str_map.h. */
#include "str_map.h"

#include <stdlib.h>
#include <string.h>

#include "fnv.h"

/* The slot of key: the one holding it, or the empty one where it would go. cap > 0. */
static size_t slot_of(char *const *keys, size_t cap, const char *key) {
    size_t i = (size_t)fnv64(key) & (cap - 1);
    while (keys[i] && strcmp(keys[i], key)) i = (i + 1) & (cap - 1);
    return i;
}

int str_map_get(const StrMap *m, const char *key) {
    if (!m->cap) return -1;
    size_t i = slot_of(m->keys, m->cap, key);
    return m->keys[i] ? m->values[i] : -1;
}

/* Moves every key into a table of cap slots. */
static int grow(StrMap *m, size_t cap) {
    char **keys = calloc(cap, sizeof *keys);
    int *values = calloc(cap, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t s = slot_of(keys, cap, m->keys[i]);
            keys[s] = m->keys[i];
            values[s] = m->values[i];
        }
    free(m->keys);
    free(m->values);
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    return 0;
}

int str_map_put(StrMap *m, const char *key, int value) {
    if (m->cap) {
        size_t i = slot_of(m->keys, m->cap, key);
        if (m->keys[i]) {
            m->values[i] = value;
            return 0;
        }
    }
    /* at most half full: probes stay short */
    if (2 * (m->count + 1) > m->cap && grow(m, m->cap ? 2 * m->cap : 16)) return -1;
    char *copy = strdup(key);
    if (!copy) return -1;
    size_t i = slot_of(m->keys, m->cap, key);
    m->keys[i] = copy;
    m->values[i] = value;
    m->count++;
    return 0;
}

void str_map_free(StrMap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof *m);
}

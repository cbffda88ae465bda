/* A map from strings to non-negative ints (indices into the caller's arrays), by open addressing with
 * linear probing over FNV-1a hashes, kept at most half full. The map owns copies of its keys. The one hash
 * table of the sweeps (known trials, early-stopping curves) and the reports (groups, configurations,
 * levels, keys). */
#ifndef COHORT_STR_MAP_H
#define COHORT_STR_MAP_H

#include <stddef.h>

typedef struct {
    char **keys;  /* [cap] owned copies; NULL marks an empty slot */
    int *values;  /* [cap] */
    size_t cap;   /* 0 or a power of two */
    size_t count; /* keys held */
} StrMap;

/* A zeroed StrMap is an empty map. */

/* The value of key, or -1 when the map does not hold it. */
int str_map_get(const StrMap *m, const char *key);
/* Sets key's value (value >= 0), adding key when absent. 0, or -1 when out of memory (the map unchanged). */
int str_map_put(StrMap *m, const char *key, int value);
/* Frees everything; the map is empty again. */
void str_map_free(StrMap *m);

#endif

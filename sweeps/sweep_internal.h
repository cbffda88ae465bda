/* Shared between the sweep sources: the validated sweep before expansion (a SweepSpec), and the steps
 * that turn a YAML tree into it and it into trials. Reading (sweep_parse.c, sweep_value.c) is kept apart
 * from search (sweep_grid.c) so that random and Bayesian search can later be added as other expanders of
 * the same SweepSpec, and distributions as another SweepParamKind. */
#ifndef COHORT_SWEEPS_INTERNAL_H
#define COHORT_SWEEPS_INTERNAL_H

#include <stdint.h>

#include "sweeps.h"
#include "yaml_tree.h"

/* Upper bound on the trials one sweep may expand to: a typo like an extra zero in a values list, or
 * too many swept keys, should be an error rather than an hour of expansion and gigabytes of JSON. */
#define SWEEP_MAX_TRIALS 100000

/* One value of a parameter, read from one YAML scalar and already checked against the trainer key. */
typedef struct {
    cJSON *json; /* number, bool or string, per the key's type */
    char *text;  /* the same value in train_config_set's text form ("0.1", "true", "lenet") */
    int line, column;
} SweepValue;

typedef enum {
    SWEEP_PARAM_FIXED,  /* {value: X}: count == 1 */
    SWEEP_PARAM_VALUES, /* {values: [...]}: count >= 1, file order */
} SweepParamKind;

typedef struct {
    char *key;   /* a trainer key */
    char type;   /* train_config_key_type(key): 'i', 'f', 'b' or 's' */
    SweepParamKind kind;
    int count;
    SweepValue *values;
    int line, column; /* of the key in the file */
} SweepParam;

typedef struct {
    const char *file;               /* for error messages */
    int params_line, params_column; /* the `parameters` key, where whole-grid errors point */
    int count;
    SweepParam *params; /* file order: the grid's order */
    int *sorted;        /* indices into params in key order: the order of every JSON object */
} SweepSpec;

/* err = "FILE:LINE:COL: KEY: message"; returns -1. */
int sweep_error(char err[ERR_LEN], const char *file, int line, int column, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Reads one YAML node as a value of trainer key `key`. Non-zero with msg set to the message alone
 * (no location: the caller knows the path). */
int sweep_value_read(const char *key, const YNode *node, SweepValue *out, char msg[ERR_LEN]);
void sweep_value_clear(SweepValue *value);

void sweep_spec_free(SweepSpec *spec);

/* Fills out->trials with the Cartesian product of spec's parameters (method grid). */
int sweep_grid_expand(const SweepSpec *spec, Sweep *out, char err[ERR_LEN]);

/* The 64-bit FNV-1a behind sweep_hash_hex, for hash tables. */
uint64_t sweep_hash64(const char *text);

#endif

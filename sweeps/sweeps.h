/* Sweep files: YAML (libyaml) -> a validated list of trials, each a JSON object (cJSON) of trainer keys.
 *
 * Language (W&B-style keys, so sweeps can be ported):
 *   name: STRING                 (required)
 *   method: grid                 (grid only, for now)
 *   description: STRING          (optional)
 *   parameters:
 *     KEY: {value: X}            a fixed setting
 *     KEY: {values: [X, Y, ...]} swept (non-empty list)
 * KEY is any trainer key (see train_config_set). The grid is the Cartesian product of the `values`
 * lists in file order, the last key varying fastest. Every error names file:line:column and the key. */
#ifndef COHORT_SWEEPS_H
#define COHORT_SWEEPS_H

#include <cjson/cJSON.h>

#include "errors.h"

typedef struct {
    int index;          /* position in the grid, 0-based */
    char key[17];       /* 16 hex digits: a hash of the normalised config (stable across runs of the file) */
    cJSON *config;      /* object: every parameter of the trial, typed (number, bool or string), keys sorted */
} SweepTrial;

typedef struct {
    char name[128];
    char method[16];
    char *description;  /* may be NULL */
    char *spec_json;    /* normalised sweep (name, method, parameters) as compact JSON, for the database */
    char spec_hash[17]; /* hash of spec_json */
    int trial_count;
    SweepTrial *trials;
} Sweep;

/* Parses and validates the file. Non-zero with err "FILE:LINE:COL: KEY: what is wrong" on bad input. */
int sweep_load(Sweep *out, const char *path, char err[ERR_LEN]);
void sweep_free(Sweep *sweep);

/* 64-bit FNV-1a of text, as 16 lowercase hex digits in out[17]. */
void sweep_hash_hex(const char *text, char out[17]);

#endif

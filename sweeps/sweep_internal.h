/* Shared between the sweep sources: the validated search space (a SweepSpace, kept in the Sweep after
 * loading so that search.c can sample from it), and the steps that turn a YAML tree into it and it into
 * trials. Reading (sweep_parse.c, sweep_param.c, sweep_value.c) is kept apart from search (sweep_grid.c,
 * search.c, tpe.c), which only see SweepSpace. */
#ifndef COHORT_SWEEPS_INTERNAL_H
#define COHORT_SWEEPS_INTERNAL_H

#include <stdint.h>

#include "rng.h"
#include "sweeps.h"
#include "yaml_tree.h"

/* Upper bound on the trials one sweep may expand to: a typo like an extra zero in a values list, or
 * too many swept keys, should be an error rather than an hour of expansion and gigabytes of JSON. */
#ifndef SWEEP_MAX_TRIALS /* the fuzz build sets a lower one */
#define SWEEP_MAX_TRIALS 100000
#endif
/* Largest integer a JSON number holds exactly when cJSON prints it (15 digits). */
#define SWEEP_MAX_EXACT_INTEGER 999999999999999.0

/* One value of a parameter, read from one YAML scalar and already checked against its key. */
typedef struct {
    cJSON *json; /* number, bool or string, per the key's type */
    char *text;  /* the same value in train_config_set's text form ("0.1", "true", "lenet") */
    int line, column;
} SweepValue;

/* Distributions, with W&B's names and semantics. */
typedef enum {
    DIST_CONSTANT,             /* value */
    DIST_CATEGORICAL,          /* values [+ probabilities] */
    DIST_INT_UNIFORM,          /* integers min..max, inclusive */
    DIST_UNIFORM,              /* U(min, max) */
    DIST_Q_UNIFORM,            /* round(U(min, max) / q) * q */
    DIST_LOG_UNIFORM_VALUES,   /* exp(U(log min, log max)) */
    DIST_Q_LOG_UNIFORM_VALUES, /* round(exp(U(log min, log max)) / q) * q */
    DIST_LOG_UNIFORM,          /* exp(U(min, max)): min and max are exponents */
    DIST_NORMAL,               /* N(mu, sigma) */
    DIST_LOG_NORMAL,           /* exp(N(mu, sigma)) */
    DIST_COUNT
} SweepDist;

extern const char *const SWEEP_DIST_NAMES[DIST_COUNT];

typedef struct {
    char *key;   /* a trainer key (or an objective key) */
    char *path;  /* its dotted path in the file, for messages */
    char type;   /* 'i' integer, 'f' number, 'b' boolean, 's' string */
    SweepDist dist;
    int count;            /* constant: 1; categorical: the values */
    SweepValue *values;
    double *probs;        /* categorical: probabilities (NULL = uniform) */
    double min, max;      /* the distribution's min and max as written (exponents for log_uniform) */
    double q;             /* q distributions */
    long long kmin, kmax; /* q distributions: the values are k*q for k in [kmin, kmax] */
    double mu, sigma;     /* normal, log_normal */
    int block;            /* enclosing conditional block, -1 at the top level */
    int line, column;     /* of the key in the file */
    int dist_line, dist_column; /* of `distribution`, or of the key when inferred */
} SweepParam;

/* A condition of a block: parameter `param` (an earlier categorical or constant one) takes one of values. */
typedef struct {
    int param;
    int count;
    cJSON **values;
} SweepCond;

/* A conditional block of parameters: applies when its parent applies and every condition holds. */
typedef struct {
    char *name;
    int parent;           /* -1 = top level */
    int cond_count;
    SweepCond *conds;
    int line, column;
} SweepBlock;

struct SweepSpace {
    char *file;                     /* for error messages */
    int objective;                  /* model: objective (analytic functions), keys checked by objective.c */
    int params_line, params_column; /* the `parameters` key, where whole-grid errors point */
    int count;
    SweepParam *params;             /* depth-first file order: the grid's order, and sampling order */
    int block_count;
    SweepBlock *blocks;
};

/* err = "FILE:LINE:COL: KEY: message"; returns -1. */
int sweep_error(char err[ERR_LEN], const char *file, int line, int column, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Appends "FILE:LINE:COL: KEY: message" to sweep->warnings. */
void sweep_warn(Sweep *sweep, const char *file, int line, int column, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The kind of value a key takes ('i', 'f', 'b', 's'), or 0 for an unknown key. */
char sweep_key_type(int objective, const char *key);
/* Reads one YAML node as a value of key `key`. Non-zero with msg set to the message alone (no location:
 * the caller knows the path). */
int sweep_value_read(int objective, const char *key, const YNode *node, SweepValue *out, char msg[ERR_LEN]);
/* Checks that a number is a valid value of key (type and range). */
int sweep_value_check_number(int objective, const char *key, double v, char msg[ERR_LEN]);
void sweep_value_clear(SweepValue *value);
/* train_config_set's text form of a JSON value ("0.1", "true", "lenet"), into buf. */
const char *sweep_json_text(const cJSON *v, char type, char *buf, size_t size);
/* v rounded to `digits` significant decimal digits (so sampled values print short and re-read exactly). */
double sweep_round_sig(double v, int digits);

/* Reads the `parameters` mapping into space. sweep receives warnings. */
int sweep_params_read(SweepSpace *space, Sweep *sweep, const YNode *key_node, const YNode *map, char err[ERR_LEN]);
void sweep_space_free(SweepSpace *space);
/* The normalised `parameters` object for spec_json. */
cJSON *sweep_params_json(const SweepSpace *space);

/* Whether parameter p applies given the values chosen so far (assigned[q] for q < p; NULL = inactive). */
int sweep_param_active(const SweepSpace *space, int p, cJSON *const *assigned);
/* Index of assigned value among a categorical/constant parameter's values, or -1. */
int sweep_value_index(const SweepParam *p, const cJSON *v);

/* A trial's config from the chosen values (NULL = inactive) and seed (seeded = 0: no seed key): keys
 * sorted. Values are duplicated. */
cJSON *sweep_config_build(const SweepSpace *space, cJSON *const *assigned, int seeded, uint64_t seed);
/* The combination as the trainer (or objective) will see it. Non-zero with msg on an invalid one. */
int sweep_config_check(const SweepSpace *space, const cJSON *config, char msg[ERR_LEN]);
/* Sorted compact JSON text of config and its key. The text is cJSON-allocated (cJSON_free) when out_text. */
int sweep_config_key(const cJSON *config, char key[17], char **out_text);

/* One random draw of parameter p (W&B semantics), a new cJSON value. */
cJSON *sweep_param_sample(const SweepParam *p, Rng *rng);
/* A numeric value of parameter p as a JSON number of its type (integers rounded), rounded for print. */
cJSON *sweep_param_number(const SweepParam *p, double v);

/* Fills out->trials with the grid (method grid), seeds turning fastest; applies run_cap. */
int sweep_grid_expand(const SweepSpace *space, Sweep *out, char err[ERR_LEN]);
/* Fills out->probes with representative configs of a random/bayes space and checks each. */
int sweep_probes_build(const SweepSpace *space, Sweep *out, char err[ERR_LEN]);

/* Sorts an object's members by key (strcmp), in place. */
void sweep_json_sort(cJSON *object);
/* 0.0 for -0.0 (JSON prints them "0" and "-0": one value must give one trial key), v otherwise. */
double sweep_number_canonical(double v);
/* sweep_number_canonical on every number in item, at every depth. */
void sweep_json_canonical_numbers(cJSON *item);

#endif

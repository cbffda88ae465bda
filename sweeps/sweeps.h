/* Sweep files: YAML (libyaml) -> a validated sweep: its settings, its search space, and (method grid)
 * the list of trials, each a JSON object (cJSON) of trainer keys with a stable key.
 * Searching (random, bayes = TPE) and early stopping (ASHA, median) are in search.h; the analytic test
 * objectives (model: objective) in objective.h.
 *
 * ---- The language (Weights & Biases' sweep keys where W&B has one) ------------------------------------
 *   name: STRING                       required
 *   description: STRING
 *   method: grid | random | bayes      required; bayes = TPE (see search.h)
 *   metric: {name: M, goal: minimize | maximize}
 *       M: train_loss train_top1 val_loss val_top1 test_loss test_top1 test_top5 (value for objectives).
 *       Default test_top1 maximize (objective sweeps: value minimize). A goal left out follows the name:
 *       *_loss and value minimize, *_top1 and *_top5 maximize (W&B would always minimize). `target` is
 *       accepted with a warning and ignored. val_* metrics need val_split among the parameters.
 *   run_cap: N                         at most N runs (a run = one configuration with one seed).
 *       Required for random and bayes (W&B would run forever); a grid runs its first N trials.
 *   seeds: [S, ...] | repeats: N       every configuration runs once per seed, as trainer key `seed`
 *       (repeats: N = seeds 0..N-1); then `seed` may not be a parameter. Seeds turn fastest in a grid.
 *   search_seed: N                     seed of random/bayes proposals (default 0)
 *   early_terminate:                   decided at epoch boundaries, see search.h
 *       {type: asha, min_epochs: 1, eta: 3, max_epochs: M}  (W&B spellings min_iter / max_iter too)
 *       {type: hyperband, min_iter: 1, eta: 3, max_iter: M}  (W&B; = asha. Or max_iter + s: rungs at
 *                                                             max_iter/eta^s ... max_iter/eta)
 *       {type: median, warmup_epochs: 0, min_trials: 5}
 *   resources: {threads: N}            OpenBLAS threads per run; not part of a trial's config or key
 *   max_retries: N                     re-run a failed or lost trial up to N times (for the runner)
 *   keep_checkpoints: best | last | all | none | [best, last]
 *                                      checkpoints kept when a run ends (default [best, last]): best = the
 *                                      epoch best by the sweep's metric, last = the last epoch, all = best,
 *                                      last and every epoch's; not part of the spec (results do not change)
 *   program, command, project, entity  W&B keys Cohort does not use: a warning, then ignored
 *   anything else                      an error
 *
 *   parameters: KEY: SPEC, where KEY is a trainer key (`cohort train --help`) and SPEC is one of
 *     {value: X}                                   constant
 *     {values: [X, ...], probabilities: [P, ...]}  categorical (probabilities optional, sum to 1)
 *     {distribution: D, ...}                       D one of
 *         constant (value)      categorical (values, probabilities)
 *         int_uniform (min, max: integers, inclusive)                uniform (min, max)
 *         q_uniform (min, max, q: round(U/q)*q)                      log_uniform_values (min, max > 0)
 *         q_log_uniform_values (min, max, q)     log_uniform (min, max are natural-log exponents)
 *         normal (mu = 0, sigma = 1)             log_normal (exp(N(mu, sigma)))
 *     Without `distribution` it is inferred as W&B does: values -> categorical, value -> constant,
 *     min/max both integers -> int_uniform (a warning on a real-valued key), else uniform,
 *     mu/sigma -> normal. q values are the multiples of q within [min, max].
 *     Integer keys take constant, categorical, int_uniform or q_ distributions with an integer q; text and
 *     boolean keys take constant or categorical. Drawn values outside a key's range are drawn again (so
 *     a normal on a bounded key is a truncated normal). Continuous draws are rounded to 10 significant
 *     digits. method grid needs finite parameters: constant, categorical, int_uniform, q_uniform.
 *
 *   Conditional parameters: a KEY that is not a setting names a block
 *       NAME:
 *         when: {KEY: VALUE | [VALUE, ...], ...}   optional
 *         parameters: {...}                        same forms, blocks may nest
 *     The block's parameters apply only when every condition holds (and its enclosing block applies);
 *     otherwise they are absent from the trial's config (the trainer default). Without `when` the block's
 *     NAME must be a value of exactly one earlier categorical parameter, and the block applies when that
 *     parameter takes it:
 *         model: {values: [resnet56, vit]}
 *         vit:                      # same as  when: {model: vit}
 *           parameters:
 *             dim: {values: [128, 192]}
 *     Condition keys must be earlier constant or categorical parameters in scope. A key may be defined
 *     in several places only if no two of them can apply together (their conditions on some key are
 *     disjoint). A grid is the product over the parameters that apply.
 *
 *   Analytic objectives (model: objective): parameters model: {value: objective}, function
 *     (branin | hartmann6 | rosenbrock), x1..xN (branin 2 in [-5,10]x[0,15], hartmann6 6 in [0,1],
 *     rosenbrock 5 in [-5,10]) and optionally curve_epochs: N (a learning curve, see objective.h). These
 *     keys are checked here, not by the trainer.
 *
 * ---- Trials ------------------------------------------------------------------------------------------
 * A trial's config holds every parameter that applies (and `seed` with seeds/repeats), keys sorted, values
 * typed (number, bool or string). Its key is the FNV-1a hash of that compact JSON: stable across runs of
 * the file, so a re-run skips finished trials and a grow-only change runs only the new cells. Errors name
 * FILE:LINE:COLUMN, the key's dotted path and what was expected. */
#ifndef COHORT_SWEEPS_H
#define COHORT_SWEEPS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "errors.h"
#include "metrics.h"

typedef struct {
    int index;          /* grid: position in the grid (x seeds), 0-based; search: order of proposal */
    char key[17];       /* 16 hex digits: a hash of the normalised config (stable across runs of the file) */
    cJSON *config;      /* object: every parameter of the trial, typed (number, bool or string), keys sorted */
} SweepTrial;

typedef enum { SWEEP_STOP_NONE, SWEEP_STOP_ASHA, SWEEP_STOP_MEDIAN } SweepStopType;

#define SWEEP_MAX_RUNGS 32

typedef struct {
    SweepStopType type;
    int eta;                      /* asha */
    int rung_count;               /* asha: epochs at which trials are compared, ascending */
    int rungs[SWEEP_MAX_RUNGS];
    int warmup_epochs;            /* median: no stopping at epochs <= warmup_epochs */
    int min_trials;               /* median: other trials needed at an epoch before stopping there */
} SweepEarlyTerminate;

/* keep_checkpoints bits. */
#define SWEEP_KEEP_BEST 1
#define SWEEP_KEEP_LAST 2
#define SWEEP_KEEP_EPOCHS 4 /* every epoch's checkpoint too */
#define SWEEP_KEEP_ALL (SWEEP_KEEP_BEST | SWEEP_KEEP_LAST | SWEEP_KEEP_EPOCHS)
#define SWEEP_KEEP_DEFAULT (SWEEP_KEEP_BEST | SWEEP_KEEP_LAST)

typedef struct SweepSpace SweepSpace; /* the parameters (sweep_internal.h) */

typedef struct {
    char name[128];
    char method[16];      /* "grid", "random" or "bayes" */
    char *description;    /* may be NULL */
    char *spec_json;      /* normalised sweep as compact JSON, for the database (resources and max_retries,
                             which do not change results, are left out) */
    char spec_hash[17];   /* hash of spec_json */
    int trial_count;      /* grid: every trial (after run_cap); random/bayes: 0 (use search_next) */
    SweepTrial *trials;

    char metric[16];      /* the metric the search optimises and early stopping compares */
    int maximize;         /* goal */
    int run_cap;          /* 0 = none (grid only) */
    int seed_count;       /* seeds/repeats: each config runs with seeds[0..seed_count); 0 = no seed key */
    uint64_t *seeds;
    uint64_t search_seed; /* search_seed (default 0): pass to search_create */
    int threads;          /* resources.threads, -1 = not set */
    int max_retries;      /* max_retries, -1 = not set */
    int keep_checkpoints; /* keep_checkpoints as SWEEP_KEEP_* bits, -1 = not set */
    int objective;        /* trials are analytic objectives (objective.h), not trainer runs */
    SweepEarlyTerminate early_terminate;
    int warning_count;    /* "FILE:LINE:COL: KEY: message" lines; the library prints nothing */
    char **warnings;
    int probe_count;      /* random/bayes: representative configs (every categorical value appears), */
    cJSON **probes;       /*   already validated; e.g. to check every dataset's files before starting */
    SweepSpace *space;
} Sweep;

/* Parses and validates the file. Non-zero with err "FILE:LINE:COL: KEY: what is wrong" on bad input;
 * *out is then empty. */
int sweep_load(Sweep *out, const char *path, char err[ERR_LEN]);
/* The same from text; `name` stands for the file in messages. */
int sweep_load_text(Sweep *out, const char *name, const char *text, char err[ERR_LEN]);
void sweep_free(Sweep *sweep);

/* `cohort sweep FILE --dry-run`: a grid's trials, or a random/bayes sweep's space and budget, as text
 * (malloc'd; free()). */
char *sweep_describe(const Sweep *sweep);

/* keep_checkpoints bits as the sweep file spells them: "all", "none", "best, last", "best" or "last". */
const char *sweep_keep_text(int mask, char out[32]);

/* The config a run is given: the trial's config plus resources.threads (when set and the config has no
 * `threads`). A new tree (cJSON_Delete), or NULL when out of memory. The trial's key is not affected. */
cJSON *sweep_run_config(const Sweep *sweep, const cJSON *config);
/* The same as compact JSON, malloc'd by cJSON (cJSON_free). */
char *sweep_run_json(const Sweep *sweep, const cJSON *config);

/* The sweep's metric from one epoch's metrics (objective trials report their value in test_loss, see
 * objective_epoch_metrics). NaN when the epoch has no such value. */
double sweep_epoch_metric(const Sweep *sweep, const EpochMetrics *m);
/* Whether a is better than b under the sweep's goal (NaN is never better). */
int sweep_better(const Sweep *sweep, double a, double b);

/* 64-bit FNV-1a of text, as 16 lowercase hex digits in out[17]. */
void sweep_hash_hex(const char *text, char out[17]);
/* A config's key as the sweep computes it: the hash of its keys-sorted compact JSON. Non-zero when
 * config is not an object. */
int sweep_config_hash(const cJSON *config, char key[17]);
void sweep_trial_clear(SweepTrial *trial);

#endif

/* A trial's identity: what its config (the JSON object a run is given, sweeps.h "Trials") says the run is:
 * an analytic objective or training, its model, dataset, seed, planned epochs, the ranks it trains on and,
 * for training, every trainer setting. The config is parsed and read once, here; the database, the
 * coordinator and the trainer's start all take this struct instead of reading the JSON again. */
#ifndef COHORT_TRIAL_IDENTITY_H
#define COHORT_TRIAL_IDENTITY_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "errors.h"

typedef struct {
    cJSON *config;      /* owned: the parsed config (an objective is evaluated from it); NULL when not JSON */
    int objective;      /* model: objective (objective.h): evaluated, not trained; `train` then holds defaults */
    char model[32];     /* "objective" for objectives */
    char dataset[32];   /* an objective's function ("analytic" when it names none) */
    uint64_t seed;
    int epochs;         /* planned epochs */
    int ranks;          /* ranks_per_trial: the ranks that train it together (1 when absent) */
    TrainConfig train;  /* the trainer's defaults with every key of the config applied */
    char error[ERR_LEN]; /* why the trainer (or objective_check) refuses the config, or "" */
} TrialIdentity;

/* The identity of `config`, which it takes over (trial_identity_free deletes it; NULL = not valid JSON).
 * Every field is filled as far as the config goes; non-zero when the config is refused, with id->error
 * saying why. */
int trial_identity_from_json(TrialIdentity *id, cJSON *config);
/* The same from the config's JSON text. */
int trial_identity_from_text(TrialIdentity *id, const char *json_text);
void trial_identity_free(TrialIdentity *id);

/* Applies every key of a trial's JSON object onto cfg (which holds the defaults), then validates it. */
int trial_config_from_json(const cJSON *config, TrainConfig *cfg, char err[ERR_LEN]);
int trial_config_from_text(const char *json_text, TrainConfig *cfg, char err[ERR_LEN]);

#endif

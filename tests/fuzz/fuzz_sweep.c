/* Fuzzes the sweep file parser: the input is a sweep file, loaded the way `cohort sweep FILE` loads it
 * (sweep_load from a file) and from memory (sweep_load_text), then taken through to trial configs: a
 * grid's trials, or a few random/TPE proposals, each applied to a TrainConfig as a worker applies it
 * (trial_config_from_text) and fed to early stopping.
 *
 * Properties checked besides memory safety and leaks:
 *   - both entry points agree (accepted or refused; the same spec hash and trial count);
 *   - a refusal names the file (errors are "FILE:LINE:COL: KEY: ...") and leaves the Sweep empty;
 *   - every trial has a 16-hex-digit key equal to the hash of its config, and its JSON is accepted by the
 *     trainer (or, for objective sweeps, by objective_check). */
#include <ctype.h>
#include <string.h>

#include "fuzz_common.h"
#include "objective.h"
#include "search.h"
#include "sweeps.h"
#include "trial.h"

#define NAME "fuzz.yaml"
#define SWEEP_MAX_INPUT (64 << 10) /* sweep files are a few dozen lines */
#define PROPOSALS 4          /* random/bayes trials drawn per input */

static char file_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_scratch_dir("sweep");
    fuzz_path(file_path, sizeof file_path, NAME);
    return 0;
}

static int is_empty(const Sweep *s) {
    return !s->trials && !s->space && !s->spec_json && !s->warnings && !s->probes && !s->seeds && s->trial_count == 0;
}

/* The trial's key is its config's hash, and the trainer (or the objective) accepts the JSON a run is given. */
static void check_trial(const Sweep *s, const SweepTrial *t) {
    FUZZ_REQUIRE(strlen(t->key) == 16, "trial key '%s'", t->key);
    for (int i = 0; i < 16; i++) FUZZ_REQUIRE(isxdigit((unsigned char)t->key[i]), "trial key '%s'", t->key);
    char key[17];
    FUZZ_REQUIRE(sweep_config_hash(t->config, key) == 0 && strcmp(key, t->key) == 0, "key %s, hash %s", t->key, key);
    char *json = sweep_run_json(s, t->config);
    FUZZ_REQUIRE(json != NULL, "sweep_run_json failed");
    char err[ERR_LEN] = "";
    if (s->objective) {
        FUZZ_REQUIRE(objective_check(t->config, err) == 0, "objective trial %s refused: %s", json, err);
    } else {
        TrainConfig cfg;
        train_config_defaults(&cfg);
        FUZZ_REQUIRE(trial_config_from_text(json, &cfg, err) == 0, "trial %s refused by the trainer: %s", json, err);
    }
    cJSON_free(json);
}

static void walk(Sweep *s) {
    char *text = sweep_describe(s);
    FUZZ_REQUIRE(text != NULL, "sweep_describe failed");
    free(text);
    /* The first trials and the last: a grid may hold 100,000. */
    for (int i = 0; i < s->trial_count; i++)
        if (i < 64 || i == s->trial_count - 1) check_trial(s, &s->trials[i]);

    char err[ERR_LEN] = "";
    Search *search = search_create(s, s->search_seed, err);
    FUZZ_REQUIRE(search != NULL, "search_create: %s", err);
    Stopper *stopper = stopper_create(s);
    FUZZ_REQUIRE(stopper != NULL, "stopper_create failed");
    for (int n = 0; n < PROPOSALS; n++) {
        SweepTrial t = {0};
        int r = search_next(search, &t, err);
        if (r <= 0) {
            sweep_trial_clear(&t);
            break;
        }
        check_trial(s, &t);
        char reason[256];
        for (int epoch = 1; epoch <= 3; epoch++)
            if (stopper_should_stop(stopper, t.key, epoch, 1.0 / (n + epoch), reason)) break;
        search_observe(search, t.key, (double)n);
        sweep_trial_clear(&t);
    }
    stopper_free(stopper);
    search_free(search);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > SWEEP_MAX_INPUT) return 0;
    fuzz_write_file(file_path, data, size);
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    Sweep from_file, from_text;
    char err_file[ERR_LEN] = "", err_text[ERR_LEN] = "";
    int rc_file = sweep_load(&from_file, file_path, err_file);
    int rc_text = sweep_load_text(&from_text, NAME, text, err_text);

    if (rc_file) {
        FUZZ_REQUIRE(!strncmp(err_file, file_path, strlen(file_path)) && err_file[strlen(file_path)] == ':',
                     "error does not name the file: %s", err_file);
        FUZZ_REQUIRE(is_empty(&from_file), "a refused sweep is not empty");
    }
    if (rc_text) {
        FUZZ_REQUIRE(!strncmp(err_text, NAME ":", strlen(NAME ":")), "error does not name the file: %s", err_text);
        FUZZ_REQUIRE(is_empty(&from_text), "a refused sweep is not empty");
    }
    /* A NUL byte ends the text for sweep_load_text only. */
    if (!memchr(data, 0, size)) {
        FUZZ_REQUIRE(!rc_file == !rc_text, "file: %s / text: %s", rc_file ? err_file : "accepted",
                     rc_text ? err_text : "accepted");
        if (!rc_file)
            FUZZ_REQUIRE(!strcmp(from_file.spec_hash, from_text.spec_hash) &&
                             from_file.trial_count == from_text.trial_count,
                         "file and text loads differ");
    }
    if (!rc_text) walk(&from_text);
    sweep_free(&from_file);
    sweep_free(&from_text);
    free(text);
    return 0;
}

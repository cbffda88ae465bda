/* Sweep files: the grid's order and typed values, conditional blocks and seeds, stable trial keys, every
 * top-level key, warnings, the dry-run text, and the exact error (file, line, column, key, message) for
 * each file of the bad corpus. Usage: test_sweeps DATA_DIR */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "search.h"
#include "sweeps.h"
#include "trial_identity.h"

static const char *data_dir;

static const char *data_file(const char *name, char buf[1024]) {
    snprintf(buf, 1024, "%s/%s", data_dir, name);
    return buf;
}

/* Loads a file that must be good; on failure the CHECK prints the error. */
static int load_good(const char *name, Sweep *s) {
    char path[1024], err[ERR_LEN] = "";
    int rc = sweep_load(s, data_file(name, path), err);
    CHECK_MSG(rc == 0, "%s: %s", name, err);
    return rc;
}

/* Compact JSON of a trial's config, into buf. */
static const char *config_text(const SweepTrial *t, char buf[1024]) {
    char *text = cJSON_PrintUnformatted(t->config);
    snprintf(buf, 1024, "%s", text ? text : "(null)");
    cJSON_free(text);
    return buf;
}

static int is_hex16(const char *k) {
    if (strlen(k) != 16) return 0;
    for (; *k; k++)
        if (!((*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'f'))) return 0;
    return 1;
}

static int has_key(const Sweep *s, const char *key) {
    for (int i = 0; i < s->trial_count; i++)
        if (!strcmp(s->trials[i].key, key)) return 1;
    return 0;
}

static void test_hash(void) {
    /* published FNV-1a 64 test vectors */
    char h[17];
    sweep_hash_hex("", h);
    CHECK(!strcmp(h, "cbf29ce484222325"));
    sweep_hash_hex("a", h);
    CHECK(!strcmp(h, "af63dc4c8601ec8c"));
    sweep_hash_hex("foobar", h);
    CHECK(!strcmp(h, "85944171f73967e8"));
}

static const char *const GRID_2X2[4] = {
    "{\"dataset\":\"fashion-mnist\",\"epochs\":2,\"lr\":0.05,\"model\":\"lenet\",\"nesterov\":true}",
    "{\"dataset\":\"fashion-mnist\",\"epochs\":2,\"lr\":0.1,\"model\":\"lenet\",\"nesterov\":true}",
    "{\"dataset\":\"fashion-mnist\",\"epochs\":2,\"lr\":0.05,\"model\":\"mlp\",\"nesterov\":true}",
    "{\"dataset\":\"fashion-mnist\",\"epochs\":2,\"lr\":0.1,\"model\":\"mlp\",\"nesterov\":true}",
};

static void test_grid_2x2(void) {
    Sweep s;
    if (load_good("grid_2x2.yaml", &s)) return;
    CHECK(!strcmp(s.name, "quickstart"));
    CHECK(!strcmp(s.method, "grid"));
    CHECK(s.description && !strcmp(s.description, "two models by two learning rates"));
    CHECK(s.trial_count == 4);
    CHECK_MSG(!strcmp(s.spec_json, "{\"method\":\"grid\",\"name\":\"quickstart\",\"parameters\":{"
                                   "\"dataset\":{\"value\":\"fashion-mnist\"},\"epochs\":{\"value\":2},"
                                   "\"lr\":{\"values\":[0.05,0.1]},\"model\":{\"values\":[\"lenet\",\"mlp\"]},"
                                   "\"nesterov\":{\"value\":true}}}"),
              "spec_json = %s", s.spec_json);
    char h[17];
    sweep_hash_hex(s.spec_json, h);
    CHECK(!strcmp(s.spec_hash, h));

    static const char *const models[4] = {"lenet", "lenet", "mlp", "mlp"};
    static const double lrs[4] = {0.05, 0.1, 0.05, 0.1};
    for (int i = 0; i < s.trial_count && i < 4; i++) {
        const SweepTrial *t = &s.trials[i];
        char buf[1024];
        CHECK(t->index == i);
        CHECK_MSG(!strcmp(config_text(t, buf), GRID_2X2[i]), "trial %d: %s", i, buf);
        /* the key is the hash of exactly that text */
        sweep_hash_hex(GRID_2X2[i], h);
        CHECK_MSG(!strcmp(t->key, h), "trial %d key %s, expected %s", i, t->key, h);
        CHECK(is_hex16(t->key));
        /* typed values: integer, number, bool, string */
        const cJSON *epochs = cJSON_GetObjectItemCaseSensitive(t->config, "epochs");
        const cJSON *lr = cJSON_GetObjectItemCaseSensitive(t->config, "lr");
        const cJSON *nesterov = cJSON_GetObjectItemCaseSensitive(t->config, "nesterov");
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(t->config, "model");
        const cJSON *dataset = cJSON_GetObjectItemCaseSensitive(t->config, "dataset");
        CHECK(cJSON_IsNumber(epochs) && epochs->valuedouble == 2.0 && epochs->valueint == 2);
        CHECK(cJSON_IsNumber(lr));
        if (cJSON_IsNumber(lr)) CHECK_CLOSE(lr->valuedouble, lrs[i], 1e-15);
        CHECK(cJSON_IsBool(nesterov) && cJSON_IsTrue(nesterov));
        CHECK(cJSON_IsString(model) && !strcmp(model->valuestring, models[i]));
        CHECK(cJSON_IsString(dataset) && !strcmp(dataset->valuestring, "fashion-mnist"));
        CHECK(cJSON_GetArraySize(t->config) == 5);
        /* keys in alphabetical order */
        const cJSON *prev = NULL;
        for (const cJSON *item = t->config->child; item; prev = item, item = item->next)
            if (prev) CHECK(strcmp(prev->string, item->string) < 0);
    }
    for (int i = 0; i < s.trial_count; i++)
        for (int j = i + 1; j < s.trial_count; j++) CHECK(strcmp(s.trials[i].key, s.trials[j].key) != 0);

    /* the same file again: the same keys */
    Sweep again;
    if (load_good("grid_2x2.yaml", &again) == 0) {
        CHECK(again.trial_count == s.trial_count);
        for (int i = 0; i < s.trial_count && i < again.trial_count; i++)
            CHECK(!strcmp(s.trials[i].key, again.trials[i].key));
        CHECK(!strcmp(s.spec_hash, again.spec_hash));
        sweep_free(&again);
    }

    /* the keys in another order and other spellings of the same values: the same trials and spec;
     * model is now the last parameter, so it turns fastest */
    Sweep re;
    if (load_good("grid_2x2_reordered.yaml", &re) == 0) {
        CHECK(re.trial_count == 4);
        CHECK(!strcmp(re.spec_json, s.spec_json));
        CHECK(!strcmp(re.spec_hash, s.spec_hash));
        CHECK(re.description == NULL);
        static const int same_as[4] = {0, 2, 1, 3};
        for (int i = 0; i < re.trial_count && i < 4; i++) {
            char buf[1024];
            CHECK_MSG(!strcmp(re.trials[i].key, s.trials[same_as[i]].key), "reordered trial %d: %s", i,
                      config_text(&re.trials[i], buf));
            CHECK(!strcmp(config_text(&re.trials[i], buf), GRID_2X2[same_as[i]]));
        }
        sweep_free(&re);
    }

    /* one more learning rate: the four old trials keep their keys, two new ones appear */
    Sweep grown;
    if (load_good("grid_2x3.yaml", &grown) == 0) {
        CHECK(grown.trial_count == 6);
        for (int i = 0; i < s.trial_count; i++) CHECK_MSG(has_key(&grown, s.trials[i].key), "old trial %d", i);
        int fresh = 0;
        for (int i = 0; i < grown.trial_count; i++) fresh += !has_key(&s, grown.trials[i].key);
        CHECK(fresh == 2);
        CHECK(strcmp(grown.spec_hash, s.spec_hash) != 0);
        /* lr now has three values: (lenet, 0.2) is the third trial */
        char buf[1024];
        if (grown.trial_count == 6)
            CHECK(!strcmp(config_text(&grown.trials[2], buf), "{\"dataset\":\"fashion-mnist\",\"epochs\":2,\"lr\":0.2,"
                                                              "\"model\":\"lenet\",\"nesterov\":true}"));
        sweep_free(&grown);
    }
    sweep_free(&s);
    CHECK(s.trials == NULL && s.trial_count == 0 && s.spec_json == NULL && s.description == NULL);
    sweep_free(&s); /* freeing twice is harmless */
}

static void test_types(void) {
    Sweep s;
    if (load_good("types.yaml", &s)) return;
    CHECK(s.trial_count == 1);
    if (s.trial_count != 1) {
        sweep_free(&s);
        return;
    }
    char buf[1024];
    CHECK_MSG(!strcmp(config_text(&s.trials[0], buf),
                      "{\"augment\":\"auto\",\"batch_size\":64,\"hidden\":\"128\",\"input_shape\":\"3x32x32\","
                      "\"lr\":1,\"momentum\":0.5,\"pad\":false,\"seed\":999999999999999,\"weight_decay\":0}"),
              "%s", buf);
    const cJSON *c = s.trials[0].config;
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "hidden")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, "momentum")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, "batch_size")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "pad")));
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(c, "seed");
    CHECK(cJSON_IsNumber(seed) && seed->valuedouble == 999999999999999.0);
    sweep_free(&s);
}

static void test_duplicates(void) {
    /* lr: [0.1, 0.10, 0.2, 1e-1] x epochs: [1, 01] has only two distinct trials; the first of each is
     * kept with its grid position */
    Sweep s;
    if (load_good("duplicates.yaml", &s)) return;
    CHECK(s.trial_count == 2);
    if (s.trial_count == 2) {
        char buf[1024];
        CHECK(s.trials[0].index == 0);
        CHECK(!strcmp(config_text(&s.trials[0], buf), "{\"epochs\":1,\"lr\":0.1}"));
        CHECK(s.trials[1].index == 4);
        CHECK(!strcmp(config_text(&s.trials[1], buf), "{\"epochs\":1,\"lr\":0.2}"));
    }
    sweep_free(&s);
}

/* A grid over a conditional space with repeats: the vit block adds dim (and heads) only to vit trials,
 * seeds turn fastest, and the index is the grid position times the seed count plus the seed's place. */
static void test_conditional_grid(void) {
    Sweep s;
    if (load_good("conditional_grid.yaml", &s)) return;
    static const struct {
        int index;
        const char *config;
    } want[] = {
        {0, "{\"lr\":0.05,\"model\":\"lenet\",\"seed\":0}"},
        {1, "{\"lr\":0.05,\"model\":\"lenet\",\"seed\":1}"},
        {2, "{\"lr\":0.1,\"model\":\"lenet\",\"seed\":0}"},
        {3, "{\"lr\":0.1,\"model\":\"lenet\",\"seed\":1}"},
        {4, "{\"dim\":64,\"heads\":4,\"lr\":0.05,\"model\":\"vit\",\"seed\":0}"},
        {5, "{\"dim\":64,\"heads\":4,\"lr\":0.05,\"model\":\"vit\",\"seed\":1}"},
        {6, "{\"dim\":128,\"heads\":4,\"lr\":0.05,\"model\":\"vit\",\"seed\":0}"},
        {7, "{\"dim\":128,\"heads\":4,\"lr\":0.05,\"model\":\"vit\",\"seed\":1}"},
        {8, "{\"dim\":64,\"heads\":4,\"lr\":0.1,\"model\":\"vit\",\"seed\":0}"},
        {9, "{\"dim\":64,\"heads\":4,\"lr\":0.1,\"model\":\"vit\",\"seed\":1}"},
        {10, "{\"dim\":128,\"heads\":4,\"lr\":0.1,\"model\":\"vit\",\"seed\":0}"},
        {11, "{\"dim\":128,\"heads\":4,\"lr\":0.1,\"model\":\"vit\",\"seed\":1}"},
    };
    CHECK(s.trial_count == 12);
    CHECK(s.seed_count == 2 && s.seeds[0] == 0 && s.seeds[1] == 1);
    for (int i = 0; i < s.trial_count && i < 12; i++) {
        char buf[1024], h[17];
        CHECK_MSG(!strcmp(config_text(&s.trials[i], buf), want[i].config), "trial %d: %s", i, buf);
        CHECK_MSG(s.trials[i].index == want[i].index, "trial %d index %d", i, s.trials[i].index);
        sweep_hash_hex(want[i].config, h);
        CHECK(!strcmp(s.trials[i].key, h)); /* the key includes the seed */
    }
    CHECK_MSG(!strcmp(s.spec_json,
                      "{\"method\":\"grid\",\"name\":\"conditional\",\"parameters\":{\"lr\":{\"values\":[0.05,0.1]},"
                      "\"model\":{\"values\":[\"lenet\",\"vit\"]},\"vit\":{\"parameters\":{\"dim\":{\"values\":[64,128]},"
                      "\"heads\":{\"value\":4}},\"when\":{\"model\":[\"vit\"]}}},\"seeds\":[0,1]}"),
              "spec_json = %s", s.spec_json);
    CHECK(s.warning_count == 0);
    sweep_free(&s);
}

/* W&B keys Cohort does not use are warnings naming them (the library prints nothing), and so is W&B's
 * int_uniform inference on a real-valued key. */
static void test_wandb_warnings(void) {
    Sweep s;
    if (load_good("wandb_keys.yaml", &s)) return;
    char path[1024];
    data_file("wandb_keys.yaml", path);
    static const char *const want[] = {
        ":2:1: program: ignored (a W&B setting Cohort does not use)",
        ":5:1: project: ignored (a W&B setting Cohort does not use)",
        ":6:1: entity: ignored (a W&B setting Cohort does not use)",
        ":11:1: command: ignored (a W&B setting Cohort does not use)",
        ":9:3: metric.target: ignored (a W&B setting Cohort does not use)",
        ":14:17: parameters.weight_decay: min and max are both integers, so the distribution is int_uniform (W&B's "
        "rule); write 0.0 or distribution: uniform for a continuous range",
    };
    CHECK_MSG(s.warning_count == 6, "%d warnings", s.warning_count);
    for (int i = 0; i < s.warning_count && i < 6; i++) {
        char expected[2048];
        snprintf(expected, sizeof expected, "%s%s", path, want[i]);
        CHECK_MSG(!strcmp(s.warnings[i], expected), "warning %d:\n  got      %s\n  expected %s", i, s.warnings[i],
                  expected);
    }
    /* metric given without goal: a loss is minimised */
    CHECK(!strcmp(s.metric, "test_loss") && s.maximize == 0);
    CHECK(!strcmp(s.method, "random") && s.run_cap == 4 && s.trial_count == 0);
    sweep_free(&s);
}

/* keep_checkpoints: each spelling to its bits; unset is -1 (the runner's default: best and last); not in the spec. */
static void test_keep_checkpoints(void) {
    static const struct {
        const char *value;
        int mask;
        const char *text;
    } CASES[] = {
        {"best", SWEEP_KEEP_BEST, "best"},
        {"last", SWEEP_KEEP_LAST, "last"},
        {"all", SWEEP_KEEP_BEST | SWEEP_KEEP_LAST | SWEEP_KEEP_EPOCHS, "all"},
        {"none", 0, "none"},
        {"[last, best]", SWEEP_KEEP_BEST | SWEEP_KEEP_LAST, "best, last"},
        {"[best]", SWEEP_KEEP_BEST, "best"},
    };
    char text[256], err[ERR_LEN] = "", shown[32];
    Sweep s, plain;
    CHECK_MSG(sweep_load_text(&plain, "inline.yaml", "name: k\nmethod: grid\nparameters:\n  lr: {value: 0.1}\n", err) == 0,
              "%s", err);
    CHECK(plain.keep_checkpoints == -1);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        snprintf(text, sizeof text, "name: k\nmethod: grid\nkeep_checkpoints: %s\nparameters:\n  lr: {value: 0.1}\n",
                 CASES[i].value);
        if (sweep_load_text(&s, "inline.yaml", text, err)) {
            CHECK_MSG(0, "%s: %s", CASES[i].value, err);
            continue;
        }
        CHECK_MSG(s.keep_checkpoints == CASES[i].mask, "%s: %d", CASES[i].value, s.keep_checkpoints);
        CHECK(!strcmp(sweep_keep_text(s.keep_checkpoints, shown), CASES[i].text));
        CHECK(!strcmp(s.spec_json, plain.spec_json) && !strcmp(s.spec_hash, plain.spec_hash));
        char *described = sweep_describe(&s);
        char line[64];
        snprintf(line, sizeof line, "keep_checkpoints: %s\n", CASES[i].text);
        CHECK_MSG(described && strstr(described, line), "%s", described ? described : "(null)");
        free(described);
        sweep_free(&s);
    }
    sweep_free(&plain);
}

/* Every top-level key, read into the Sweep. */
static void test_everything(void) {
    Sweep s;
    if (load_good("everything.yaml", &s)) return;
    CHECK(!strcmp(s.method, "bayes"));
    CHECK(s.description && !strcmp(s.description, "all the keys at once"));
    CHECK(!strcmp(s.metric, "val_top1") && s.maximize == 1); /* goal follows the name */
    CHECK(s.run_cap == 30);
    CHECK(s.seed_count == 2 && s.seeds[0] == 7 && s.seeds[1] == 11);
    CHECK(s.search_seed == 5);
    CHECK(s.threads == 2 && s.max_retries == 3);
    CHECK(!s.objective);
    /* hyperband with max_iter 27 and s = 2: W&B's rungs at 27/9 and 27/3 */
    CHECK(s.early_terminate.type == SWEEP_STOP_ASHA && s.early_terminate.eta == 3);
    CHECK(s.early_terminate.rung_count == 2 && s.early_terminate.rungs[0] == 3 && s.early_terminate.rungs[1] == 9);
    CHECK(s.warning_count == 0);
    /* resources and max_retries are not part of the spec: they do not change what a trial computes */
    CHECK_MSG(!strcmp(s.spec_json,
                      "{\"early_terminate\":{\"eta\":3,\"rungs\":[3,9],\"type\":\"asha\"},\"method\":\"bayes\","
                      "\"metric\":{\"goal\":\"maximize\",\"name\":\"val_top1\"},\"name\":\"everything\",\"parameters\":{"
                      "\"batch_size\":{\"distribution\":\"q_log_uniform_values\",\"max\":256,\"min\":16,\"q\":16},"
                      "\"epochs\":{\"value\":27},\"lr\":{\"distribution\":\"log_uniform_values\",\"max\":0.1,\"min\":0.001},"
                      "\"mlp\":{\"parameters\":{\"hidden\":{\"probabilities\":[0.25,0.75],\"values\":[\"256,128\",\"512\"]}},"
                      "\"when\":{\"model\":[\"mlp\"]}},\"model\":{\"values\":[\"lenet\",\"mlp\"]},\"val_split\":{\"value\":0.1}},"
                      "\"run_cap\":30,\"search_seed\":5,\"seeds\":[7,11]}"),
              "spec_json = %s", s.spec_json);
    /* probes: the center configuration (lenet) and one per categorical value, with what makes it apply
     * (model = mlp for hidden), duplicates dropped: lenet, mlp + "256,128", mlp + "512" */
    CHECK_MSG(s.probe_count == 3, "%d probes", s.probe_count);
    int mlp_512 = 0;
    for (int i = 0; i < s.probe_count; i++) {
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(s.probes[i], "model");
        const cJSON *hidden = cJSON_GetObjectItemCaseSensitive(s.probes[i], "hidden");
        CHECK(cJSON_IsString(model));
        if (cJSON_IsString(model) && !strcmp(model->valuestring, "lenet")) CHECK(hidden == NULL);
        if (cJSON_IsString(hidden) && !strcmp(hidden->valuestring, "512")) mlp_512++;
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(s.probes[i], "seed");
        CHECK(cJSON_IsNumber(seed) && seed->valuedouble == 7);
    }
    CHECK(mlp_512 == 1);
    /* the JSON a run gets carries resources' threads; the config does not */
    char *run = sweep_run_json(&s, s.probes[0]);
    CHECK(run && strstr(run, "\"threads\":2"));
    CHECK(!cJSON_GetObjectItemCaseSensitive(s.probes[0], "threads"));
    cJSON_free(run);
    EpochMetrics m = {.epoch = 1, .val_top1 = 71.5, .test_top1 = 70.0};
    CHECK(sweep_epoch_metric(&s, &m) == 71.5);
    CHECK(sweep_better(&s, 72, 71.5) && !sweep_better(&s, 71, 71.5));
    sweep_free(&s);
}

static int contains(const char *text, const char *part) {
    int ok = text && strstr(text, part) != NULL;
    if (!ok) fprintf(stderr, "  missing from the dry run: %s\n", part);
    return ok;
}

/* --dry-run text: a grid's trials; a bayes sweep's space and budget. */
static void test_describe(void) {
    Sweep s;
    if (load_good("conditional_grid.yaml", &s) == 0) {
        char *t = sweep_describe(&s);
        CHECK(contains(t, "sweep conditional: method grid, 12 trials, metric test_top1 (maximize)\n"));
        CHECK(contains(t, "seeds: 0 1 (every configuration runs once per seed)\n"));
        CHECK(contains(t, "dim=128 heads=4 lr=0.1 model=vit seed=1\n"));
        CHECK(contains(t, s.trials[11].key));
        free(t);
        sweep_free(&s);
    }
    if (load_good("everything.yaml", &s) == 0) {
        char *t = sweep_describe(&s);
        CHECK(contains(t, "sweep everything: method bayes (TPE), budget 30 runs (run_cap), metric val_top1 (maximize)\n"));
        CHECK(contains(t, "early_terminate: asha, eta 3, rungs at epochs 3, 9"));
        CHECK(contains(t, "  lr               log_uniform_values   [0.001, 0.1]\n"));
        CHECK(contains(t, "  batch_size       q_log_uniform_values [16, 256] step 16\n"));
        CHECK(contains(t, "  mlp: when model in [mlp]\n"));
        CHECK(contains(t, "    hidden           categorical          [256,128 (p=0.25), 512 (p=0.75)]\n"));
        CHECK(contains(t, "resources: 2 threads per run\n"));
        free(t);
        sweep_free(&s);
    }
}

/* run_cap on a grid keeps the first trials in grid order. */
static void test_grid_run_cap(void) {
    Sweep s;
    char err[ERR_LEN];
    int rc = sweep_load_text(&s, "inline.yaml",
                             "name: capped\nmethod: grid\nrun_cap: 3\nrepeats: 2\nparameters:\n"
                             "  lr: {values: [0.1, 0.2]}\n  epochs: {distribution: int_uniform, min: 1, max: 3}\n",
                             err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    CHECK(s.trial_count == 3);
    char buf[1024];
    if (s.trial_count == 3) {
        CHECK(!strcmp(config_text(&s.trials[0], buf), "{\"epochs\":1,\"lr\":0.1,\"seed\":0}"));
        CHECK(!strcmp(config_text(&s.trials[1], buf), "{\"epochs\":1,\"lr\":0.1,\"seed\":1}"));
        CHECK(!strcmp(config_text(&s.trials[2], buf), "{\"epochs\":2,\"lr\":0.1,\"seed\":0}"));
    }
    sweep_free(&s);
    /* a grid over q_uniform: the multiples of q within [min, max] */
    rc = sweep_load_text(&s, "inline.yaml",
                         "name: q\nmethod: grid\nparameters:\n"
                         "  batch_size: {distribution: q_uniform, min: 20, max: 70, q: 16}\n",
                         err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    CHECK(s.trial_count == 3);
    if (s.trial_count == 3) {
        CHECK(!strcmp(config_text(&s.trials[0], buf), "{\"batch_size\":32}"));
        CHECK(!strcmp(config_text(&s.trials[2], buf), "{\"batch_size\":64}"));
    }
    sweep_free(&s);
}

/* -0.0 and 0.0 are one value: one trial, one key, whether from a values list, a stored config or a
 * search's draw (q_uniform rounds small negative draws to -0.0). */
static void test_negative_zero(void) {
    Sweep s;
    char err[ERR_LEN], buf[1024], key_zero[17] = "", key_minus[17] = "";
    int rc = sweep_load_text(&s, "inline.yaml",
                             "name: z\nmethod: grid\nparameters:\n  weight_decay: {values: [0.0, -0.0, -0]}\n", err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    CHECK_MSG(s.trial_count == 1, "%d trials", s.trial_count);
    CHECK(s.trial_count >= 1 && !strcmp(config_text(&s.trials[0], buf), "{\"weight_decay\":0}"));
    if (s.trial_count >= 1) snprintf(key_zero, sizeof key_zero, "%s", s.trials[0].key);
    sweep_free(&s);
    rc = sweep_load_text(&s, "inline.yaml", "name: z\nmethod: grid\nparameters:\n  weight_decay: {value: -0.0}\n", err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    if (s.trial_count == 1) snprintf(key_minus, sizeof key_minus, "%s", s.trials[0].key);
    CHECK_MSG(s.trial_count == 1 && !strcmp(key_zero, key_minus), "keys %s and %s", key_zero, key_minus);
    sweep_free(&s);
    /* an analytic objective's x1 */
    rc = sweep_load_text(&s, "inline.yaml",
                         "name: o\nmethod: grid\nparameters:\n  model: {value: objective}\n  function: {value: branin}\n"
                         "  x1: {values: [0.0, -0.0]}\n  x2: {value: 1}\n",
                         err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    CHECK_MSG(s.trial_count == 1, "%d trials", s.trial_count);
    CHECK(s.trial_count >= 1 && !strstr(config_text(&s.trials[0], buf), "-0"));
    sweep_free(&s);
    /* a stored config (as a resumed random/bayes sweep restores it) */
    cJSON *minus = cJSON_Parse("{\"lr\":-0.0,\"model\":\"mlp\"}"), *zero = cJSON_Parse("{\"model\":\"mlp\",\"lr\":0}");
    CHECK(minus && zero && sweep_config_hash(minus, key_minus) == 0 && sweep_config_hash(zero, key_zero) == 0 &&
          !strcmp(key_minus, key_zero));
    cJSON_Delete(minus), cJSON_Delete(zero);
    /* a random search over q_uniform [-1, 1] with q 1 has three values: -1, 0 and 1, never -0 */
    rc = sweep_load_text(&s, "inline.yaml",
                         "name: r\nmethod: random\nrun_cap: 5\nparameters:\n  model: {value: objective}\n"
                         "  function: {value: branin}\n  x1: {distribution: q_uniform, min: -1, max: 1, q: 1}\n"
                         "  x2: {value: 1}\n",
                         err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    Search *search = search_create(&s, 7, err);
    SweepTrial t;
    int n = 0, minus_zero = 0;
    while (search && search_next(search, &t, err) == 1) {
        const cJSON *x1 = cJSON_GetObjectItemCaseSensitive(t.config, "x1");
        minus_zero += cJSON_IsNumber(x1) && x1->valuedouble == 0 && signbit(x1->valuedouble);
        n++;
        sweep_trial_clear(&t);
    }
    CHECK_MSG(n == 3 && minus_zero == 0, "%d distinct proposals (3 values), %d of them -0", n, minus_zero);
    search_free(search);
    sweep_free(&s);
}

/* Each bad file and the exact error after its path. */
static const struct {
    const char *file;
    const char *error;
} BAD[] = {
    {"bad_top_key.yaml", ":3:1: metrics: unknown key 'metrics' (expected name, description, method, metric, parameters, "
                         "run_cap, seeds, repeats, search_seed, early_terminate, resources, max_retries or "
                         "keep_checkpoints)"},
    {"bad_param_key.yaml", ":5:3: parameters.learning_rate: unknown parameter 'learning_rate' (not a trainer setting)"},
    {"bad_param_inner_key.yaml", ":6:5: parameters.lr.vlaues: unknown key 'vlaues' (expected value, values, "
                                 "probabilities, distribution, min, max, q, mu or sigma)"},
    {"bad_param_distribution.yaml",
     ":4:22: parameters.lr.distribution: method grid needs a finite set of values (value, values, int_uniform or "
     "q_uniform), not uniform; use method random or bayes"},
    {"bad_type_number.yaml", ":4:15: parameters.lr.value: expected a number, got 'abc'"},
    {"bad_type_integer.yaml", ":4:19: parameters.epochs.value: expected an integer, got '2.5'"},
    {"bad_type_bool.yaml", ":4:29: parameters.nesterov.values[1]: expected true or false, got 'maybe'"},
    {"bad_integer_too_large.yaml",
     ":4:17: parameters.seed.value: 1000000000000000 is too large to store exactly (at most 999999999999999)"},
    {"bad_range.yaml", ":7:9: parameters.momentum.values[1]: 1.5 is out of range [0, 0.999999]"},
    {"bad_empty_values.yaml", ":4:16: parameters.lr.values: expected a non-empty list"},
    {"bad_values_not_list.yaml", ":5:13: parameters.lr.values: expected a non-empty list, got a scalar"},
    {"bad_value_and_values.yaml", ":4:20: parameters.lr.values: expected value or values, not both"},
    {"bad_param_scalar.yaml",
     ":4:7: parameters.lr: expected {value: X}, {values: [...]} or a distribution, got a scalar"},
    {"bad_param_empty.yaml",
     ":4:7: parameters.lr: expected {value: X}, {values: [...]} or a distribution (min/max, mu/sigma)"},
    {"bad_null_value.yaml", ":4:15: parameters.lr.value: expected a value, got null"},
    {"bad_nested_value.yaml", ":4:21: parameters.hidden.values[0]: expected a single value, got a list"},
    {"bad_missing_name.yaml", ":2:1: name: required key is missing"},
    {"bad_missing_parameters.yaml", ":1:1: parameters: required key is missing"},
    {"bad_name_list.yaml", ":1:7: name: expected a string, got a list"},
    {"bad_duplicate_key.yaml", ":6:3: parameters.lr: duplicate key 'lr' (first at line 4, column 3)"},
    {"bad_duplicate_top_key.yaml", ":2:1: name: duplicate key 'name' (first at line 1, column 1)"},
    {"bad_random_no_run_cap.yaml",
     ":2:9: run_cap: method random needs run_cap: N, the number of runs to try (W&B would run forever)"},
    {"bad_method_unknown.yaml", ":2:9: method: unknown method 'hyperband' (expected grid, random or bayes)"},
    {"bad_empty_file.yaml", ":1:1: yaml: the file is empty (expected name, method and parameters)"},
    {"bad_comments_only.yaml", ":1:1: yaml: the file is empty (expected name, method and parameters)"},
    {"bad_not_mapping.yaml", ":1:1: yaml: expected a mapping with name, method and parameters, got a list"},
    {"bad_two_documents.yaml", ":5:1: yaml: expected one YAML document, found a second"},
    {"bad_anchor.yaml", ":4:16: parameters.lr.values: anchors (&rates) are not supported"},
    {"bad_combination.yaml",
     ":3:1: parameters: trial 2 {\"dataset\":\"imagenet\",\"lr\":0.1}: dataset: unknown dataset 'imagenet' "
     "(fashion-mnist, mnist, synthetic, cifar10, cifar100, imagefolder)"},
    {"bad_too_many.yaml", ":3:1: parameters: the grid has more than 100000 trials (the limit)"},
    {"missing.yaml", ":1:1: file: cannot open: No such file or directory"},
    /* metric */
    {"bad_metric_name.yaml", ":3:16: metric.name: unknown metric 'val_acc' (expected train_loss, train_top1, "
                             "val_loss, val_top1, test_loss, test_top1, test_top5, or value for objectives)"},
    {"bad_metric_goal.yaml", ":5:9: metric.goal: expected minimize or maximize, got 'maximise'"},
    {"bad_metric_val.yaml", ":3:16: metric.name: val_loss needs a validation split: set val_split among the parameters"},
    /* distributions */
    {"bad_min_max.yaml", ":5:46: parameters.lr.max: min must be < max (min 0.5, max 0.1)"},
    {"bad_log_min.yaml", ":7:10: parameters.lr.min: log distribution needs min > 0, got 0"},
    {"bad_sigma.yaml", ":5:46: parameters.lr.sigma: sigma must be > 0, got -1"},
    {"bad_distribution_name.yaml",
     ":5:22: parameters.lr.distribution: unknown distribution 'gaussian' (expected constant, categorical, "
     "int_uniform, uniform, q_uniform, log_uniform_values, q_log_uniform_values, log_uniform, normal, log_normal)"},
    {"bad_probabilities_sum.yaml", ":5:48: parameters.model.probabilities: probabilities must sum to 1, got 0.9"},
    {"bad_probabilities_count.yaml",
     ":5:48: parameters.model.probabilities: expected a list of 2 probabilities, one per value"},
    {"bad_int_key_uniform.yaml",
     ":5:30: parameters.batch_size.distribution: 'batch_size' takes integers: use int_uniform, q_uniform or "
     "q_log_uniform_values with an integer q, or values (not uniform)"},
    {"bad_string_key_range.yaml",
     ":5:3: parameters.model: 'model' takes text, so it needs value or values, not int_uniform"},
    {"bad_key_for_distribution.yaml", ":5:51: parameters.lr.q: 'q' does not apply to uniform (it takes min and max)"},
    {"bad_missing_max.yaml", ":5:3: parameters.lr: uniform needs max (it takes min and max)"},
    {"bad_range_max.yaml", ":5:52: parameters.momentum.max: 1.5 is out of range [0, 0.999999]"},
    {"bad_q_empty.yaml", ":5:58: parameters.lr.q: no multiple of q = 0.5 lies in [0.11, 0.19]"},
    {"bad_random_combination.yaml", ":5:32: parameters.model: trial {\"lr\":0.01,\"model\":\"bogus\"}: model: unknown "
                                    "model 'bogus' (see `cohort models`)"},
    /* seeds, early_terminate, resources, max_retries */
    {"bad_seeds_and_repeats.yaml", ":4:1: repeats: give seeds or repeats, not both"},
    {"bad_seed_parameter.yaml", ":6:3: parameters.seed: seed is set by repeats; remove it from parameters"},
    {"bad_repeats.yaml", ":3:10: repeats: 0 is out of range [1, 1000]"},
    {"bad_seeds_twice.yaml", ":3:15: seeds[2]: seed 1 is listed twice"},
    {"bad_early_type.yaml", ":4:25: early_terminate.type: unknown type 'bandit' (expected asha, hyperband or median)"},
    {"bad_early_key.yaml", ":6:3: early_terminate.warmup_epochs: unknown key 'warmup_epochs' for type asha (expected "
                           "min_epochs (min_iter), eta, max_epochs (max_iter) or s)"},
    {"bad_hyperband_max.yaml", ":4:36: early_terminate.max_iter: max_iter needs min_iter (or s, W&B's bracket count)"},
    {"bad_resources.yaml", ":3:13: resources.gpus: unknown key 'gpus' (expected threads)"},
    {"bad_max_retries.yaml", ":3:14: max_retries: -1 is out of range [0, 1000]"},
    {"bad_keep_word.yaml", ":3:19: keep_checkpoints: unknown value 'worst' (expected best, last, all or none)"},
    {"bad_keep_list.yaml", ":3:26: keep_checkpoints[1]: 'all' stands alone, not in a list (a list takes best and last)"},
    {"bad_keep_twice.yaml", ":3:26: keep_checkpoints[1]: 'last' is listed twice"},
    /* conditional blocks */
    {"bad_when_unknown.yaml",
     ":6:12: parameters.adam.when.optimizer: 'optimizer' is not an earlier parameter of an enclosing scope"},
    {"bad_when_value.yaml", ":6:25: parameters.transformer.when.model[1]: 'vitt' is not one of the values of model (line 4)"},
    {"bad_when_distribution.yaml",
     ":7:12: parameters.slow.when.lr: a condition needs a parameter with value or values, and 'lr' is uniform"},
    {"bad_block_name.yaml", ":5:3: parameters.transformer: 'transformer' is not a setting; a conditional block named "
                            "so needs when: {KEY: VALUE}, or an earlier parameter with the value 'transformer'"},
    {"bad_redefined.yaml", ":8:7: parameters.vit.parameters.lr: also defined at line 5, column 3, and both can apply to "
                           "one trial (a key may be defined again only in blocks whose conditions exclude each other)"},
    /* analytic objectives */
    {"bad_objective_function.yaml",
     ":5:21: parameters.function.value: unknown function 'sphere' (branin, hartmann6, rosenbrock)"},
    {"bad_objective_key.yaml",
     ":8:3: parameters.lr: unknown parameter 'lr' (an objective takes function, x1..xN, curve_epochs)"},
    {"bad_objective_domain.yaml", ":3:1: parameters: trial 1 {\"function\":\"branin\",\"model\":\"objective\",\"x1\":11,"
                                  "\"x2\":2}: x1: 11 is outside branin's domain [-5, 10]"},
    {"bad_objective_missing.yaml", ":4:1: parameters: trial {\"function\":\"hartmann6\",\"model\":\"objective\","
                                   "\"x1\":0.5}: x2: required by hartmann6 (x1..x6)"},
    {"bad_objective_metric.yaml", ":3:16: metric.name: an objective sweep's metric is 'value', not 'test_top1'"},
};

static void check_error(const char *name, const char *expected_suffix, int exact) {
    char path[1024], expected[2048], err[ERR_LEN] = "";
    data_file(name, path);
    snprintf(expected, sizeof expected, "%s%s", path, expected_suffix);
    Sweep s;
    memset(&s, 0xA5, sizeof s); /* sweep_load must clear it even on failure */
    int rc = sweep_load(&s, path, err);
    CHECK_MSG(rc != 0, "%s loaded", name);
    if (exact) CHECK_MSG(!strcmp(err, expected), "%s:\n  got      %s\n  expected %s", name, err, expected);
    else
        CHECK_MSG(!strncmp(err, expected, strlen(expected)), "%s:\n  got      %s\n  expected %s...", name, err,
                  expected);
    CHECK(s.trial_count == 0 && s.trials == NULL && s.spec_json == NULL && s.description == NULL);
    sweep_free(&s);
}

static void test_bad_files(void) {
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) check_error(BAD[i].file, BAD[i].error, 1);
    /* the syntax error's wording is libyaml's; pin the location, the key slot and the gist */
    check_error("bad_syntax.yaml", ":4:26: yaml: did not find expected ',' or ']'", 0);
}

/* A trial's identity is read from its config once: trainer settings, objective settings, refusals. */
static void test_trial_identity(void) {
    TrialIdentity id;
    int rc = trial_identity_from_text(
        &id, "{\"dataset\":\"synthetic\",\"epochs\":3,\"lr\":0.05,\"model\":\"lenet\",\"seed\":7,\"threads\":2}");
    CHECK_MSG(rc == 0 && id.error[0] == '\0', "%s", id.error);
    CHECK(id.config && !id.objective && !strcmp(id.model, "lenet") && !strcmp(id.dataset, "synthetic"));
    CHECK(id.seed == 7 && id.epochs == 3 && id.ranks == 1);
    CHECK(id.train.lr == 0.05 && id.train.threads == 2 && id.train.epochs == 3 && id.train.ranks_per_trial == 1);
    trial_identity_free(&id);
    CHECK(id.config == NULL);

    /* ranks_per_trial is read from the config even when the trainer refuses the config */
    rc = trial_identity_from_text(&id, "{\"dataset\":\"synthetic\",\"model\":\"mlp\",\"ranks_per_trial\":2}");
    CHECK_MSG(rc != 0 && strstr(id.error, "micro_batch"), "rc %d: %s", rc, id.error);
    CHECK(id.ranks == 2 && !strcmp(id.model, "mlp"));
    trial_identity_free(&id);

    rc = trial_identity_from_text(&id, "{\"curve_epochs\":4,\"function\":\"branin\",\"model\":\"objective\",\"seed\":3,"
                                       "\"x1\":1,\"x2\":2}");
    CHECK_MSG(rc == 0 && id.error[0] == '\0', "%s", id.error);
    CHECK(id.objective && !strcmp(id.model, "objective") && !strcmp(id.dataset, "branin"));
    CHECK(id.seed == 3 && id.epochs == 4 && id.ranks == 1);
    trial_identity_free(&id);

    /* an objective outside its domain is refused by objective_check */
    rc = trial_identity_from_text(&id, "{\"function\":\"branin\",\"model\":\"objective\",\"x1\":100,\"x2\":2}");
    CHECK_MSG(rc != 0 && strstr(id.error, "x1"), "rc %d: %s", rc, id.error);
    CHECK(id.objective && id.epochs == 1);
    trial_identity_free(&id);

    rc = trial_identity_from_text(&id, "{\"model\":");
    CHECK(rc != 0 && id.config == NULL && !strcmp(id.error, "trial config is not valid JSON"));
    trial_identity_free(&id);

    rc = trial_identity_from_text(&id, "{\"model\":\"lenet\",\"nonsense\":1}");
    CHECK_MSG(rc != 0 && strstr(id.error, "nonsense"), "rc %d: %s", rc, id.error);
    trial_identity_free(&id);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    data_dir = argv[1];
    test_hash();
    test_grid_2x2();
    test_types();
    test_duplicates();
    test_conditional_grid();
    test_wandb_warnings();
    test_everything();
    test_keep_checkpoints();
    test_describe();
    test_grid_run_cap();
    test_negative_zero();
    test_bad_files();
    test_trial_identity();
    return check_report("test_sweeps");
}

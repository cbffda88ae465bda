/* Sweep files: the grid's order and typed values, stable trial keys, and the exact error (file, line,
 * column, key, message) for each file of the bad corpus. Usage: test_sweeps DATA_DIR */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sweeps.h"

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

/* Each bad file and the exact error after its path. */
static const struct {
    const char *file;
    const char *error;
} BAD[] = {
    {"bad_top_key.yaml", ":3:1: metrics: unknown key 'metrics' (expected name, description, method, metric, parameters, "
                         "run_cap, seeds, repeats, search_seed, early_terminate, resources or max_retries)"},
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
     "(fashion-mnist, mnist, synthetic, cifar10, cifar100)"},
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
    test_bad_files();
    return check_report("test_sweeps");
}

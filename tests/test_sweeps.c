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
    {"bad_top_key.yaml", ":3:1: metric: unknown key 'metric' (expected name, description, method or parameters)"},
    {"bad_param_key.yaml", ":5:3: parameters.learning_rate: unknown parameter 'learning_rate' (not a trainer setting)"},
    {"bad_param_inner_key.yaml", ":6:5: parameters.lr.vlaues: unknown key 'vlaues' (expected value or values)"},
    {"bad_param_distribution.yaml",
     ":4:8: parameters.lr.distribution: 'distribution' is not supported yet (expected value or values)"},
    {"bad_type_number.yaml", ":4:15: parameters.lr.value: expected a number, got 'abc'"},
    {"bad_type_integer.yaml", ":4:19: parameters.epochs.value: expected an integer, got '2.5'"},
    {"bad_type_bool.yaml", ":4:29: parameters.nesterov.values[1]: expected true or false, got 'maybe'"},
    {"bad_integer_too_large.yaml",
     ":4:17: parameters.seed.value: 1000000000000000 is too large to store exactly (at most 999999999999999)"},
    {"bad_range.yaml", ":7:9: parameters.momentum.values[1]: 1.5 is out of range [0, 0.999999]"},
    {"bad_empty_values.yaml", ":4:16: parameters.lr.values: expected a non-empty list"},
    {"bad_values_not_list.yaml", ":5:13: parameters.lr.values: expected a non-empty list, got a scalar"},
    {"bad_value_and_values.yaml", ":4:20: parameters.lr.values: expected {value: X} or {values: [...]}, not both"},
    {"bad_param_scalar.yaml", ":4:7: parameters.lr: expected {value: X} or {values: [...]}, got a scalar"},
    {"bad_param_empty.yaml", ":4:7: parameters.lr: expected {value: X} or {values: [...]}"},
    {"bad_null_value.yaml", ":4:15: parameters.lr.value: expected a value, got null"},
    {"bad_nested_value.yaml", ":4:21: parameters.hidden.values[0]: expected a single value, got a list"},
    {"bad_missing_name.yaml", ":2:1: name: required key is missing"},
    {"bad_missing_parameters.yaml", ":1:1: parameters: required key is missing"},
    {"bad_name_list.yaml", ":1:7: name: expected a string, got a list"},
    {"bad_duplicate_key.yaml", ":6:3: parameters.lr: duplicate key 'lr' (first at line 4, column 3)"},
    {"bad_duplicate_top_key.yaml", ":2:1: name: duplicate key 'name' (first at line 1, column 1)"},
    {"bad_method_random.yaml", ":2:9: method: 'random' is not supported yet (only grid)"},
    {"bad_method_unknown.yaml", ":2:9: method: unknown method 'hyperband' (expected grid)"},
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

/* cohort export without PyTorch: the generated torchvision names (runner/export_names.c) against Cohort's models,
 * and the safetensors writer against a reader written here from the format's definition. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "config.h"
#include "export_layout.h"
#include "model.h"
#include "safetensors.h"

/* Builds the table entry's model in torchvision's form on 3x80x80 input (every model's minimum is below that but
 * Inception-v3's with its auxiliary head: 299x299), 10 classes, batch 1. */
static Model *build(const ExportModelNames *e, char err[ERR_LEN]) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    snprintf(cfg.model, sizeof cfg.model, "%s", e->model);
    if (e->aux >= 0) cfg.aux = e->aux;
    if (!strncmp(e->model, "vgg", 3)) snprintf(cfg.stem, sizeof cfg.stem, "imagenet"); /* torchvision's VGG form */
    /* a quarter of the width where the model has the setting: the names and their pairing do not depend on it,
     * and VGG-19's 140 million parameters would take most of the test's time to initialise */
    if (!strncmp(e->model, "vgg", 3) || !strncmp(e->model, "resnet", 6) || !strcmp(e->model, "alexnet")) cfg.width = 0.25;
    Model *m = NULL;
    const int size = !strcmp(e->model, "inception_v3") && e->aux == 1 ? 299 : 80; /* its aux head's minimum */
    if (model_create(&m, e->model, &cfg, 3, size, size, 10, 1, 1, err)) return NULL;
    return m;
}

static int cmp_text(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int64_t numel(const SafeTensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->dims; d++) n *= t->shape[d];
    return n;
}

/* Every entry: the layout pairs, every tensor's PyTorch shape holds exactly its Cohort elements, the names are
 * unique, and known names have torchvision's shapes. */
static void test_every_model(void) {
    for (int i = 0; i < EXPORT_MODEL_NAME_COUNT; i++) {
        const ExportModelNames *e = &EXPORT_MODEL_NAMES[i];
        char err[ERR_LEN] = "";
        Model *m = build(e, err);
        CHECK_MSG(m != NULL, "%s aux %d: %s", e->model, e->aux, err);
        if (!m) continue;
        SafeTensor *t = NULL;
        int n = 0;
        CHECK_MSG(export_layout(m, e, 7, &t, &n, err) == 0, "%s aux %d: %s", e->model, e->aux, err);
        CHECK(n == e->tensor_count + 3 * e->batchnorm_count);
        int64_t params = 0;
        for (int k = 0; t && k < e->tensor_count; k++) {
            CHECK_MSG(numel(&t[k]) == (int64_t)m->tensors[k].count, "%s: %s", e->model, t[k].name);
            params += numel(&t[k]);
        }
        CHECK_MSG(params == (int64_t)m->param_count, "%s: %lld of %zu parameters", e->model, (long long)params,
                  m->param_count);
        const char **sorted = t ? malloc(sizeof *sorted * (size_t)n) : NULL;
        for (int a = 0; sorted && a < n; a++) sorted[a] = t[a].name;
        if (sorted) qsort(sorted, (size_t)n, sizeof *sorted, cmp_text);
        int repeated = 0;
        for (int a = 1; sorted && a < n; a++) repeated += !strcmp(sorted[a - 1], sorted[a]);
        CHECK_MSG(sorted && repeated == 0, "%s: %d names repeated", e->model, repeated);
        free(sorted);
        for (int k = e->tensor_count; t && k < n; k += 3)
            CHECK(t[k].dims == 1 && t[k + 2].dims == 0 && t[k + 2].i64 == 7 && !t[k + 2].f32);
        if (!strcmp(e->model, "resnet18") && t) { /* torchvision's resnet18(num_classes=10) shapes, a quarter wide */
            CHECK(!strcmp(t[0].name, "conv1.weight") && t[0].dims == 4 && t[0].shape[0] == 16 && t[0].shape[1] == 3 &&
                  t[0].shape[2] == 7 && t[0].shape[3] == 7);
            CHECK(!strcmp(t[e->tensor_count - 2].name, "fc.weight") && t[e->tensor_count - 2].shape[0] == 10 &&
                  t[e->tensor_count - 2].shape[1] == 128);
            CHECK(!strcmp(t[e->tensor_count].name, "bn1.running_mean") && t[e->tensor_count].shape[0] == 16);
        }
        if (!strcmp(e->model, "vgg16") && t) /* classifier.0: 128 x 7 x 7 -> 1024 (a quarter of 512 and 4096) */
            CHECK(!strcmp(t[26].name, "classifier.0.weight") && t[26].shape[0] == 1024 && t[26].shape[1] == 6272);
        if (!strcmp(e->model, "densenet121") && t) /* full width: torchvision's features.conv0 and classifier */
            CHECK(!strcmp(t[0].name, "features.conv0.weight") && t[0].shape[0] == 64 &&
                  !strcmp(t[e->tensor_count - 2].name, "classifier.weight") && t[e->tensor_count - 2].shape[1] == 1024);
        free(t);
        model_free(m);
    }
}

/* A model in a form torchvision does not have is refused by the layout (VGG's CIFAR form: one linear layer). */
static void test_refused(void) {
    const ExportModelNames *e = export_names_for("vgg11", -1);
    CHECK(e != NULL);
    CHECK(export_names_for("lenet", -1) == NULL && export_names_for("vit", -1) == NULL);
    CHECK(export_names_for("googlenet", 1) != export_names_for("googlenet", 0));
    TrainConfig cfg;
    train_config_defaults(&cfg);
    snprintf(cfg.model, sizeof cfg.model, "vgg11");
    char err[ERR_LEN] = "";
    Model *m = NULL;
    CHECK_MSG(model_create(&m, "vgg11", &cfg, 3, 32, 32, 10, 1, 1, err) == 0, "%s", err);
    if (!m || !e) return;
    SafeTensor *t = NULL;
    int n = 0;
    CHECK(export_layout(m, e, 0, &t, &n, err) != 0 && t == NULL);
    CHECK_MSG(strstr(err, "not torchvision's layout") != NULL, "%s", err);
    model_free(m);
}

/* The writer against the format: header length, JSON entries, offsets back to back, bytes little-endian. */
static void test_safetensors_format(void) {
    const float w[6] = {1.5f, -2.0f, 0.25f, 3.0f, -0.125f, 1e-3f}, b[2] = {7.0f, -7.0f};
    SafeTensor t[3] = {{.name = "fc.weight", .dims = 2, .shape = {2, 3}, .f32 = w},
                       {.name = "fc.bias", .dims = 1, .shape = {2}, .f32 = b},
                       {.name = "bn.num_batches_tracked", .dims = 0, .i64 = 123456789012LL}};
    const char *meta[] = {"format", "pt", "cohort_model", "m"};
    char path[] = "/tmp/cohort_test_export_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    char err[ERR_LEN] = "";
    CHECK_MSG(safetensors_write(path, t, 3, meta, 2, err) == 0, "%s", err);
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    CHECK(f && fread(len8, 1, 8, f) == 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    CHECK(n % 8 == 0 && n < 4096);
    char *json = calloc(n + 1, 1);
    CHECK(f && json && fread(json, 1, n, f) == n);
    unsigned char data[64];
    size_t got = f ? fread(data, 1, sizeof data, f) : 0;
    CHECK(got == 6 * 4 + 2 * 4 + 8); /* the data ends the file */
    if (f) fclose(f);
    unlink(path);
    cJSON *h = cJSON_Parse(json);
    CHECK(h != NULL);
    static const struct {
        const char *name, *dtype, *shape;
        int begin, end;
    } WANT[] = {{"fc.weight", "F32", "[2,3]", 0, 24}, {"fc.bias", "F32", "[2]", 24, 32},
                {"bn.num_batches_tracked", "I64", "[]", 32, 40}};
    for (int i = 0; h && i < 3; i++) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(h, WANT[i].name);
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
        char *shape = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "shape"));
        const cJSON *range = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
        CHECK_MSG(cJSON_IsString(dtype) && !strcmp(dtype->valuestring, WANT[i].dtype), "%s", WANT[i].name);
        CHECK_MSG(shape && !strcmp(shape, WANT[i].shape), "%s: %s", WANT[i].name, shape ? shape : "(none)");
        CHECK(cJSON_GetArraySize(range) == 2 && cJSON_GetArrayItem(range, 0)->valuedouble == WANT[i].begin &&
              cJSON_GetArrayItem(range, 1)->valuedouble == WANT[i].end);
        cJSON_free(shape);
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "__metadata__");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "cohort_model")) &&
          !strcmp(cJSON_GetObjectItemCaseSensitive(m, "cohort_model")->valuestring, "m"));
    /* values, little-endian */
    for (int i = 0; i < 6 && got >= 24; i++) {
        uint32_t u = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 | (uint32_t)data[4 * i + 2] << 16 |
                     (uint32_t)data[4 * i + 3] << 24;
        float v;
        memcpy(&v, &u, 4);
        CHECK(v == w[i]);
    }
    int64_t steps = 0;
    for (int i = 7; i >= 0 && got >= 40; i--) steps = steps << 8 | data[32 + i];
    CHECK(steps == 123456789012LL);
    cJSON_Delete(h);
    free(json);
    /* an unwritable path: an error naming it, nothing left behind */
    CHECK(safetensors_write("/nonexistent-dir/m.safetensors", t, 3, meta, 2, err) != 0);
    CHECK_MSG(strstr(err, "/nonexistent-dir/m.safetensors") != NULL, "%s", err);
}

int main(void) {
    test_safetensors_format();
    test_refused();
    test_every_model();
    return check_report("test_export");
}

/* The small models: an MLP and LeNet-5, and the model registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"

/* mlp: flatten -> [linear -> relu] per hidden width -> linear to classes. */
static int build_mlp(ModelBuilder *mb, const TrainConfig *cfg, int classes) {
    int x = builder_flatten(mb, builder_input(mb));
    const char *p = cfg->hidden;
    while (*p) {
        char *end;
        long width = strtol(p, &end, 10);
        x = builder_relu(mb, builder_linear(mb, x, (int)width, true));
        p = *end ? end + 1 : end;
    }
    return builder_linear(mb, x, classes, true);
}

/* LeNet-5 with ReLU and max pooling: conv5x5->6, pool, conv5x5->16, pool, fc 120, fc 84, fc classes.
 * 1x32x32 input, 10 classes: 61,706 parameters. */
static int build_lenet(ModelBuilder *mb, const TrainConfig *cfg, int classes) {
    (void)cfg;
    int x = builder_input(mb);
    x = builder_maxpool(mb, builder_relu(mb, builder_conv(mb, x, 6, 5, 1, 0, true)), 2, 2, 0);
    x = builder_maxpool(mb, builder_relu(mb, builder_conv(mb, x, 16, 5, 1, 0, true)), 2, 2, 0);
    x = builder_flatten(mb, x);
    x = builder_relu(mb, builder_linear(mb, x, 120, true));
    x = builder_relu(mb, builder_linear(mb, x, 84, true));
    return builder_linear(mb, x, classes, true);
}

typedef int (*BuildFn)(ModelBuilder *mb, const TrainConfig *cfg, int classes);

typedef struct {
    const char *name;
    BuildFn build;
    const char *help;
} ModelEntry;

static const ModelEntry MODELS[] = {
    {"mlp", build_mlp, "multi-layer perceptron, ReLU; widths from `hidden`"},
    {"lenet", build_lenet, "LeNet-5 (ReLU, max pool): conv5-6, conv5-16, fc120, fc84"},
};
#define MODEL_COUNT ((int)(sizeof MODELS / sizeof MODELS[0]))

int model_registry_count(void) { return MODEL_COUNT; }
const char *model_registry_name(int index) { return MODELS[index].name; }
const char *model_registry_help(int index) { return MODELS[index].help; }

static const ModelEntry *find_model(const char *name) {
    for (int i = 0; i < MODEL_COUNT; i++)
        if (!strcmp(MODELS[i].name, name)) return &MODELS[i];
    return NULL;
}

bool model_is_known(const char *name) { return find_model(name) != NULL; }

int model_create(Model **out, const char *name, const TrainConfig *cfg, int C, int H, int W, int classes,
                 int max_batch, uint64_t seed, char err[ERR_LEN]) {
    *out = NULL;
    const ModelEntry *entry = find_model(name);
    if (!entry) return err_set(err, "model: unknown model '%s' (see `cohort models`)", name);
    Model *m = calloc(1, sizeof *m);
    if (!m) return err_set(err, "out of memory");
    snprintf(m->name, sizeof m->name, "%s", name);
    ModelBuilder mb;
    builder_start(&mb, m, C, H, W);
    int output = entry->build(&mb, cfg, classes);
    if (builder_finish(&mb, output, max_batch, seed, err)) {
        model_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

/* Building a model: architectures (models_*.c) describe their layers through these calls, which return
 * tensor slot indices; model_builder_finish() then sizes and allocates the arenas once and initialises
 * the parameters. Internal to the trainer. */
#ifndef COHORT_MODEL_BUILDER_H
#define COHORT_MODEL_BUILDER_H

#include "model.h"

typedef struct {
    Model *model;
    int layer_capacity, slot_capacity, tensor_capacity;
    char err[ERR_LEN];
    bool failed;
} ModelBuilder;

void builder_start(ModelBuilder *mb, Model *model, int C, int H, int W);
int builder_input(const ModelBuilder *mb);
/* Convolution KxK; bias only when not followed by batch norm. Kaiming-normal (fan_out) weights. */
int builder_conv(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad, bool bias);
int builder_batchnorm(ModelBuilder *mb, int x);
int builder_relu(ModelBuilder *mb, int x);
int builder_maxpool(ModelBuilder *mb, int x, int kernel, int stride, int pad);
int builder_avgpool(ModelBuilder *mb, int x, int kernel, int stride, int pad);
int builder_global_avgpool(ModelBuilder *mb, int x);
int builder_flatten(ModelBuilder *mb, int x);
/* PyTorch's default nn.Linear initialisation: weight and bias uniform in +-1/sqrt(fan_in). */
int builder_linear(ModelBuilder *mb, int x, int out_features, bool bias);
int builder_add(ModelBuilder *mb, int a, int b);
int builder_dropout(ModelBuilder *mb, int x, double p);
int builder_shortcut_pad(ModelBuilder *mb, int x, int out_channels, int stride);
/* Convenience: conv (no bias) -> batch norm -> relu. */
int builder_conv_bn_relu(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad);

/* Architectures (models_*.c), registered in model_registry.c. Each returns the output slot ([B][classes]);
 * `name` is the requested model name (families like resnetN read their depth from it). */
int build_mlp(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_lenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);

/* Allocates the arenas for max_batch and initialises parameters from seed. Non-zero on failure. */
int builder_finish(ModelBuilder *mb, int output, int max_batch, uint64_t seed, char err[ERR_LEN]);

#endif

/* The small models: an MLP and LeNet-5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"

/* mlp: flatten -> [linear -> relu] per hidden width -> linear to classes. */
int build_mlp(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
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
 * 1x32x32 input, 10 classes: 61,706 parameters.
 * With bn (auto: none) d2l.ai's "BatchNorm LeNet" with this ReLU and max pooling: a batch norm after every
 * convolution (BatchNorm2d) and after fc 120 and fc 84 (BatchNorm1d), before the ReLU. The convolutions and
 * linears before them keep their bias, as d2l's (PyTorch's default nn.Conv2d/nn.Linear), so the count is
 * PyTorch's: 61,706 + 2 x (6 + 16 + 120 + 84) = 62,158. */
int build_lenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const bool bn = cfg->bn == 1;
    if (bn) snprintf(mb->form, sizeof mb->form, "batch norm");
    int x = builder_input(mb);
    for (int stage = 0; stage < 2; stage++) {
        x = builder_conv(mb, x, stage == 0 ? 6 : 16, 5, 1, 0, true);
        if (bn) x = builder_batchnorm(mb, x);
        x = builder_maxpool(mb, builder_relu(mb, x), 2, 2, 0);
    }
    x = builder_flatten(mb, x);
    for (int layer = 0; layer < 2; layer++) {
        x = builder_linear(mb, x, layer == 0 ? 120 : 84, true);
        if (bn) x = builder_batchnorm(mb, x);
        x = builder_relu(mb, x);
    }
    return builder_linear(mb, x, classes, true);
}

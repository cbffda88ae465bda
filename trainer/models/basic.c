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
 * 1x32x32 input, 10 classes: 61,706 parameters. */
int build_lenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name, (void)cfg;
    int x = builder_input(mb);
    x = builder_maxpool(mb, builder_relu(mb, builder_conv(mb, x, 6, 5, 1, 0, true)), 2, 2, 0);
    x = builder_maxpool(mb, builder_relu(mb, builder_conv(mb, x, 16, 5, 1, 0, true)), 2, 2, 0);
    x = builder_flatten(mb, x);
    x = builder_relu(mb, builder_linear(mb, x, 120, true));
    x = builder_relu(mb, builder_linear(mb, x, 84, true));
    return builder_linear(mb, x, classes, true);
}


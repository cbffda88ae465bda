/* Xception (Chollet 2017, Figure 5), as the widely used PyTorch port of the Keras model defines it: entry flow
 * 3x3/2 conv 32 and 3x3 conv 64 (no padding, each + BN + ReLU), then residual blocks of separable convolutions
 * (3x3 depthwise, then 1x1 pointwise, no biases), each + BN, ReLU before each but a block's first in the entry
 * flow's first block; blocks that change width or stride have a 1x1 strided conv + BN shortcut and end in a
 * 3x3/2 max pool (padding 1):
 *   entry   64 -> 128 (2 separable convs), 128 -> 256 (2), 256 -> 728 (2), each at stride 2
 *   middle  8 blocks of 3 separable convs at 728
 *   exit    728 -> 728 -> 1024 (2, widening on the second) at stride 2, separable 1536 + BN + ReLU,
 *           separable 2048 + BN + ReLU, global average pool, linear.
 * 22,855,952 parameters at 3x299x299 / 1000 classes (the Keras model's trainable count; tests/test_models.c).
 * CIFAR form (`stem`; auto: under 64 pixels): the two stem convolutions at stride 1 with padding 1, so that
 * 32x32 inputs enter the blocks whole and leave the exit flow at 2x2. */
#include <stdio.h>

#include "model_builder.h"

/* depthwise 3x3 (padding 1) then pointwise 1x1, no biases, then BN */
static int separable_bn(ModelBuilder *mb, int x, int out) {
    const int C = mb->model->slots[x].C;
    x = builder_grouped_conv(mb, x, C, 3, 1, 1, C, false);
    return builder_batchnorm(mb, builder_conv(mb, x, out, 1, 1, 0, false));
}

/* `reps` separable convs from `in` to `out` channels (widening on the first, or with grow_last on the last),
 * ReLU before each (not before the first when relu_first is false), max pool when strided; shortcut 1x1 + BN
 * where width or stride change. */
static int block(ModelBuilder *mb, int x, int out, int reps, int stride, bool relu_first, bool grow_last) {
    const int in = mb->model->slots[x].C;
    const int shortcut = out != in || stride != 1
                             ? builder_batchnorm(mb, builder_conv(mb, x, out, 1, stride, 0, false))
                             : x;
    int y = x;
    for (int i = 0; i < reps; i++) {
        if (i > 0 || relu_first) y = builder_relu(mb, y);
        const bool widen = grow_last ? i == reps - 1 : i == 0;
        y = separable_bn(mb, y, widen ? out : mb->model->slots[y].C);
    }
    if (stride != 1) y = builder_maxpool(mb, y, 3, stride, 1);
    return builder_add(mb, y, shortcut);
}

int build_xception(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const bool cifar = builder_cifar_form(mb, cfg);
    snprintf(mb->form, sizeof mb->form, "%s", cifar ? "CIFAR stem" : "ImageNet stem");
    int x = builder_conv_bn_relu(mb, builder_input(mb), 32, 3, cifar ? 1 : 2, cifar ? 1 : 0);
    x = builder_conv_bn_relu(mb, x, 64, 3, 1, cifar ? 1 : 0);
    x = block(mb, x, 128, 2, 2, false, false);
    x = block(mb, x, 256, 2, 2, true, false);
    x = block(mb, x, 728, 2, 2, true, false);
    for (int i = 0; i < 8; i++) x = block(mb, x, 728, 3, 1, true, false);
    x = block(mb, x, 1024, 2, 2, true, true);
    x = builder_relu(mb, separable_bn(mb, x, 1536));
    x = builder_relu(mb, separable_bn(mb, x, 2048));
    x = builder_global_avgpool(mb, x);
    const double p = model_dropout(cfg, 0);
    if (p > 0) x = builder_dropout(mb, x, p);
    return builder_linear(mb, x, classes, true);
}

/* CIFAR ResNeXt-29 (Xie et al. 2017, section 5.3 and the authors' Torch code, models/resnext.lua, CIFAR branch):
 * 3x3 conv 64 + BN + ReLU, three stages of 3 bottlenecks at planes 64, 128, 256 (strides 1, 2, 2; outputs 4x
 * planes: 256, 512, 1024), each a 1x1 conv to D*C, a 3x3 conv of C groups (the cardinality) of D channels,
 * D = floor(planes * d / 64), and a 1x1 conv to 4x planes, with projection shortcuts (1x1 conv + BN) where the
 * shape changes; global average pool; linear. The bottleneck is torchvision's ResNeXt one (resnet.c).
 *
 * Names: resnext29_<C>x<d>d for any cardinality C and group width d (resnext29_8x64d, resnext29_16x64d of the
 * paper's Table 7; smaller ones such as resnext29_2x64d), and resnext29 for 8x64d. Counts for 3x32x32, 10
 * classes (tests/test_models.c): resnext29_8x64d 34,426,698 (the paper's 34.4M), resnext29_16x64d 68,155,210
 * (68.1M). */
#include <stdio.h>
#include <string.h>

#include "model_builder.h"

/* the cardinality and group width of a name resnext29 or resnext29_<C>x<d>d; false if it is neither */
static bool resnext29_dims(const char *name, int *cardinality, int *width) {
    if (!strcmp(name, "resnext29")) {
        *cardinality = 8, *width = 64;
        return true;
    }
    int c = 0, d = 0, end = 0;
    if (sscanf(name, "resnext29_%3dx%3dd%n", &c, &d, &end) != 2 || name[end] != '\0' || c < 1 || d < 1) return false;
    char canonical[40];
    snprintf(canonical, sizeof canonical, "resnext29_%dx%dd", c, d);
    if (strcmp(canonical, name)) return false; /* no signs, spaces or leading zeros */
    *cardinality = c, *width = d;
    return true;
}

bool resnext29_accepts(const char *name) {
    int c, d;
    return resnext29_dims(name, &c, &d);
}

int build_resnext29(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    int cardinality = 8, width = 64;
    resnext29_dims(name, &cardinality, &width);
    snprintf(mb->form, sizeof mb->form, "%dx%dd", cardinality, width);
    int x = builder_conv_bn_relu(mb, builder_input(mb), 64, 3, 1, 1);
    for (int stage = 0; stage < 3; stage++)
        for (int i = 0; i < 3; i++)
            x = resnet_bottleneck(mb, x, 64 << stage, stage > 0 && i == 0 ? 2 : 1, cardinality, width, cfg->se == 1);
    x = builder_global_avgpool(mb, x);
    return builder_linear(mb, x, classes, true);
}

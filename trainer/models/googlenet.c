/* GoogLeNet (Inception v1, Szegedy et al. 2015) as torchvision 0.14 defines it. Every convolution is a
 * "basic conv": conv without bias -> batch norm (eps 0.001) -> ReLU. Max pools 3x3 stride 2 use ceil_mode.
 *
 *   conv 7x7/2 pad 3, 64 -> pool -> conv 1x1, 64 -> conv 3x3 pad 1, 192 -> pool
 *   inception 3a, 3b -> pool -> 4a, 4b, 4c, 4d, 4e -> max pool 2x2/2 (ceil) -> 5a, 5b
 *   global average pool -> dropout (auto 0.2) -> fc 1024-classes
 *
 * An inception block concatenates four branches: 1x1; 1x1 -> 3x3; 1x1 -> 3x3 (torchvision's, where the paper
 * has 5x5: the same count as torchvision); 3x3 stride-1 max pool -> 1x1. The table gives each branch's
 * channels as in the paper's Table 1 (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
 *
 * With `aux: true`, two auxiliary classifiers read blocks 4a and 4d (adaptive average pool to 4x4 -> basic conv
 * 1x1, 128 -> fc 2048-1024 -> ReLU -> dropout 0.7 -> fc 1024-classes); training adds their losses times 0.3 each
 * (the paper's weight), evaluation ignores them.
 *
 * Initialised as torchvision's: conv and fc weights normal(0, 0.01) (its truncation at +-2 lies 200 standard
 * deviations out), fc biases PyTorch's default. 6,624,904 parameters at 3x224x224 / 1000 classes, 13,004,888
 * with the auxiliary classifiers. */
#include <stdio.h>

#include "model_builder.h"

#define BN_EPS_INCEPTION 1e-3

typedef struct {
    int in_channels; /* only to read the table against the paper; the builder knows the input's channels */
    int ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj;
} InceptionBlock;

static const InceptionBlock BLOCK_3A = {192, 64, 96, 128, 16, 32, 32}, BLOCK_3B = {256, 128, 128, 192, 32, 96, 64},
                            BLOCK_4A = {480, 192, 96, 208, 16, 48, 64}, BLOCK_4B = {512, 160, 112, 224, 24, 64, 64},
                            BLOCK_4C = {512, 128, 128, 256, 24, 64, 64}, BLOCK_4D = {512, 112, 144, 288, 32, 64, 64},
                            BLOCK_4E = {528, 256, 160, 320, 32, 128, 128},
                            BLOCK_5A = {832, 256, 160, 320, 32, 128, 128},
                            BLOCK_5B = {832, 384, 192, 384, 48, 128, 128};

static int basic_conv(ModelBuilder *mb, int x, int channels, int kernel, int stride, int pad) {
    const int y = builder_conv(mb, x, channels, kernel, stride, pad, false);
    builder_set_init(mb, y, INIT_NORMAL, 0.01);
    return builder_relu(mb, builder_batchnorm_eps(mb, y, BN_EPS_INCEPTION));
}

static int linear(ModelBuilder *mb, int x, int outputs) {
    const int y = builder_linear(mb, x, outputs, true);
    builder_set_init(mb, y, INIT_NORMAL_TORCH_BIAS, 0.01);
    return y;
}

/* an auxiliary classifier's logits */
static int aux_head(ModelBuilder *mb, int x, int classes) {
    x = builder_flatten(mb, basic_conv(mb, builder_adaptive_avgpool(mb, x, 4, 4), 128, 1, 1, 0));
    x = builder_dropout(mb, builder_relu(mb, linear(mb, x, 1024)), 0.7);
    return linear(mb, x, classes);
}

static int inception(ModelBuilder *mb, int x, const InceptionBlock *b) {
    const int branches[4] = {
        basic_conv(mb, x, b->ch1x1, 1, 1, 0),
        basic_conv(mb, basic_conv(mb, x, b->ch3x3_reduce, 1, 1, 0), b->ch3x3, 3, 1, 1),
        basic_conv(mb, basic_conv(mb, x, b->ch5x5_reduce, 1, 1, 0), b->ch5x5, 3, 1, 1),
        basic_conv(mb, builder_maxpool(mb, x, 3, 1, 1), b->pool_proj, 1, 1, 0),
    };
    return builder_concat(mb, branches, 4);
}

int build_googlenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const bool aux = cfg->aux > 0;
    snprintf(mb->form, sizeof mb->form, "%s", aux ? "aux heads" : "");
    int x = builder_input(mb);
    x = builder_maxpool_ceil(mb, basic_conv(mb, x, 64, 7, 2, 3), 3, 2, 0);
    x = basic_conv(mb, basic_conv(mb, x, 64, 1, 1, 0), 192, 3, 1, 1);
    x = builder_maxpool_ceil(mb, x, 3, 2, 0);
    x = inception(mb, inception(mb, x, &BLOCK_3A), &BLOCK_3B);
    x = builder_maxpool_ceil(mb, x, 3, 2, 0);
    x = inception(mb, x, &BLOCK_4A);
    if (aux) builder_aux_output(mb, aux_head(mb, x, classes), 0.3);
    x = inception(mb, inception(mb, inception(mb, x, &BLOCK_4B), &BLOCK_4C), &BLOCK_4D);
    if (aux) builder_aux_output(mb, aux_head(mb, x, classes), 0.3);
    x = inception(mb, x, &BLOCK_4E);
    x = builder_maxpool_ceil(mb, x, 2, 2, 0);
    x = inception(mb, inception(mb, x, &BLOCK_5A), &BLOCK_5B);
    x = builder_global_avgpool(mb, x);
    const double p = model_dropout(cfg, 0.2);
    if (p > 0) x = builder_dropout(mb, x, p);
    return linear(mb, x, classes);
}

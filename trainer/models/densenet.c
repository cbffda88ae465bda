/* DenseNet (Huang et al. 2017, "Densely Connected Convolutional Networks"). Inside a dense block every layer
 * reads the concatenation of the block's input and all earlier layers' outputs, and adds `growth` channels:
 *     layer: BN -> ReLU -> 1x1 conv to bn_size*growth -> BN -> ReLU -> 3x3 conv to growth   (the "B" bottleneck)
 * Between blocks a transition halves the channels and the resolution ("C", compression 0.5):
 *     BN -> ReLU -> 1x1 conv to channels/2 -> 2x2 average pool, stride 2
 * and the head is BN -> ReLU -> global average pool -> linear.
 *
 * densenet121/169/201 are torchvision's (0.14): a 7x7 stride-2 stem to 64 channels, BN, ReLU, a 3x3 stride-2
 * max pool, blocks of (6, 12, 24, 16), (6, 12, 32, 32), (6, 12, 48, 32) layers, growth 32, bn_size 4; no
 * convolution biases. Parameters at 3x224x224 and 1000 classes (tests/test_models.c): 7,978,856,
 * 14,149,480, 20,013,928, as torchvision's.
 * densenet_bc is the paper's CIFAR DenseNet-BC with depth 100 and growth 12: a 3x3 stem to 2*growth channels
 * (no BN after it), three blocks of (100 - 4) / 6 = 16 bottleneck layers, compression 0.5; 769,162 parameters
 * for 10 classes, 800,032 for 100 (the paper's "0.8M").
 *
 * Each layer's input is a concatenation layer (copying the features). Initialisation as torchvision's:
 * convolutions Kaiming normal with fan_in, the linear head PyTorch's default weight with a zero bias. */
#include <stdio.h>
#include <string.h>

#include "model_builder.h"

#define MAX_BLOCKS 4
#define BN_SIZE 4

typedef struct {
    const char *name;
    int blocks[MAX_BLOCKS]; /* layers per dense block; 0 ends the list */
    int growth, stem_channels;
    bool imagenet_stem;     /* 7x7 stride-2 stem + BN + ReLU + 3x3 max pool, else a 3x3 stem conv alone */
} DenseNetConfig;

static const DenseNetConfig DENSENETS[] = {
    {"densenet121", {6, 12, 24, 16}, 32, 64, true},
    {"densenet169", {6, 12, 32, 32}, 32, 64, true},
    {"densenet201", {6, 12, 48, 32}, 32, 64, true},
    {"densenet_bc", {16, 16, 16, 0}, 12, 24, false},
};

/* BN -> ReLU -> 1x1 conv to BN_SIZE * growth -> BN -> ReLU -> 3x3 conv to growth */
static int conv(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad) {
    const int y = builder_conv(mb, x, out_channels, kernel, stride, pad, false);
    builder_set_init(mb, y, INIT_KAIMING_FAN_IN, 0);
    return y;
}

static int dense_layer(ModelBuilder *mb, int x, int growth) {
    x = conv(mb, builder_relu(mb, builder_batchnorm(mb, x)), BN_SIZE * growth, 1, 1, 0);
    return conv(mb, builder_relu(mb, builder_batchnorm(mb, x)), growth, 3, 1, 1);
}

/* the block's output: its input and every layer's output, concatenated */
static int dense_block(ModelBuilder *mb, int x, int layers, int growth) {
    int features[LAYER_MAX_INPUTS];
    if (layers + 1 > LAYER_MAX_INPUTS) return builder_fail(mb, "dense block too deep");
    int count = 0;
    features[count++] = x;
    for (int i = 0; i < layers; i++) {
        const int input = count == 1 ? x : builder_concat(mb, features, count);
        features[count++] = dense_layer(mb, input, growth);
    }
    return builder_concat(mb, features, count);
}

static int transition(ModelBuilder *mb, int x) {
    const int channels = mb->model->slots[x].C / 2;
    x = conv(mb, builder_relu(mb, builder_batchnorm(mb, x)), channels, 1, 1, 0);
    return builder_avgpool(mb, x, 2, 2, 0);
}

/* densenet_bc: `depth` (auto 100) = 6n + 4 gives three blocks of n bottleneck layers; `growth` (auto 12) is k,
 * and the stem has 2k channels. */
int build_densenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    DenseNetConfig d = DENSENETS[0];
    for (size_t i = 0; i < sizeof DENSENETS / sizeof DENSENETS[0]; i++)
        if (!strcmp(name, DENSENETS[i].name)) d = DENSENETS[i];
    if (!d.imagenet_stem) {
        const int depth = model_depth(cfg, 100);
        d.growth = cfg->growth > 0 ? cfg->growth : 12;
        d.stem_channels = 2 * d.growth;
        if (depth < 10 || (depth - 4) % 6 != 0)
            return builder_fail(mb, "densenet_bc: depth must be 6n+4 with n >= 1 (40, 100, 190, 250, ...)");
        for (int b = 0; b < 3; b++) d.blocks[b] = (depth - 4) / 6;
        snprintf(mb->form, sizeof mb->form, "depth %d, k %d", depth, d.growth);
    }
    int x = builder_input(mb);
    if (d.imagenet_stem) {
        x = builder_relu(mb, builder_batchnorm(mb, conv(mb, x, d.stem_channels, 7, 2, 3)));
        x = builder_maxpool(mb, x, 3, 2, 1);
    } else {
        x = conv(mb, x, d.stem_channels, 3, 1, 1);
    }
    for (int b = 0; b < MAX_BLOCKS && d.blocks[b]; b++) {
        if (b > 0) x = transition(mb, x);
        x = dense_block(mb, x, d.blocks[b], d.growth);
    }
    x = builder_global_avgpool(mb, builder_relu(mb, builder_batchnorm(mb, x)));
    x = builder_linear(mb, x, classes, true);
    builder_set_init(mb, x, INIT_TORCH_ZERO_BIAS, 0);
    return x;
}

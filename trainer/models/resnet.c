/* ResNets and ResNeXts: the CIFAR family of He et al. 2016 (depth 6n+2: resnet20, resnet32, ..., resnet110, resnet1202,
 * any other resnetN with N = 6n+2 that is not a torchvision name, and resnet_cifar with `depth`), and
 * torchvision's ResNet-18/34/50/101/152 and ResNeXt-50 32x4d / ResNeXt-101 32x8d in two forms: the ImageNet form (7x7 stride-2 stem, 3x3 stride-2 max
 * pool), exactly torchvision 0.14's, and the CIFAR form (3x3 stride-1 stem, no max pool), chosen by `stem`
 * (auto: CIFAR form for inputs under 64 pixels).
 *
 * Parameter order is layer order, with each block's main path first and its projection shortcut after it
 * (as the modules are registered in the common PyTorch CIFAR implementations: conv1, bn1, conv2, bn2,
 * [conv3, bn3,] shortcut), so parameters() of those implementations lines up with ours tensor for tensor.
 *
 * Counts for a 3x32x32 input, 10 / 100 classes (tests/test_models.c asserts them):
 *   resnet20  option B 272,474 / 278,324   option A 269,722 / 275,572
 *   resnet56  option B 855,770 / 861,620   resnet110 option B 1,730,714 / 1,736,564
 *   resnet18  11,173,962 / 11,220,132      resnet50  23,520,842 / 23,705,252
 * Option B adds exactly the two projections of the CIFAR ResNets (1x1 conv 16->32 + BN = 576 and
 * 1x1 conv 32->64 + BN = 2,176, i.e. 2,752 parameters) to the option-A counts of the paper. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"

/* conv (no bias) -> batch norm */
static int conv_bn(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad) {
    return builder_batchnorm(mb, builder_conv(mb, x, out_channels, kernel, stride, pad, false));
}

static int slot_channels(const ModelBuilder *mb, int x) { return mb->model->slots[x].C; }

/* ---- CIFAR ResNets (depth 6n+2) ---- */

/* The n of a CIFAR ResNet name "resnet<6n+2>", or 0 when the name is not one (no sign, no leading zeros). */
static int cifar_resnet_blocks(const char *name) {
    if (strncmp(name, "resnet", 6) != 0) return 0;
    const char *digits = name + 6;
    if (digits[0] < '1' || digits[0] > '9') return 0;
    long depth = 0;
    for (const char *p = digits; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        depth = depth * 10 + (*p - '0');
        if (depth > 6 * 1000 + 2) return 0; /* resnet1202 is the deepest in the paper; allow some room */
    }
    if (depth < 8 || (depth - 2) % 6 != 0) return 0;
    return (int)((depth - 2) / 6);
}

bool cifar_resnet_accepts(const char *name) { return cifar_resnet_blocks(name) > 0; }

/* SE-ResNet's squeeze-and-excitation (Hu et al. 2018): on the residual branch before the addition, reduction 16
 * (at least one feature), sigmoid gate; PyTorch's default linear initialisation. */
static int squeeze_excite(ModelBuilder *mb, int x) {
    const int C = slot_channels(mb, x);
    return builder_squeeze_excite(mb, x, C / 16 > 0 ? C / 16 : 1, false, INIT_TORCH_DEFAULT);
}

/* Basic block: conv3x3-BN-ReLU-conv3x3-BN (SE with `se`), plus the shortcut, then ReLU. The shortcut is the identity when
 * the shape is unchanged; otherwise option B (1x1 conv with the stride + BN) or option A (parameter-free:
 * every stride-th pixel, zero channels added). */
static int basic_block(ModelBuilder *mb, int x, int planes, int stride, bool option_a, bool se) {
    int y = builder_relu(mb, conv_bn(mb, x, planes, 3, stride, 1));
    y = conv_bn(mb, y, planes, 3, 1, 1);
    if (se) y = squeeze_excite(mb, y);
    int shortcut = x;
    if (stride != 1 || slot_channels(mb, x) != planes)
        shortcut = option_a ? builder_shortcut_pad(mb, x, planes, stride) : conv_bn(mb, x, planes, 1, stride, 0);
    return builder_relu(mb, builder_add(mb, y, shortcut));
}

/* He et al. 2016, section 4.2: 3x3 conv 16 + BN + ReLU, three stages of n basic blocks at 16, 32, 64
 * channels (the first block of stages 2 and 3 with stride 2), global average pool, linear head.
 * resnet_cifar takes its depth from `depth` (auto: 20). */
int build_resnet_cifar(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    int n = cifar_resnet_blocks(name);
    if (!strcmp(name, "resnet_cifar")) {
        const int depth = model_depth(cfg, 20);
        char depth_name[32];
        snprintf(depth_name, sizeof depth_name, "resnet%d", depth);
        n = cifar_resnet_blocks(depth_name);
        if (n <= 0) return builder_fail(mb, "depth must be 6n+2 (8, 14, 20, 32, 44, 56, 110, ...)");
        snprintf(mb->form, sizeof mb->form, "depth %d", depth);
    }
    if (n <= 0) n = 3; /* only reached through a listed name; keep a sane default */
    bool option_a = cfg->shortcut[0] == 'A';
    int x = builder_relu(mb, conv_bn(mb, builder_input(mb), 16, 3, 1, 1));
    for (int stage = 0; stage < 3; stage++)
        for (int i = 0; i < n; i++) x = basic_block(mb, x, 16 << stage, stage > 0 && i == 0 ? 2 : 1, option_a, cfg->se == 1);
    x = builder_global_avgpool(mb, x);
    return builder_linear(mb, x, classes, true);
}

/* ---- ResNet-18/34/50/101/152 ---- */

static int scaled(int channels, double width) {
    long c = lround(channels * width);
    return c < 1 ? 1 : (int)c;
}

/* Bottleneck (expansion 4), stride on the 3x3 conv as torchvision: 1x1 to `width`, 3x3 `width` in `groups`
 * groups, 1x1 to 4*planes, each with BN, ReLU after the first two and after the add; projection shortcut where
 * the shape changes. width = floor(planes * base_width / 64) * groups (torchvision's; ResNet: 1 group of 64,
 * width = planes; ResNeXt 32x4d: 32 groups of 4 at planes 64, width 128). */
int resnet_bottleneck(ModelBuilder *mb, int x, int planes, int stride, int groups, int base_width, bool se) {
    const int width = planes * base_width / 64 * groups;
    int y = builder_relu(mb, conv_bn(mb, x, width, 1, 1, 0));
    y = builder_relu(mb, builder_batchnorm(mb, builder_grouped_conv(mb, y, width, 3, stride, 1, groups, false)));
    y = conv_bn(mb, y, 4 * planes, 1, 1, 0);
    if (se) y = squeeze_excite(mb, y);
    int shortcut = x;
    if (stride != 1 || slot_channels(mb, x) != 4 * planes) shortcut = conv_bn(mb, x, 4 * planes, 1, stride, 0);
    return builder_relu(mb, builder_add(mb, y, shortcut));
}

typedef struct {
    const char *name;
    int blocks[4];
    bool bottleneck;
    int groups, base_width; /* of the bottlenecks' 3x3 convolutions: ResNeXt's cardinality and group width */
} TorchvisionResNet;

static const TorchvisionResNet RESNETS[] = {
    {"resnet18", {2, 2, 2, 2}, false, 1, 64},         {"resnet34", {3, 4, 6, 3}, false, 1, 64},
    {"resnet50", {3, 4, 6, 3}, true, 1, 64},          {"resnet101", {3, 4, 23, 3}, true, 1, 64},
    {"resnet152", {3, 8, 36, 3}, true, 1, 64},        {"resnext50_32x4d", {3, 4, 6, 3}, true, 32, 4},
    {"resnext101_32x8d", {3, 4, 23, 3}, true, 32, 8},
};

/* Stem: ImageNet form 7x7 stride-2 conv (64 channels) + BN + ReLU + 3x3 stride-2 max pool; CIFAR form 3x3
 * stride-1 conv + BN + ReLU. Then four stages at 64/128/256/512 channels (times cfg->width; bottlenecks
 * output 4x), strides 1, 2, 2, 2, projection shortcuts where the shape changes; global average pool
 * (torchvision's adaptive pool to 1x1); linear head. Counts at 3x224x224 / 1000 classes (test_models):
 *   resnet18 11,689,512  resnet34 21,797,672  resnet50 25,557,032  resnet101 44,549,160  resnet152 60,192,808
 * and torchvision's ResNeXts (Xie et al. 2017; the same stages with grouped 3x3 convolutions):
 *   resnext50_32x4d 25,028,904  resnext101_32x8d 88,791,336
 * With `se` (SE-ResNet, Hu et al. 2018): resnet50 28,088,024 (the paper's 28.1M), resnet18 11,778,592. */
int build_resnet_imagenet_style(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    const TorchvisionResNet *r = &RESNETS[0];
    for (size_t i = 0; i < sizeof RESNETS / sizeof RESNETS[0]; i++)
        if (!strcmp(name, RESNETS[i].name)) r = &RESNETS[i];
    const bool cifar = builder_cifar_form(mb, cfg);
    snprintf(mb->form, sizeof mb->form, "%s", cifar ? "CIFAR stem" : "ImageNet stem");
    int x;
    if (cifar) {
        x = builder_relu(mb, conv_bn(mb, builder_input(mb), scaled(64, cfg->width), 3, 1, 1));
    } else {
        x = builder_relu(mb, conv_bn(mb, builder_input(mb), scaled(64, cfg->width), 7, 2, 3));
        x = builder_maxpool(mb, x, 3, 2, 1);
    }
    for (int stage = 0; stage < 4; stage++) {
        int planes = scaled(64 << stage, cfg->width);
        for (int i = 0; i < r->blocks[stage]; i++) {
            int stride = stage > 0 && i == 0 ? 2 : 1;
            x = r->bottleneck ? resnet_bottleneck(mb, x, planes, stride, r->groups, r->base_width, cfg->se == 1)
                              : basic_block(mb, x, planes, stride, false, cfg->se == 1);
        }
    }
    x = builder_global_avgpool(mb, x);
    return builder_linear(mb, x, classes, true);
}

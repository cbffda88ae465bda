/* MobileNets: V1 (Howard et al. 2017) with width multiplier alpha (`width`), and V2 (Sandler et al. 2018) and
 * V3-Large / V3-Small (Howard et al. 2019) exactly as torchvision 0.14 defines them (mobilenetv2.py,
 * mobilenetv3.py; V2 and V3 `width` too, channels rounded to multiples of 8 as torchvision's _make_divisible).
 *
 * Counts at 3x224x224 / 1000 classes (tests/test_models.c): mobilenet_v2 3,504,872; mobilenet_v3_large
 * 5,483,032; mobilenet_v3_small 2,542,856; mobilenet_v1 4,231,976 (the paper's Table 8: 4.2 million).
 *
 * Each has an ImageNet form and a CIFAR form for 32x32 inputs, chosen by `stem` (auto: CIFAR under 64
 * pixels). The CIFAR forms are the widely used ones of the pytorch-cifar collection: V1 and V3 with a
 * stride-1 stem; V2 with a stride-1 stem and its first stride-2 stage (24 channels) at stride 1, so that the
 * last feature map is 4x4 as V1's and ResNet's CIFAR forms.
 * V3's batch norms have torchvision's eps 1e-3 and momentum 0.01. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_builder.h"

/* torchvision's _make_divisible: v rounded to the nearest multiple of 8 (at least 8), not below 0.9 v */
static int divisible8(double v) {
    int rounded = (int)(v + 4) / 8 * 8;
    if (rounded < 8) rounded = 8;
    if (rounded < 0.9 * v) rounded += 8;
    return rounded;
}

typedef enum { ACT_NONE, ACT_RELU, ACT_RELU6, ACT_HARD_SWISH } Activation;

static int activate(ModelBuilder *mb, int x, Activation act) {
    switch (act) {
    case ACT_RELU: return builder_relu(mb, x);
    case ACT_RELU6: return builder_relu6(mb, x);
    case ACT_HARD_SWISH: return builder_hard_swish(mb, x);
    default: return x;
    }
}

/* torchvision's Conv2dNormActivation: conv (no bias; groups) -> BN -> activation. V3's batch norms have eps 1e-3
 * and momentum 0.01; V1's and V2's PyTorch's defaults (1e-5, 0.1). */
static int conv_bn_act(ModelBuilder *mb, int x, int channels, int kernel, int stride, int groups, bool v3,
                       Activation act) {
    x = builder_grouped_conv(mb, x, channels, kernel, stride, (kernel - 1) / 2, groups, false);
    return activate(mb, builder_batchnorm_momentum(mb, x, v3 ? 1e-3 : 1e-5, v3 ? 0.01 : 0.1), act);
}

static int channels_of(const ModelBuilder *mb, int x) { return mb->model->slots[x].C; }

/* the head's linear layers: normal(0, 0.01), bias 0 (torchvision's V2 and V3) */
static int head_linear(ModelBuilder *mb, int x, int features) {
    return builder_linear_init(mb, x, features, true, INIT_NORMAL, 0.01);
}

/* ---- V2: inverted residual blocks (expansion t, c output channels, n repeats, first stride s) ---- */

static int inverted_residual_v2(ModelBuilder *mb, int x, int out, int stride, int expand) {
    const int in = channels_of(mb, x), hidden = (int)lround(in * (double)expand);
    int y = expand != 1 ? conv_bn_act(mb, x, hidden, 1, 1, 1, false, ACT_RELU6) : x;
    y = conv_bn_act(mb, y, hidden, 3, stride, hidden, false, ACT_RELU6);
    y = conv_bn_act(mb, y, out, 1, 1, 1, false, ACT_NONE);
    return stride == 1 && in == out ? builder_add(mb, x, y) : y;
}

static int build_mobilenet_v2(ModelBuilder *mb, const TrainConfig *cfg, int classes, bool cifar) {
    static const int SETTINGS[7][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2},  {6, 64, 4, 2},
                                       {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
    const double w = cfg->width;
    int x = conv_bn_act(mb, builder_input(mb), divisible8(32 * w), 3, cifar ? 1 : 2, 1, false, ACT_RELU6);
    for (int s = 0; s < 7; s++) {
        const int t = SETTINGS[s][0], c = divisible8(SETTINGS[s][1] * w), n = SETTINGS[s][2];
        const int stride = cifar && s == 1 ? 1 : SETTINGS[s][3];
        for (int i = 0; i < n; i++) x = inverted_residual_v2(mb, x, c, i == 0 ? stride : 1, t);
    }
    x = conv_bn_act(mb, x, divisible8(1280 * (w > 1 ? w : 1)), 1, 1, 1, false, ACT_RELU6);
    x = builder_global_avgpool(mb, x);
    const double p = model_dropout(cfg, 0.2);
    if (p > 0) x = builder_dropout(mb, x, p);
    return head_linear(mb, x, classes);
}

/* ---- V3: blocks of (kernel, expanded, out, squeeze-and-excitation, activation, stride) ---- */

typedef struct {
    int kernel, expanded, out;
    bool se;
    Activation act;
    int stride;
} BlockV3;

static int inverted_residual_v3(ModelBuilder *mb, int x, const BlockV3 *b, double w) {
    const int in = channels_of(mb, x), expanded = divisible8(b->expanded * w), out = divisible8(b->out * w);
    int y = expanded != in ? conv_bn_act(mb, x, expanded, 1, 1, 1, true, b->act) : x;
    y = conv_bn_act(mb, y, expanded, b->kernel, b->stride, expanded, true, b->act);
    /* torchvision's SqueezeExcitation: squeeze to _make_divisible(C / 4, 8), hard-sigmoid gate; its fc1 and fc2
     * are 1x1 convolutions with bias, initialised as V3's convolutions (Kaiming normal fan_out, bias 0) */
    if (b->se) y = builder_squeeze_excite(mb, y, divisible8(expanded / 4), true, INIT_KAIMING_FAN_OUT_ZERO_BIAS);
    y = conv_bn_act(mb, y, out, 1, 1, 1, true, ACT_NONE);
    return b->stride == 1 && in == out ? builder_add(mb, x, y) : y;
}

static const BlockV3 V3_LARGE[] = {
    {3, 16, 16, false, ACT_RELU, 1},        {3, 64, 24, false, ACT_RELU, 2},
    {3, 72, 24, false, ACT_RELU, 1},        {5, 72, 40, true, ACT_RELU, 2},
    {5, 120, 40, true, ACT_RELU, 1},        {5, 120, 40, true, ACT_RELU, 1},
    {3, 240, 80, false, ACT_HARD_SWISH, 2}, {3, 200, 80, false, ACT_HARD_SWISH, 1},
    {3, 184, 80, false, ACT_HARD_SWISH, 1}, {3, 184, 80, false, ACT_HARD_SWISH, 1},
    {3, 480, 112, true, ACT_HARD_SWISH, 1}, {3, 672, 112, true, ACT_HARD_SWISH, 1},
    {5, 672, 160, true, ACT_HARD_SWISH, 2}, {5, 960, 160, true, ACT_HARD_SWISH, 1},
    {5, 960, 160, true, ACT_HARD_SWISH, 1},
};

static const BlockV3 V3_SMALL[] = {
    {3, 16, 16, true, ACT_RELU, 2},        {3, 72, 24, false, ACT_RELU, 2},      {3, 88, 24, false, ACT_RELU, 1},
    {5, 96, 40, true, ACT_HARD_SWISH, 2},  {5, 240, 40, true, ACT_HARD_SWISH, 1}, {5, 240, 40, true, ACT_HARD_SWISH, 1},
    {5, 120, 48, true, ACT_HARD_SWISH, 1}, {5, 144, 48, true, ACT_HARD_SWISH, 1}, {5, 288, 96, true, ACT_HARD_SWISH, 2},
    {5, 576, 96, true, ACT_HARD_SWISH, 1}, {5, 576, 96, true, ACT_HARD_SWISH, 1},
};

/* stem 3x3/2 16 + hard swish; the blocks; 1x1 to 6x the last block's channels + hard swish; pool; linear to
 * 1280 (large) or 1024 (small) + hard swish; dropout 0.2; linear */
static int build_mobilenet_v3(ModelBuilder *mb, const TrainConfig *cfg, int classes, bool cifar, bool large) {
    const BlockV3 *blocks = large ? V3_LARGE : V3_SMALL;
    const int count = large ? (int)(sizeof V3_LARGE / sizeof V3_LARGE[0]) : (int)(sizeof V3_SMALL / sizeof V3_SMALL[0]);
    const double w = cfg->width;
    int x = conv_bn_act(mb, builder_input(mb), divisible8(16 * w), 3, cifar ? 1 : 2, 1, true, ACT_HARD_SWISH);
    for (int i = 0; i < count; i++) x = inverted_residual_v3(mb, x, &blocks[i], w);
    x = conv_bn_act(mb, x, 6 * channels_of(mb, x), 1, 1, 1, true, ACT_HARD_SWISH);
    x = builder_global_avgpool(mb, x);
    x = builder_hard_swish(mb, head_linear(mb, x, divisible8((large ? 1280 : 1024) * w)));
    const double p = model_dropout(cfg, 0.2);
    if (p > 0) x = builder_dropout(mb, x, p);
    return head_linear(mb, x, classes);
}

/* ---- V1: the paper's Table 1 with width alpha: 3x3/2 conv 32, then 13 depthwise-separable blocks (3x3
 * depthwise + BN + ReLU, 1x1 pointwise + BN + ReLU), average pool, linear (PyTorch's default init) ---- */

static int build_mobilenet_v1(ModelBuilder *mb, const TrainConfig *cfg, int classes, bool cifar) {
    static const int BLOCKS[13][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},   {512, 1},
                                      {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
    const double alpha = cfg->width;
    int x = conv_bn_act(mb, builder_input(mb), (int)lround(32 * alpha), 3, cifar ? 1 : 2, 1, false, ACT_RELU);
    for (int i = 0; i < 13; i++) {
        const int in = channels_of(mb, x);
        x = conv_bn_act(mb, x, in, 3, BLOCKS[i][1], in, false, ACT_RELU);
        x = conv_bn_act(mb, x, (int)lround(BLOCKS[i][0] * alpha), 1, 1, 1, false, ACT_RELU);
    }
    x = builder_global_avgpool(mb, x);
    const double p = model_dropout(cfg, 0);
    if (p > 0) x = builder_dropout(mb, x, p);
    return builder_linear(mb, x, classes, true);
}

int build_mobilenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    const bool cifar = builder_cifar_form(mb, cfg);
    snprintf(mb->form, sizeof mb->form, "%s", cifar ? "CIFAR stem" : "ImageNet stem");
    if (cfg->width <= 0) return builder_fail(mb, "width must be positive");
    if (!strcmp(name, "mobilenet_v1")) return build_mobilenet_v1(mb, cfg, classes, cifar);
    if (!strcmp(name, "mobilenet_v2")) return build_mobilenet_v2(mb, cfg, classes, cifar);
    return build_mobilenet_v3(mb, cfg, classes, cifar, !strcmp(name, "mobilenet_v3_large"));
}

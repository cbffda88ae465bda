/* ShuffleNet V2 (Ma et al. 2018) exactly as torchvision 0.14 defines it (shufflenetv2.py): 3x3/2 conv 24 +
 * BN + ReLU, 3x3/2 max pool, three stages of 4, 8, 4 units, 1x1 conv + BN + ReLU, global average pool, linear.
 *
 * A unit of stride 1 splits its channels in two halves: the first passes through, the second goes through
 * branch 2 (1x1 conv + BN + ReLU, 3x3 depthwise + BN, 1x1 conv + BN + ReLU); a unit of stride 2 feeds the whole
 * input to branch 1 (3x3/2 depthwise + BN, 1x1 conv + BN + ReLU) and to branch 2 (its depthwise at stride 2).
 * The halves are concatenated and the channels shuffled in 2 groups. No biases; PyTorch's default
 * initialisation (torchvision's ShuffleNet has no init of its own).
 *
 * Stage widths (the paper's Table 5): x0.5 48-96-192, 1024; x1.0 116-232-464, 1024; x1.5 176-352-704, 1024;
 * x2.0 244-488-976, 2048. Counts at 3x224x224 / 1000 classes (tests/test_models.c): shufflenet_v2_x0_5
 * 1,366,792; shufflenet_v2_x1_0 2,278,604.
 * CIFAR form (`stem`; auto: under 64 pixels), as the pytorch-cifar collection's ShuffleNetV2: a stride-1 stem
 * and no max pool, so that the last feature map is 4x4. */
#include <stdio.h>
#include <string.h>

#include "model_builder.h"

static int conv_bn(ModelBuilder *mb, int x, int channels, int kernel, int stride, int groups) {
    const int y = builder_grouped_conv(mb, x, channels, kernel, stride, (kernel - 1) / 2, groups, false);
    builder_set_init(mb, y, INIT_TORCH_DEFAULT, 0);
    return builder_batchnorm(mb, y);
}

static int channels_of(const ModelBuilder *mb, int x) { return mb->model->slots[x].C; }

/* 1x1 -> ReLU, depthwise 3x3 (stride), 1x1 -> ReLU; branch 1 when first_pointwise is false */
static int branch(ModelBuilder *mb, int x, int out, int stride, bool first_pointwise) {
    if (first_pointwise) x = builder_relu(mb, conv_bn(mb, x, out, 1, 1, 1));
    const int C = channels_of(mb, x);
    x = conv_bn(mb, x, C, 3, stride, C);
    return builder_relu(mb, conv_bn(mb, x, out, 1, 1, 1));
}

static int unit(ModelBuilder *mb, int x, int out, int stride) {
    const int half = out / 2, in = channels_of(mb, x);
    int parts[2];
    if (stride == 1) {
        parts[0] = builder_channel_slice(mb, x, 0, in / 2);
        parts[1] = branch(mb, builder_channel_slice(mb, x, in / 2, in - in / 2), half, 1, true);
    } else {
        parts[0] = branch(mb, x, half, stride, false);
        parts[1] = branch(mb, x, half, stride, true);
    }
    return builder_channel_shuffle(mb, builder_concat(mb, parts, 2), 2);
}

typedef struct {
    const char *name;
    int stages[3], last;
} ShuffleNetWidths;

static const ShuffleNetWidths WIDTHS[] = {
    {"shufflenet_v2_x0_5", {48, 96, 192}, 1024},
    {"shufflenet_v2_x1_0", {116, 232, 464}, 1024},
    {"shufflenet_v2_x1_5", {176, 352, 704}, 1024},
    {"shufflenet_v2_x2_0", {244, 488, 976}, 2048},
};

int build_shufflenet_v2(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    const ShuffleNetWidths *w = &WIDTHS[1];
    for (size_t i = 0; i < sizeof WIDTHS / sizeof WIDTHS[0]; i++)
        if (!strcmp(name, WIDTHS[i].name)) w = &WIDTHS[i];
    const bool cifar = builder_cifar_form(mb, cfg);
    snprintf(mb->form, sizeof mb->form, "%s", cifar ? "CIFAR stem" : "ImageNet stem");
    int x = builder_relu(mb, conv_bn(mb, builder_input(mb), 24, 3, cifar ? 1 : 2, 1));
    if (!cifar) x = builder_maxpool(mb, x, 3, 2, 1);
    static const int REPEATS[3] = {4, 8, 4};
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < REPEATS[s]; i++) x = unit(mb, x, w->stages[s], i == 0 ? 2 : 1);
    x = builder_relu(mb, conv_bn(mb, x, w->last, 1, 1, 1));
    x = builder_global_avgpool(mb, x);
    return builder_linear(mb, x, classes, true);
}

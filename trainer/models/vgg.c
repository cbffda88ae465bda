/* VGG-11/13/16/19 (Simonyan & Zisserman 2015, configurations A, B, D, E): 3x3 pad-1 convolutions, each
 * followed by ReLU (with batch norm before it in the _bn forms), and 2x2 stride-2 max pools ("M"). Channel
 * counts are times cfg->width (rounded, at least 1), so a small VGG can be built for tests. Two forms, by `stem`
 * (auto: the CIFAR form for inputs under 64 pixels):
 *
 * ImageNet form, exactly torchvision 0.14's vgg11..vgg19 and vgg11_bn..vgg19_bn: every conv with a bias (also
 * before batch norm), an adaptive average pool to 7x7, and the classifier 25088 -> 4096 -> ReLU -> dropout ->
 * 4096 -> ReLU -> dropout -> classes (dropout auto = 0.5; the hidden widths times `width`). Initialised as
 * torchvision's: convs Kaiming normal fan_out with zero bias, linears normal(0, 0.01) with zero bias.
 * Counts at 3x224x224 / 1000 classes (tests/test_models.c): vgg11 132,863,336, vgg11_bn 132,868,840,
 * vgg13 133,047,848, vgg16 138,357,544, vgg16_bn 138,365,992, vgg19 143,667,240, vgg19_bn 143,678,248.
 *
 * CIFAR form, the VGG of the CIFAR literature (and of earlier Cohort versions): batch norm unless `bn: false`
 * (also for the names without _bn, as the common CIFAR implementations), then flatten, optional dropout
 * (cfg->dropout > 0) and one linear layer to the classes.
 * Convolution bias: the required counts (3x32x32 input, 10 / 100 classes)
 *   vgg11 9,228,362 / 9,274,532   vgg13 9,413,066 / 9,459,236
 *   vgg16 14,724,042 / 14,770,212 vgg19 20,035,018 / 20,081,188
 * are reproduced only WITHOUT conv biases: torchvision's vgg*_bn and the common CIFAR implementations
 * (kuangliu/pytorch-cifar) keep a bias in every conv, which adds one parameter per conv channel
 * (2,752 for vgg11, 4,224 for vgg16, 5,504 for vgg19: 9,231,114 / 14,728,266 / 20,040,522 with 10
 * classes). That bias is redundant in front of batch norm (BN subtracts the channel mean, so the bias
 * gets a zero gradient and never changes the output), so dropping it changes nothing but the count. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_builder.h"

#define POOL (-1)

static const int VGG11[] = {64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL, 0};
static const int VGG13[] = {64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL, 0};
static const int VGG16[] = {64,  64,  POOL, 128, 128, POOL, 256, 256, 256, POOL,
                            512, 512, 512,  POOL, 512, 512, 512, POOL, 0};
static const int VGG19[] = {64,  64,  POOL, 128, 128, POOL, 256, 256, 256, 256, POOL,
                            512, 512, 512, 512, POOL, 512, 512, 512, 512, POOL, 0};

static int scaled(double channels, double width) {
    long c = lround(channels * width);
    return c < 1 ? 1 : (int)c;
}

/* bn by the setting, else by the name (vgg16_bn), else the CIFAR form's batch norm */
static bool vgg_batch_norm(const char *name, const TrainConfig *cfg, bool cifar) {
    if (cfg->bn >= 0) return cfg->bn != 0;
    const size_t n = strlen(name);
    if (n > 3 && !strcmp(name + n - 3, "_bn")) return true;
    return cifar;
}

int build_vgg(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    const int *layers = VGG11;
    if (!strncmp(name, "vgg13", 5)) layers = VGG13;
    else if (!strncmp(name, "vgg16", 5)) layers = VGG16;
    else if (!strncmp(name, "vgg19", 5)) layers = VGG19;
    const bool cifar = builder_cifar_form(mb, cfg), bn = vgg_batch_norm(name, cfg, cifar);
    snprintf(mb->form, sizeof mb->form, "%s%s", cifar ? "CIFAR" : "ImageNet", bn ? ", BN" : "");
    int x = builder_input(mb);
    for (const int *v = layers; *v; v++) {
        if (*v == POOL) {
            const TensorSlot *in = &mb->model->slots[x];
            if ((in->H < 2 || in->W < 2) && !mb->failed) { /* PyTorch refuses this too ("output size is too small") */
                err_set(mb->err, "model %s: input too small: a 2x2 max pool over %dx%d (the five pools of VGG need "
                        "at least 32x32 images; 28x28 ones can be padded with `pad`)", name, in->H, in->W);
                mb->failed = true;
            }
            x = builder_maxpool(mb, x, 2, 2, 0);
            continue;
        }
        /* the CIFAR form drops the bias that batch norm makes redundant; torchvision keeps it */
        x = builder_conv(mb, x, scaled(*v, cfg->width), 3, 1, 1, !(cifar && bn));
        if (!cifar) builder_set_init(mb, x, INIT_KAIMING_FAN_OUT_ZERO_BIAS, 0);
        if (bn) x = builder_batchnorm(mb, x);
        x = builder_relu(mb, x);
    }
    if (cifar) {
        x = builder_flatten(mb, x);
        if (model_dropout(cfg, 0) > 0) x = builder_dropout(mb, x, model_dropout(cfg, 0));
        return builder_linear(mb, x, classes, true);
    }
    const TensorSlot *features = &mb->model->slots[x];
    if (features->H != 7 || features->W != 7) x = builder_adaptive_avgpool(mb, x, 7, 7); /* 7x7 already: identity */
    x = builder_flatten(mb, x);
    const double p = model_dropout(cfg, 0.5);
    for (int hidden = 0; hidden < 2; hidden++) {
        x = builder_linear(mb, x, scaled(4096, cfg->width), true);
        builder_set_init(mb, x, INIT_NORMAL, 0.01);
        x = builder_relu(mb, x);
        if (p > 0) x = builder_dropout(mb, x, p);
    }
    x = builder_linear(mb, x, classes, true);
    builder_set_init(mb, x, INIT_NORMAL, 0.01);
    return x;
}

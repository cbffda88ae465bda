/* VGG-11/13/16/19 with batch norm, CIFAR form (Simonyan & Zisserman 2015, configurations A, B, D, E):
 * each conv 3x3 pad 1 + BN + ReLU, "M" a 2x2 stride-2 max pool, then flatten, optional dropout
 * (cfg->dropout > 0) and one linear layer to the classes. Channel counts are times cfg->width (rounded, at
 * least 1), so a small VGG can be built for tests.
 *
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

int build_vgg(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    const int *layers = VGG11;
    if (!strcmp(name, "vgg13")) layers = VGG13;
    else if (!strcmp(name, "vgg16")) layers = VGG16;
    else if (!strcmp(name, "vgg19")) layers = VGG19;
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
        } else {
            long channels = lround(*v * cfg->width);
            x = builder_conv_bn_relu(mb, x, channels < 1 ? 1 : (int)channels, 3, 1, 1);
        }
    }
    x = builder_flatten(mb, x);
    if (cfg->dropout > 0) x = builder_dropout(mb, x, cfg->dropout);
    return builder_linear(mb, x, classes, true);
}

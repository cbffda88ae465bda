/* AlexNet as torchvision 0.14 defines it (the one-GPU variant of Krizhevsky's "one weird trick" paper, without
 * local response normalisation):
 *
 *   conv 11x11/4 pad 2, 64  -> ReLU -> max pool 3/2
 *   conv 5x5 pad 2, 192     -> ReLU -> max pool 3/2
 *   conv 3x3 pad 1, 384     -> ReLU
 *   conv 3x3 pad 1, 256     -> ReLU
 *   conv 3x3 pad 1, 256     -> ReLU -> max pool 3/2 -> adaptive average pool 6x6
 *   dropout -> fc 9216-4096 -> ReLU -> dropout -> fc 4096-4096 -> ReLU -> fc 4096-classes
 *
 * Channel and hidden widths are times `width`; dropout auto = 0.5. PyTorch's default initialisation (torchvision
 * sets none of its own). 61,100,840 parameters at 3x224x224 / 1000 classes. Needs inputs of at least 63 pixels
 * (the third max pool needs a 3x3 map). */
#include <math.h>

#include "model_builder.h"

static int scaled(double channels, double width) {
    long c = lround(channels * width);
    return c < 1 ? 1 : (int)c;
}

static int conv_relu(ModelBuilder *mb, int x, int channels, int kernel, int stride, int pad) {
    const int y = builder_conv(mb, x, channels, kernel, stride, pad, true);
    builder_set_init(mb, y, INIT_TORCH_DEFAULT, 0);
    return builder_relu(mb, y);
}

int build_alexnet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const double w = cfg->width, p = model_dropout(cfg, 0.5);
    int x = builder_input(mb);
    const TensorSlot *in = &mb->model->slots[x];
    if (in->H < 63 || in->W < 63) return builder_fail(mb, "AlexNet needs inputs of at least 63x63 pixels");
    x = builder_maxpool(mb, conv_relu(mb, x, scaled(64, w), 11, 4, 2), 3, 2, 0);
    x = builder_maxpool(mb, conv_relu(mb, x, scaled(192, w), 5, 1, 2), 3, 2, 0);
    x = conv_relu(mb, x, scaled(384, w), 3, 1, 1);
    x = conv_relu(mb, x, scaled(256, w), 3, 1, 1);
    x = builder_maxpool(mb, conv_relu(mb, x, scaled(256, w), 3, 1, 1), 3, 2, 0);
    const TensorSlot *features = &mb->model->slots[x];
    if (features->H != 6 || features->W != 6) x = builder_adaptive_avgpool(mb, x, 6, 6); /* 6x6: identity */
    x = builder_flatten(mb, x);
    for (int hidden = 0; hidden < 2; hidden++) {
        if (p > 0) x = builder_dropout(mb, x, p);
        x = builder_relu(mb, builder_linear(mb, x, scaled(4096, w), true));
    }
    return builder_linear(mb, x, classes, true);
}

/* SqueezeNet 1.0 and 1.1 as torchvision 0.14 defines them (Iandola et al. 2016). A Fire module squeezes to s
 * channels with a 1x1 conv and expands with a 1x1 (e1 channels) and a 3x3 pad-1 conv (e3 channels) side by
 * side, concatenated; every conv is followed by ReLU. Max pools are 3x3 stride 2 with ceil_mode.
 *
 *   squeezenet1_0: conv 7x7/2, 96 -> pool -> fire(16,64,64) fire(16,64,64) fire(32,128,128) -> pool ->
 *                  fire(32,128,128) fire(48,192,192) fire(48,192,192) fire(64,256,256) -> pool -> fire(64,256,256)
 *   squeezenet1_1: conv 3x3/2, 64 -> pool -> fire(16,64,64) fire(16,64,64) -> pool -> fire(32,128,128)
 *                  fire(32,128,128) -> pool -> fire(48,192,192) fire(48,192,192) fire(64,256,256) fire(64,256,256)
 *   head: dropout (auto 0.5) -> 1x1 conv to the classes -> ReLU -> global average pool.
 *
 * Initialised as torchvision's: the final conv normal(0, 0.01), the others Kaiming uniform (fan_in), biases 0.
 * 1,248,424 (1.0) and 1,235,496 (1.1) parameters at 3x224x224 / 1000 classes. */
#include <string.h>

#include "model_builder.h"

static int conv_relu(ModelBuilder *mb, int x, int channels, int kernel, int stride, int pad) {
    const int y = builder_conv(mb, x, channels, kernel, stride, pad, true);
    builder_set_init(mb, y, INIT_KAIMING_UNIFORM_FAN_IN, 0);
    return builder_relu(mb, y);
}

static int fire(ModelBuilder *mb, int x, int squeeze, int expand1x1, int expand3x3) {
    x = conv_relu(mb, x, squeeze, 1, 1, 0);
    const int branches[2] = {conv_relu(mb, x, expand1x1, 1, 1, 0), conv_relu(mb, x, expand3x3, 3, 1, 1)};
    return builder_concat(mb, branches, 2);
}

static int pool(ModelBuilder *mb, int x) { return builder_maxpool_ceil(mb, x, 3, 2, 0); }

int build_squeezenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    int x = builder_input(mb);
    if (!strcmp(name, "squeezenet1_0")) {
        x = pool(mb, conv_relu(mb, x, 96, 7, 2, 0));
        x = fire(mb, fire(mb, fire(mb, x, 16, 64, 64), 16, 64, 64), 32, 128, 128);
        x = pool(mb, x);
        x = fire(mb, fire(mb, fire(mb, fire(mb, x, 32, 128, 128), 48, 192, 192), 48, 192, 192), 64, 256, 256);
        x = fire(mb, pool(mb, x), 64, 256, 256);
    } else {
        x = pool(mb, conv_relu(mb, x, 64, 3, 2, 0));
        x = pool(mb, fire(mb, fire(mb, x, 16, 64, 64), 16, 64, 64));
        x = pool(mb, fire(mb, fire(mb, x, 32, 128, 128), 32, 128, 128));
        x = fire(mb, fire(mb, fire(mb, fire(mb, x, 48, 192, 192), 48, 192, 192), 64, 256, 256), 64, 256, 256);
    }
    const double p = model_dropout(cfg, 0.5);
    if (p > 0) x = builder_dropout(mb, x, p);
    x = builder_conv(mb, x, classes, 1, 1, 0, true);
    builder_set_init(mb, x, INIT_NORMAL, 0.01);
    return builder_global_avgpool(mb, builder_relu(mb, x));
}

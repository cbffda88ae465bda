/* Network in Network (Lin, Chen & Yan 2014), the paper's CIFAR-10 network as its authors released it (the Caffe
 * Model Zoo's "Network in Network CIFAR10 Model", gist mavenlin/e56253735ef32c3c296d, and its Lasagne port in
 * Lasagne/Recipes modelzoo/cifar10_nin.py). Three mlpconv blocks, each a spatial convolution followed by two
 * 1x1 convolutions ("cccp" layers), every conv with a bias and a ReLU; Caffe's pooling rounds up (ceil_mode):
 *
 *   conv 5x5 pad 2, 192 -> 1x1 160 -> 1x1 96  -> max pool 3/2 -> dropout
 *   conv 5x5 pad 2, 192 -> 1x1 192 -> 1x1 192 -> average pool 3/2 -> dropout
 *   conv 3x3 pad 1, 192 -> 1x1 192 -> 1x1 classes -> global average pool (the 8x8 pool3 at 32x32)
 *
 * Dropout auto = 0.5 (the paper's). No fully connected layer: the last mlpconv gives one map per class.
 * Parameters for 3x32x32 and 10 classes, layer by layer (weights + biases):
 *   3*25*192+192 = 14,592; 192*160+160 = 30,880; 160*96+96 = 15,456;
 *   96*25*192+192 = 460,992; 192*192+192 = 37,056 (twice);
 *   192*9*192+192 = 331,968; 192*192+192 = 37,056; 192*10+10 = 1,930;   in all 966,986.
 * Initialised as the engine's convolutions (Kaiming normal, fan_out; biases PyTorch's default), where the Caffe
 * model draws small Gaussians. */
#include "model_builder.h"

static int conv_relu(ModelBuilder *mb, int x, int channels, int kernel, int pad) {
    return builder_relu(mb, builder_conv(mb, x, channels, kernel, 1, pad, true));
}

static int mlpconv(ModelBuilder *mb, int x, int channels, int kernel, int pad, int cccp1, int cccp2) {
    x = conv_relu(mb, x, channels, kernel, pad);
    return conv_relu(mb, conv_relu(mb, x, cccp1, 1, 0), cccp2, 1, 0);
}

int build_nin(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const double p = model_dropout(cfg, 0.5);
    int x = builder_maxpool_ceil(mb, mlpconv(mb, builder_input(mb), 192, 5, 2, 160, 96), 3, 2, 0);
    if (p > 0) x = builder_dropout(mb, x, p);
    x = builder_avgpool_ceil(mb, mlpconv(mb, x, 192, 5, 2, 192, 192), 3, 2, 0);
    if (p > 0) x = builder_dropout(mb, x, p);
    x = mlpconv(mb, x, 192, 3, 1, 192, classes);
    return builder_global_avgpool(mb, x);
}

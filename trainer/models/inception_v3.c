/* Inception-v3 (Szegedy et al. 2016, "Rethinking the Inception Architecture") as torchvision 0.14 defines it,
 * for 3x299x299 inputs (at least 75 pixels). Every convolution is a "basic conv": conv without bias -> batch
 * norm (eps 0.001) -> ReLU; BC(c, k) below, with KHxKW kernels where factorised. Pools: max 3x3 stride 2;
 * the branch pools are 3x3 stride-1 pad-1 averages that count the padding (PyTorch's default).
 *
 *   stem: BC 32 3x3/2, BC 32 3x3, BC 64 3x3 pad 1, max pool, BC 80 1x1, BC 192 3x3, max pool
 *   35x35: A(32), A(64), A(64)                 A: 1x1 64 | 1x1 48 -> 5x5 64 | 1x1 64 -> 3x3 96 -> 3x3 96 | pool -> 1x1
 *   grid reduction B                           B: 3x3/2 384 | 1x1 64 -> 3x3 96 -> 3x3/2 96 | max pool
 *   17x17: C(128), C(160), C(160), C(192)      C(c7): 1x1 192 | 1x1 c7 -> 1x7 c7 -> 7x1 192 |
 *                                                     1x1 c7 -> 7x1 -> 1x7 -> 7x1 -> 1x7 192 | pool -> 1x1 192
 *   grid reduction D                           D: 1x1 192 -> 3x3/2 320 | 1x1 192 -> 1x7 -> 7x1 -> 3x3/2 192 | max pool
 *   8x8: E, E                                  E: 1x1 320 | 1x1 384 -> (1x3 384, 3x1 384) |
 *                                                 1x1 448 -> 3x3 384 -> (1x3 384, 3x1 384) | pool -> 1x1 192
 *   global average pool -> dropout (auto 0.5) -> fc 2048-classes
 *
 * With `aux: true`, an auxiliary classifier reads the last 17x17 block (average pool 5x5 stride 3 -> basic
 * conv 1x1, 128 -> basic conv 5x5, 768 -> global average pool -> fc 768-classes); training adds its loss times
 * 0.4 (torchvision's reference recipe), evaluation ignores it.
 *
 * Initialised as torchvision's: conv and fc weights normal(0, 0.1) (its truncation at +-2 lies 20 standard
 * deviations out; the auxiliary head's 5x5 conv 0.01 and its fc 0.001), fc biases PyTorch's default.
 * 23,834,568 parameters at 3x299x299 / 1000 classes, 27,161,264 with the auxiliary head. */
#include <stdio.h>

#include "model_builder.h"

#define BN_EPS_INCEPTION 1e-3
#define INIT_STD 0.1

/* conv KHxKW (no bias) -> batch norm -> ReLU; weights normal(0, std) */
static int bc_init(ModelBuilder *mb, int x, int channels, int kh, int kw, int stride, int pad_h, int pad_w,
                   double std) {
    const int y = builder_conv_rect(mb, x, channels, kh, kw, stride, pad_h, pad_w, false);
    builder_set_init(mb, y, INIT_NORMAL, std);
    return builder_relu(mb, builder_batchnorm_eps(mb, y, BN_EPS_INCEPTION));
}

static int bc_rect(ModelBuilder *mb, int x, int channels, int kh, int kw, int stride, int pad_h, int pad_w) {
    return bc_init(mb, x, channels, kh, kw, stride, pad_h, pad_w, INIT_STD);
}

static int bc(ModelBuilder *mb, int x, int channels, int kernel, int stride, int pad) {
    return bc_rect(mb, x, channels, kernel, kernel, stride, pad, pad);
}

static int bc_1x7(ModelBuilder *mb, int x, int channels) { return bc_rect(mb, x, channels, 1, 7, 1, 0, 3); }
static int bc_7x1(ModelBuilder *mb, int x, int channels) { return bc_rect(mb, x, channels, 7, 1, 1, 3, 0); }

static int pool_branch(ModelBuilder *mb, int x, int channels) {
    return bc(mb, builder_avgpool(mb, x, 3, 1, 1), channels, 1, 1, 0);
}

static int block_a(ModelBuilder *mb, int x, int pool_features) {
    const int branches[4] = {
        bc(mb, x, 64, 1, 1, 0),
        bc(mb, bc(mb, x, 48, 1, 1, 0), 64, 5, 1, 2),
        bc(mb, bc(mb, bc(mb, x, 64, 1, 1, 0), 96, 3, 1, 1), 96, 3, 1, 1),
        pool_branch(mb, x, pool_features),
    };
    return builder_concat(mb, branches, 4);
}

static int block_b(ModelBuilder *mb, int x) {
    const int branches[3] = {
        bc(mb, x, 384, 3, 2, 0),
        bc(mb, bc(mb, bc(mb, x, 64, 1, 1, 0), 96, 3, 1, 1), 96, 3, 2, 0),
        builder_maxpool(mb, x, 3, 2, 0),
    };
    return builder_concat(mb, branches, 3);
}

static int block_c(ModelBuilder *mb, int x, int c7) {
    const int branches[4] = {
        bc(mb, x, 192, 1, 1, 0),
        bc_7x1(mb, bc_1x7(mb, bc(mb, x, c7, 1, 1, 0), c7), 192),
        bc_1x7(mb, bc_7x1(mb, bc_1x7(mb, bc_7x1(mb, bc(mb, x, c7, 1, 1, 0), c7), c7), c7), 192),
        pool_branch(mb, x, 192),
    };
    return builder_concat(mb, branches, 4);
}

static int block_d(ModelBuilder *mb, int x) {
    const int branches[3] = {
        bc(mb, bc(mb, x, 192, 1, 1, 0), 320, 3, 2, 0),
        bc(mb, bc_7x1(mb, bc_1x7(mb, bc(mb, x, 192, 1, 1, 0), 192), 192), 192, 3, 2, 0),
        builder_maxpool(mb, x, 3, 2, 0),
    };
    return builder_concat(mb, branches, 3);
}

/* The 1x3 and 3x1 halves of a split branch are concatenated in place with the other branches (torchvision
 * concatenates each pair first: the same channel order). */
static int block_e(ModelBuilder *mb, int x) {
    const int b1x1 = bc(mb, x, 320, 1, 1, 0);
    const int b3x3 = bc(mb, x, 384, 1, 1, 0);
    const int b3x3_a = bc_rect(mb, b3x3, 384, 1, 3, 1, 0, 1), b3x3_b = bc_rect(mb, b3x3, 384, 3, 1, 1, 1, 0);
    const int dbl = bc(mb, bc(mb, x, 448, 1, 1, 0), 384, 3, 1, 1);
    const int dbl_a = bc_rect(mb, dbl, 384, 1, 3, 1, 0, 1), dbl_b = bc_rect(mb, dbl, 384, 3, 1, 1, 1, 0);
    const int branches[6] = {b1x1, b3x3_a, b3x3_b, dbl_a, dbl_b, pool_branch(mb, x, 192)};
    return builder_concat(mb, branches, 6);
}

static int aux_head(ModelBuilder *mb, int x, int classes) {
    const TensorSlot *grid = &mb->model->slots[x];
    if (grid->H < 17 || grid->W < 17) /* its 5x5 conv needs the 5x5/3 pool of a full 17x17 grid */
        return builder_fail(mb, "the auxiliary head (aux: true) needs inputs of at least 299x299 pixels");
    x = bc(mb, builder_avgpool(mb, x, 5, 3, 0), 128, 1, 1, 0);
    x = builder_global_avgpool(mb, bc_init(mb, x, 768, 5, 5, 1, 0, 0, 0.01));
    x = builder_linear(mb, x, classes, true);
    builder_set_init(mb, x, INIT_NORMAL_TORCH_BIAS, 0.001);
    return x;
}

int build_inception_v3(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const bool aux = cfg->aux > 0;
    snprintf(mb->form, sizeof mb->form, "%s", aux ? "aux head" : "");
    int x = builder_input(mb);
    const TensorSlot *in = &mb->model->slots[x];
    if (in->H < 75 || in->W < 75) return builder_fail(mb, "Inception-v3 needs inputs of at least 75x75 pixels");
    x = bc(mb, bc(mb, bc(mb, x, 32, 3, 2, 0), 32, 3, 1, 0), 64, 3, 1, 1);
    x = builder_maxpool(mb, x, 3, 2, 0);
    x = bc(mb, bc(mb, x, 80, 1, 1, 0), 192, 3, 1, 0);
    x = builder_maxpool(mb, x, 3, 2, 0);
    x = block_a(mb, block_a(mb, block_a(mb, x, 32), 64), 64);
    x = block_b(mb, x);
    x = block_c(mb, block_c(mb, block_c(mb, block_c(mb, x, 128), 160), 160), 192);
    if (aux) builder_aux_output(mb, aux_head(mb, x, classes), 0.4);
    x = block_d(mb, x);
    x = block_e(mb, block_e(mb, x));
    x = builder_global_avgpool(mb, x);
    const double p = model_dropout(cfg, 0.5);
    if (p > 0) x = builder_dropout(mb, x, p);
    x = builder_linear(mb, x, classes, true);
    builder_set_init(mb, x, INIT_NORMAL_TORCH_BIAS, INIT_STD);
    return x;
}

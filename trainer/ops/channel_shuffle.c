/* Channel shuffle (ShuffleNet; torchvision's channel_shuffle): the C channels seen as a [G][C/G] grid are
 * transposed to [C/G][G], so that output channel j*G + i is input channel i*(C/G) + j. With activations
 * channel-major over the batch each channel is one contiguous [B][H][W] block: a permutation of blocks. */
#include <string.h>

#include "ops.h"
#include "layer.h"

/* in [C][rest] -> out [C][rest] (rest = B*H*W), groups dividing C */
void channel_shuffle_forward(real *out, const real *in, int C, int groups, size_t rest) {
    const int per_group = C / groups;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * rest >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++) {
        const int i = c / per_group, j = c % per_group;
        memcpy(out + (size_t)(j * groups + i) * rest, in + (size_t)c * rest, rest * sizeof(real));
    }
}

/* dout [C][rest]; adds into din [C][rest] the inverse permutation of dout */
void channel_shuffle_backward(real *din, const real *dout, int C, int groups, size_t rest) {
    const int per_group = C / groups;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * rest >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++) {
        const int i = c / per_group, j = c % per_group;
        const real *src = dout + (size_t)(j * groups + i) * rest;
        real *dst = din + (size_t)c * rest;
        for (size_t k = 0; k < rest; k++) dst[k] += src[k];
    }
}

/* ---- as a layer: [C][B][H][W] -> [C][B][H][W], l->groups groups ---- */

static void channel_shuffle_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    channel_shuffle_forward(slot_values(m, l->out), slot_values(m, l->in), in->C, l->groups,
                            (size_t)B * in->H * in->W);
}

static void channel_shuffle_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    real *din = slot_grad(m, l->in);
    if (din) channel_shuffle_backward(din, slot_grad(m, l->out), in->C, l->groups, (size_t)B * in->H * in->W);
}

int builder_channel_shuffle(ModelBuilder *mb, int x, int groups) {
    const TensorSlot in = mb->model->slots[x];
    if (in.flat || groups < 1 || in.C % groups != 0)
        return builder_fail(mb, "channel shuffle needs a spatial tensor whose channels the groups divide");
    const int out = builder_new_slot(mb, in.C, in.H, in.W, false);
    Layer *l = builder_new_layer(mb, LAYER_CHANNEL_SHUFFLE, x);
    l->out = out;
    l->groups = groups;
    return out;
}

/* 6 channels in 2 and in 3 groups (a permutation that is not its own inverse), after a convolution so that
 * every channel differs */
static int channel_shuffle_case_2(ModelBuilder *mb, int x) {
    return builder_channel_shuffle(mb, builder_conv(mb, x, 6, 3, 1, 1, false), 2);
}
static int channel_shuffle_case_3(ModelBuilder *mb, int x) {
    return builder_channel_shuffle(mb, builder_conv(mb, x, 6, 1, 1, 0, true), 3);
}

static const OpCheckCase CHANNEL_SHUFFLE_CASES[] = {
    {"channel shuffle, 6 channels in 2 groups", 2, 4, 4, channel_shuffle_case_2},
    {"channel shuffle, 6 channels in 3 groups", 3, 3, 5, channel_shuffle_case_3},
};

const OpDescriptor OP_CHANNEL_SHUFFLE = {.name = "channel_shuffle", .forward = channel_shuffle_layer_forward,
                                         .backward_skips_inputs = true, .backward_skips_output = true,
                                         .backward = channel_shuffle_layer_backward,
                                         OP_CHECK_CASES(CHANNEL_SHUFFLE_CASES)};

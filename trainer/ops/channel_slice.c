/* A run of channels of a spatial tensor (torch.chunk / narrow along the channels: ShuffleNet V2's channel
 * split): out = in's channels first .. first + OC - 1. With activations channel-major over the batch that run
 * is one contiguous block, [OC][B][H][W] starting at channel `first`. */
#include <string.h>

#include "ops.h"
#include "layer.h"

/* ---- as a layer: [C][B][H][W] -> [OC][B][H][W], channels l->token .. l->token + OC - 1 ---- */

static void channel_slice_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const size_t block = slot_count_for(m, l->out, B), rest = block / layer_out_slot(m, l)->C;
    memcpy(slot_values(m, l->out), slot_values(m, l->in) + (size_t)l->token * rest, block * sizeof(real));
}

/* adds dout into its channels of din */
static void channel_slice_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    real *din = slot_grad(m, l->in);
    if (!din) return;
    const size_t block = slot_count_for(m, l->out, B), rest = block / layer_out_slot(m, l)->C;
    din += (size_t)l->token * rest;
    const real *dout = slot_grad(m, l->out);
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (block >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < block; i++) din[i] += dout[i];
}

int builder_channel_slice(ModelBuilder *mb, int x, int first, int count) {
    const TensorSlot in = mb->model->slots[x];
    if (in.flat || first < 0 || count < 1 || first + count > in.C)
        return builder_fail(mb, "channel slice outside the channels of a spatial tensor");
    const int out = builder_new_slot(mb, count, in.H, in.W, false);
    Layer *l = builder_new_layer(mb, LAYER_CHANNEL_SLICE, x);
    l->out = out;
    l->token = first;
    return out;
}

/* both halves of a tensor, one of them transformed, concatenated again (ShuffleNet V2's stride-1 unit) */
static int channel_slice_case_halves(ModelBuilder *mb, int x) {
    const int halves[2] = {builder_channel_slice(mb, x, 0, 2),
                           builder_conv(mb, builder_channel_slice(mb, x, 2, 2), 2, 3, 1, 1, false)};
    return builder_concat(mb, halves, 2);
}
static int channel_slice_case_middle(ModelBuilder *mb, int x) { return builder_channel_slice(mb, x, 1, 2); }

static const OpCheckCase CHANNEL_SLICE_CASES[] = {
    {"channel slice, both halves", 4, 4, 3, channel_slice_case_halves},
    {"channel slice, channels 1-2 of 4", 4, 3, 4, channel_slice_case_middle},
};

const OpDescriptor OP_CHANNEL_SLICE = {.name = "channel_slice", .forward = channel_slice_layer_forward,
                                       .backward_skips_inputs = true, .backward_skips_output = true,
                                       .backward = channel_slice_layer_backward,
                                       OP_CHECK_CASES(CHANNEL_SLICE_CASES)};

/* Flatten from the spatial layout [C][B][HW] to the flat one [B][C*HW]: a per-sample transpose of
 * contiguous runs of HW values, so that sample b's features come out in PyTorch's (c, h, w) order and a
 * following linear layer's weights line up with PyTorch's. */
#include <string.h>

#include "ops.h"
#include "layer.h"

/* in [C][B][HW] -> out [B][C*HW] */
void flatten_forward(real *out, const real *in, int C, int B, int HW) {
    if (HW <= 0) return;
    const size_t features = (size_t)C * HW;
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++)
            memcpy(out + (size_t)b * features + (size_t)c * HW, in + ((size_t)c * B + b) * HW,
                   (size_t)HW * sizeof(real));
}

/* dout [B][C*HW]; adds into din [C][B][HW] */
void flatten_backward(real *din, const real *dout, int C, int B, int HW) {
    if (!din || HW <= 0) return;
    const size_t features = (size_t)C * HW;
    for (int c = 0; c < C; c++) {
        for (int b = 0; b < B; b++) {
            real *dst = din + ((size_t)c * B + b) * HW;
            const real *src = dout + (size_t)b * features + (size_t)c * HW;
            for (int i = 0; i < HW; i++) dst[i] += src[i];
        }
    }
}

/* ---- as a layer: [C][B][H][W] -> [B][C*H*W] ---- */

static void flatten_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    flatten_forward(slot_values(m, l->out), slot_values(m, l->in), in->C, B, in->H * in->W);
}

static void flatten_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    real *din = slot_grad(m, l->in);
    if (din) flatten_backward(din, slot_grad(m, l->out), in->C, B, in->H * in->W);
}

static int flatten_case_0(ModelBuilder *mb, int x) {
    return builder_flatten(mb, x);
}

static const OpCheckCase FLATTEN_CASES[] = {
    {"flatten", 2, 3, 4, flatten_case_0},
};

const OpDescriptor OP_FLATTEN = {.name = "flatten", .forward = flatten_layer_forward,
                                 .backward_skips_inputs = true, .backward_skips_output = true,
                                 .backward = flatten_layer_backward,
                                 OP_CHECK_CASES(FLATTEN_CASES)};

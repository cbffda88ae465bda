/* Global average pooling: the mean of each (channel, sample) plane, producing flat features [B][C]. */
#include "ops.h"
#include "layer.h"

/* in [C][B][HW] -> out [B][C] */
void global_avgpool_forward(real *out, const real *in, int C, int B, int HW) {
    if (HW <= 0) return;
    for (int c = 0; c < C; c++) {
        for (int b = 0; b < B; b++) {
            const real *plane = in + ((size_t)c * B + b) * HW;
            double sum = 0;
            for (int i = 0; i < HW; i++) sum += plane[i];
            out[(size_t)b * C + c] = (real)(sum / HW);
        }
    }
}

/* dout [B][C]; adds dout / HW into every element of the matching plane of din [C][B][HW] */
void global_avgpool_backward(real *din, const real *dout, int C, int B, int HW) {
    if (!din || HW <= 0) return;
    for (int c = 0; c < C; c++) {
        for (int b = 0; b < B; b++) {
            real *plane = din + ((size_t)c * B + b) * HW;
            const real g = (real)((double)dout[(size_t)b * C + c] / HW);
            for (int i = 0; i < HW; i++) plane[i] += g;
        }
    }
}

/* ---- as a layer: [C][B][H][W] -> [B][C] ---- */

static void global_avgpool_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    global_avgpool_forward(slot_values(m, l->out), slot_values(m, l->in), in->C, B, in->H * in->W);
}

static void global_avgpool_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    real *din = slot_grad(m, l->in);
    if (din) global_avgpool_backward(din, slot_grad(m, l->out), in->C, B, in->H * in->W);
}

static int global_avgpool_case_0(ModelBuilder *mb, int x) {
    return builder_global_avgpool(mb, x);
}

static const OpCheckCase GLOBAL_AVGPOOL_CASES[] = {
    {"global average pool", 3, 4, 5, global_avgpool_case_0},
};

const OpDescriptor OP_GLOBAL_AVGPOOL = {.name = "global_avgpool", .forward = global_avgpool_layer_forward,
                                        .backward_skips_inputs = true, .backward_skips_output = true,
                                        .backward = global_avgpool_layer_backward,
                                        OP_CHECK_CASES(GLOBAL_AVGPOOL_CASES)};

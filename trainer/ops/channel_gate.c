/* A per-channel gate: every channel of every image multiplied by its own factor, out[c][b][h][w] =
 * x[c][b][h][w] * gate[b][c] (squeeze-and-excitation's rescaling, with the gate computed from x by the layers
 * before it). */
#include "ops.h"
#include "layer.h"

/* x [C][B][HW], gate [B][C] -> out [C][B][HW] */
void channel_gate_forward(real *out, const real *x, const real *gate, int C, int B, int HW) {
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * B * HW >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++) {
            const real g = gate[(size_t)b * C + c];
            const size_t base = ((size_t)c * B + b) * HW;
            for (int i = 0; i < HW; i++) out[base + i] = x[base + i] * g;
        }
}

/* dout [C][B][HW]; adds dout * gate into dx [C][B][HW] and sum over HW of dout * x into dgate [B][C] (either may
 * be NULL; each sum in double, in pixel order) */
void channel_gate_backward(real *dx, real *dgate, const real *dout, const real *x, const real *gate, int C, int B,
                           int HW) {
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * B * HW >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++) {
            const real g = gate[(size_t)b * C + c];
            const size_t base = ((size_t)c * B + b) * HW;
            double sum = 0;
            for (int i = 0; i < HW; i++) {
                if (dx) dx[base + i] += dout[base + i] * g;
                sum += (double)dout[base + i] * x[base + i];
            }
            if (dgate) dgate[(size_t)b * C + c] += (real)sum;
        }
}

/* ---- as a layer: inputs[0] = x (spatial [C][B][H][W]), inputs[1] = the gate (flat [B][C]) ---- */

static void channel_gate_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *x = layer_in_slot(m, l);
    channel_gate_forward(slot_values(m, l->out), slot_values(m, l->in), slot_values(m, l->inputs[1]), x->C, B,
                         x->H * x->W);
}

static void channel_gate_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *x = layer_in_slot(m, l);
    channel_gate_backward(slot_grad(m, l->in), slot_grad(m, l->inputs[1]), slot_grad(m, l->out),
                          slot_values(m, l->in), slot_values(m, l->inputs[1]), x->C, B, x->H * x->W);
}

int builder_channel_gate(ModelBuilder *mb, int x, int gate) {
    const TensorSlot sx = mb->model->slots[x], sg = mb->model->slots[gate];
    if (sx.flat || !sg.flat || sg.H != 1 || sg.C != sx.C)
        return builder_fail(mb, "a channel gate needs a spatial tensor and a flat gate of its channel count");
    const int out = builder_new_slot(mb, sx.C, sx.H, sx.W, false);
    Layer *l = builder_new_layer(mb, LAYER_CHANNEL_GATE, x);
    l->out = out;
    l->inputs[1] = gate;
    l->input_count = 2;
    return out;
}

/* squeeze-and-excitation's shape: the gate computed from x itself (pool, two linear layers) */
static int channel_gate_case_squeeze(ModelBuilder *mb, int x) {
    const int squeezed = builder_global_avgpool(mb, x);
    const int gate = builder_linear(mb, builder_relu(mb, builder_linear(mb, squeezed, 2, true)), 4, true);
    return builder_channel_gate(mb, builder_conv(mb, x, 4, 3, 1, 1, false), gate);
}

/* MobileNet V3's block on a 2x2 map: depthwise 5x5 'same', batch norm, hard swish, and the gate through ReLU and
 * a hard sigmoid (the SE input feeds both the pool and the gate) */
static int channel_gate_case_mobilenet_v3(ModelBuilder *mb, int x) {
    x = builder_hard_swish(mb, builder_batchnorm(mb, builder_grouped_conv(mb, x, 4, 5, 1, 2, 4, false)));
    const int squeezed = builder_global_avgpool(mb, x);
    const int gate = builder_linear(mb, builder_relu(mb, builder_linear(mb, squeezed, 8, true)), 4, true);
    return builder_batchnorm(mb, builder_conv(mb, builder_channel_gate(mb, x, builder_hard_sigmoid(mb, gate)), 3, 1,
                                              1, 0, false));
}

static const OpCheckCase CHANNEL_GATE_CASES[] = {
    {"channel gate, squeeze-and-excitation shape", 3, 5, 5, channel_gate_case_squeeze},
    {"channel gate, MobileNet V3 block on 2x2 (hard sigmoid)", 4, 2, 2, channel_gate_case_mobilenet_v3},
};

const OpDescriptor OP_CHANNEL_GATE = {.name = "channel_gate", .forward = channel_gate_layer_forward,
                                      .backward_skips_output = true,
                                      .backward = channel_gate_layer_backward,
                                      OP_CHECK_CASES(CHANNEL_GATE_CASES)};

/* Rectified linear unit, elementwise. */
#include "ops.h"
#include "layer.h"

/* in [n] -> out [n]; out may alias in (in-place relu) */
void relu_forward(real *out, const real *in, size_t n) {
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0;
}

/* dout, out [n]; adds into din [n]. The forward output is positive exactly where the input was, so the
 * backward needs only the output, and the input buffer can be reused after the forward.
 * In place (din == dout: the ReLU ran in place and its input and output share one gradient buffer, which
 * holds d/d(output) on entry) the gradient is masked instead: d/d(input) = d/d(output) where out > 0. */
void relu_backward(real *din, const real *dout, const real *out, size_t n) {
    if (!din) return;
    if (din == dout) {
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) din[i] = out[i] > 0 ? din[i] : 0;
        return;
    }
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        const real g = dout[i]; /* loaded unconditionally: the select then vectorises instead of branching */
        din[i] += out[i] > 0 ? g : 0;
    }
}

/* ---- as a layer ---- */

static void relu_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    relu_forward(slot_values(m, l->out), slot_values(m, l->in), slot_count_for(m, l->in, B));
}

static void relu_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    real *din = slot_grad(m, l->in);
    if (din)
        relu_backward(din, slot_grad(m, l->out), slot_values(m, l->out), slot_count_for(m, l->in, B));
}

static int relu_case_0(ModelBuilder *mb, int x) {
    return builder_relu(mb, x);
}

static const OpCheckCase RELU_CASES[] = {
    {"ReLU", 3, 4, 4, relu_case_0},
};

const OpDescriptor OP_RELU = {.name = "relu", .forward = relu_layer_forward, .backward = relu_layer_backward,
                              .runs_in_place = true, .backward_skips_inputs = true, OP_CHECK_CASES(RELU_CASES)};

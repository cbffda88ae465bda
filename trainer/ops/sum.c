/* The sum of N tensors of one shape (a block that merges several branches by addition). The terms are added in
 * input order, so the result does not depend on anything but the inputs. */
#include "ops.h"
#include "layer.h"

/* inputs[k] [n] -> out [n] = ((inputs[0] + inputs[1]) + inputs[2]) + ...; out may alias an input */
void sum_forward(real *out, const real *const *inputs, int count, size_t n) {
#pragma omp parallel for schedule(dynamic, 1) if (n >= OPS_PARALLEL_MIN)
    for (size_t start = 0; start < n; start += OPS_ELEMENT_CHUNK) {
        const size_t end = n - start < OPS_ELEMENT_CHUNK ? n : start + OPS_ELEMENT_CHUNK;
        for (size_t i = start; i < end; i++) {
            real s = inputs[0][i];
            for (int k = 1; k < count; k++) s += inputs[k][i];
            out[i] = s;
        }
    }
}

/* dout [n] added into every dinputs[k] [n]; one that is dout's own buffer (the gradient plan handed the output's
 * region on to that input) already holds it, and NULL needs none */
void sum_backward(real *const *dinputs, int count, const real *dout, size_t n) {
    for (int k = 0; k < count; k++) {
        real *d = dinputs[k];
        if (!d || d == dout) continue;
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) d[i] += dout[i];
    }
}

/* ---- as a layer: out = the sum of inputs[0..input_count) ---- */

static void sum_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const real *inputs[LAYER_MAX_INPUTS];
    for (int k = 0; k < l->input_count; k++) inputs[k] = slot_values(m, l->inputs[k]);
    sum_forward(slot_values(m, l->out), inputs, l->input_count, slot_count_for(m, l->out, B));
}

static void sum_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    real *dinputs[LAYER_MAX_INPUTS];
    for (int k = 0; k < l->input_count; k++) dinputs[k] = slot_grad(m, l->inputs[k]);
    sum_backward(dinputs, l->input_count, slot_grad(m, l->out), slot_count_for(m, l->out, B));
}

int builder_sum(ModelBuilder *mb, const int *xs, int n) {
    if (n < 1 || n > LAYER_MAX_INPUTS) return builder_fail(mb, "a sum of 1 to 64 tensors");
    const TensorSlot first = mb->model->slots[xs[0]];
    for (int k = 1; k < n; k++) {
        const TensorSlot *s = &mb->model->slots[xs[k]];
        if (s->C != first.C || s->H != first.H || s->W != first.W || s->flat != first.flat)
            return builder_fail(mb, "a sum of tensors with different shapes");
    }
    const int out = builder_new_slot(mb, first.C, first.H, first.W, first.flat);
    Layer *l = builder_new_layer(mb, LAYER_SUM, xs[0]);
    l->out = out;
    for (int k = 0; k < n; k++) l->inputs[k] = xs[k];
    l->input_count = n;
    return out;
}

/* three branches, one of them the input itself (whose gradient also reaches the stem by another path) */
static int sum_case_branches(ModelBuilder *mb, int x) {
    const int a = builder_conv(mb, x, 3, 3, 1, 1, true);
    const int b = builder_relu(mb, builder_conv(mb, x, 3, 1, 1, 0, true));
    const int terms[] = {a, x, b};
    return builder_sum(mb, terms, 3);
}

/* a term repeated: its gradient is dout twice */
static int sum_case_repeated(ModelBuilder *mb, int x) {
    const int a = builder_conv(mb, x, 2, 1, 1, 0, true);
    const int terms[] = {a, a, builder_conv(mb, x, 2, 3, 1, 1, false)};
    return builder_relu(mb, builder_sum(mb, terms, 3));
}

static const OpCheckCase SUM_CASES[] = {
    {"sum of three branches", 3, 5, 5, sum_case_branches},
    {"sum with a term repeated", 2, 4, 4, sum_case_repeated},
};

const OpDescriptor OP_SUM = {.name = "sum", .forward = sum_layer_forward, .backward = sum_layer_backward,
                             .backward_skips_inputs = true, .backward_skips_output = true,
                             .grad_in_place = true, OP_CHECK_CASES(SUM_CASES)};

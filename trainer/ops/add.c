/* Residual addition: out = a + b, elementwise. */
#include "ops.h"
#include "layer.h"

/* a, b [n] -> out [n]; out may alias a or b */
void add_forward(real *out, const real *a, const real *b, size_t n) {
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/* dout [n]; adds dout into da [n] and db [n] (either may be NULL). An input gradient that is dout's own buffer
 * (grad_plan.c hands a residual add's output gradient region on to an input) already holds its gradient. */
void add_backward(real *da, real *db, const real *dout, size_t n) {
    if (da == dout) da = NULL;
    if (db == dout) db = NULL;
    if (!da || !db) { /* one gradient to add into (or none): the loop below would test a NULL pointer per value */
        real *d = da ? da : db;
        if (!d) return;
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) d[i] += dout[i];
        return;
    }
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

/* a, b [n] -> out [n] = max(0, a + b): the residual add and the in-place ReLU after it as one pass */
void add_relu_forward(real *out, const real *a, const real *b, size_t n) {
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        const real v = a[i] + b[i];
        out[i] = v > 0 ? v : 0;
    }
}

/* dout [n], the gradient of out = max(0, a + b), and out [n]; adds dout where out > 0 into da and db (either
 * may be NULL). dout and out may be the buffers the ReLU would have run in place on. An input gradient that is
 * dout's own buffer (see add_backward) gets the masked gradient in place, as relu_backward does. */
void add_relu_backward(real *da, real *db, const real *dout, const real *out, size_t n) {
    if (db == dout && da != dout) { /* the sum is symmetric: make a the in-place one */
        real *swap = da;
        da = db;
        db = swap;
    }
    if (da == dout) {
        if (!db || db == dout) { /* no other gradient, or both inputs share the region: only the mask */
            relu_backward(da, da, out, n);
            return;
        }
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) {
            const real g = out[i] > 0 ? da[i] : 0;
            da[i] = g;
            db[i] += g;
        }
        return;
    }
    if (!da || !db) { /* one gradient to add into (or none) */
        real *d = da ? da : db;
        if (d) relu_backward(d, dout, out, n);
        return;
    }
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        const real d = dout[i]; /* loaded unconditionally: the select then vectorises */
        const real g = out[i] > 0 ? d : 0;
        da[i] += g;
        db[i] += g;
    }
}

/* ---- as a layer: out = inputs[0] + inputs[1] (a residual add), with the ReLU after it when the builder fused them
 * (relu_after) ---- */

static void add_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    real *out = slot_values(m, l->out);
    const real *a = slot_values(m, l->in), *b = slot_values(m, l->inputs[1]);
    if (l->relu_after)
        add_relu_forward(out, a, b, slot_count_for(m, l->out, B));
    else
        add_forward(out, a, b, slot_count_for(m, l->out, B));
}

static void add_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    real *da = slot_grad(m, l->in), *db = slot_grad(m, l->inputs[1]);
    const real *dout = slot_grad(m, l->out);
    if (l->relu_after) /* dout: the gradient of the ReLU's output, which shares this layer's buffers */
        add_relu_backward(da, db, dout, slot_values(m, l->out), slot_count_for(m, l->out, B));
    else
        add_backward(da, db, dout, slot_count_for(m, l->out, B));
}

static int add_case_0(ModelBuilder *mb, int x) {
    return builder_add(mb, x, builder_conv(mb, x, 3, 3, 1, 1, false));
}

static int add_case_1(ModelBuilder *mb, int x) {
    return builder_relu(mb, builder_add(mb, builder_conv(mb, x, 3, 1, 1, 0, true), x));
}

static int add_case_2(ModelBuilder *mb, int x) {
    return builder_add(mb, x, x);
}

static const OpCheckCase ADD_CASES[] = {
    {"residual add", 3, 4, 4, add_case_0},
    {"residual add + ReLU (fused)", 3, 4, 4, add_case_1},
    {"a + a", 2, 3, 3, add_case_2},
};

const OpDescriptor OP_ADD = {.name = "add", .forward = add_layer_forward, .backward = add_layer_backward,
                             .backward_skips_inputs = true, .backward_skips_output = true,
                             .grad_in_place = true,
                             OP_CHECK_CASES(ADD_CASES)};

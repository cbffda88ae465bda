/* Inverted dropout: surviving activations are scaled by 1/(1-p) at training time, so evaluation needs no
 * rescaling (evaluation simply skips the op). */
#include <string.h>

#include "ops.h"
#include "layer.h"

/* in [n] -> out [n], mask [n] (each 0 or 1/(1-p)); draws n uniforms from rng when 0 < p < 1. */
void dropout_forward(real *out, real *mask, const real *in, size_t n, real p, Rng *rng) {
    if (p <= 0) {
        /* Identity: no draws, so a run with dropout disabled consumes the same random stream as before. */
        for (size_t i = 0; i < n; i++) {
            mask[i] = 1;
            out[i] = in[i];
        }
        return;
    }
    if (p >= 1) {
        /* Everything dropped (PyTorch returns zeros); 1/(1-p) would be infinite. */
        for (size_t i = 0; i < n; i++) {
            mask[i] = 0;
            out[i] = 0;
        }
        return;
    }
    const real keep_scale = (real)(1.0 / (1.0 - (double)p));
    const double drop_probability = p;
    for (size_t i = 0; i < n; i++) {
        mask[i] = rng_uniform(rng) < drop_probability ? 0 : keep_scale;
        out[i] = in[i] * mask[i];
    }
}

/* dout, mask [n]; adds into din [n] (in place when din == dout, see ops.h) */
void dropout_backward(real *din, const real *dout, const real *mask, size_t n) {
    if (!din) return;
    if (din == dout)
        for (size_t i = 0; i < n; i++) din[i] *= mask[i];
    else
        for (size_t i = 0; i < n; i++) din[i] += dout[i] * mask[i];
}

/* ---- as a layer: saves its mask (one real per element) in training; the identity otherwise ---- */

static void dropout_layer_forward(Model *m, const Layer *l, int B, bool training) {
    real *out = slot_values(m, l->out);
    const real *in = slot_values(m, l->in);
    const size_t n = slot_count_for(m, l->in, B);
    if (training && l->dropout_p > 0)
        dropout_forward(out, layer_saved(m, l), in, n, l->dropout_p, &m->dropout_rng);
    else
        memcpy(out, in, n * sizeof(real));
}

static void dropout_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    real *din = slot_grad(m, l->in);
    if (!din) return;
    if (l->dropout_p > 0)
        dropout_backward(din, slot_grad(m, l->out), layer_saved(m, l), slot_count_for(m, l->in, B));
    else /* identity: dout added into din, or nothing when the plan handed dout's region on */
        add_backward(din, NULL, slot_grad(m, l->out), slot_count_for(m, l->in, B));
}

static size_t dropout_layer_saved(const Model *m, const Layer *l, int batch) {
    return slot_count_for(m, l->out, batch);
}

static int dropout_case_0(ModelBuilder *mb, int x) {
    return builder_dropout(mb, x, 0.3);
}

static int dropout_case_1(ModelBuilder *mb, int x) {
    return builder_dropout(mb, x, 0);
}

static const OpCheckCase DROPOUT_CASES[] = {
    {"dropout 0.3", 3, 4, 4, dropout_case_0},
    {"dropout 0 (identity)", 2, 3, 3, dropout_case_1},
};

const OpDescriptor OP_DROPOUT = {.name = "dropout", .forward = dropout_layer_forward,
                                 .backward_skips_inputs = true, .backward_skips_output = true,
                                 .backward = dropout_layer_backward, .saved_reals = dropout_layer_saved,
                                 .grad_in_place = true,
                                 OP_CHECK_CASES(DROPOUT_CASES)};

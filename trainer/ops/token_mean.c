/* Mean pooling over tokens: the average of tokens first .. T-1 of every sample (first = 1 skips ViT's class
 * token, as timm's global_pool='avg'; first = 0 averages all, as MLP-Mixer). */
#include "ops.h"
#include "layer.h"

/* in [B][T][D] -> out [B][D] */
void token_mean_forward(real *out, const real *in, int B, int T, int D, int first) {
    const int count = T - first;
    if (count <= 0) return;
    const real inv = (real)(1.0 / count);
    for (int b = 0; b < B; b++) {
        real *y = out + (size_t)b * D;
        for (int d = 0; d < D; d++) y[d] = 0;
        for (int t = first; t < T; t++) {
            const real *x = in + ((size_t)b * T + t) * D;
            for (int d = 0; d < D; d++) y[d] += x[d];
        }
        for (int d = 0; d < D; d++) y[d] *= inv;
    }
}

/* dout [B][D]; adds dout / (T - first) into every pooled token of din [B][T][D] */
void token_mean_backward(real *din, const real *dout, int B, int T, int D, int first) {
    const int count = T - first;
    if (!din || count <= 0) return;
    const real inv = (real)(1.0 / count);
    for (int b = 0; b < B; b++) {
        const real *g = dout + (size_t)b * D;
        for (int t = first; t < T; t++) {
            real *dx = din + ((size_t)b * T + t) * D;
            for (int d = 0; d < D; d++) dx[d] += g[d] * inv;
        }
    }
}

/* ---- as a layer: [B][T][D] -> [B][D], the mean of tokens l->token..T-1 ---- */

static void token_mean_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    token_mean_forward(slot_values(m, l->out), slot_values(m, l->in), B, in->H, in->C, l->token);
}

static void token_mean_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    token_mean_backward(slot_grad(m, l->in), slot_grad(m, l->out), B, in->H, in->C, l->token);
}

static int token_mean_case_0(ModelBuilder *mb, int x) {
    return builder_token_mean(mb, builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0), 1);
}

static const OpCheckCase TOKEN_MEAN_CASES[] = {
    {"token mean from token 1", 3, 4, 4, token_mean_case_0},
};

const OpDescriptor OP_TOKEN_MEAN = {.name = "token_mean", .forward = token_mean_layer_forward,
                                    .backward_skips_inputs = true, .backward_skips_output = true,
                                    .backward = token_mean_layer_backward,
                                    OP_CHECK_CASES(TOKEN_MEAN_CASES)};

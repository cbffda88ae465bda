/* Selecting one token of every sample: ViT's class-token pooling (index 0). */
#include <string.h>

#include "ops.h"
#include "layer.h"

/* in [B][T][D] -> out [B][D] = in[b][index] */
void token_select_forward(real *out, const real *in, int B, int T, int D, int index) {
    for (int b = 0; b < B; b++)
        memcpy(out + (size_t)b * D, in + ((size_t)b * T + index) * D, (size_t)D * sizeof(real));
}

/* dout [B][D]; adds into token `index` of din [B][T][D] (the other tokens get nothing from this path) */
void token_select_backward(real *din, const real *dout, int B, int T, int D, int index) {
    if (!din) return;
    for (int b = 0; b < B; b++) {
        real *dx = din + ((size_t)b * T + index) * D;
        const real *g = dout + (size_t)b * D;
        for (int d = 0; d < D; d++) dx[d] += g[d];
    }
}

/* ---- as a layer: [B][T][D] -> [B][D], token l->token ---- */

static void token_select_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    token_select_forward(slot_values(m, l->out), slot_values(m, l->in), B, in->H, in->C, l->token);
}

static void token_select_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    token_select_backward(slot_grad(m, l->in), slot_grad(m, l->out), B, in->H, in->C, l->token);
}

static int token_select_case_0(ModelBuilder *mb, int x) {
    return builder_token_select(mb, builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0), 2);
}

static const OpCheckCase TOKEN_SELECT_CASES[] = {
    {"token select", 3, 4, 4, token_select_case_0},
};

const OpDescriptor OP_TOKEN_SELECT = {.name = "token_select", .forward = token_select_layer_forward,
                                      .backward_skips_inputs = true, .backward_skips_output = true,
                                      .backward = token_select_layer_backward,
                                      OP_CHECK_CASES(TOKEN_SELECT_CASES)};

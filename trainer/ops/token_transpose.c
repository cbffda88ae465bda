/* Swapping the two inner axes of a token tensor, [B][R][C] -> [B][C][R]: MLP-Mixer's token mixing becomes
 * an ordinary linear layer (over rows of T values) between two transposes. */
#include "ops.h"
#include "layer.h"

/* Square tiles keep both the reads and the writes within a few cache lines. */
#define TRANSPOSE_TILE 32

/* in [B][R][C] -> out [B][C][R] */
void token_transpose_forward(real *out, const real *in, int B, int R, int C) {
    const size_t sample = (size_t)R * C;
    for (int b = 0; b < B; b++) {
        const real *x = in + (size_t)b * sample;
        real *y = out + (size_t)b * sample;
        for (int r0 = 0; r0 < R; r0 += TRANSPOSE_TILE)
            for (int c0 = 0; c0 < C; c0 += TRANSPOSE_TILE) {
                const int r1 = r0 + TRANSPOSE_TILE < R ? r0 + TRANSPOSE_TILE : R;
                const int c1 = c0 + TRANSPOSE_TILE < C ? c0 + TRANSPOSE_TILE : C;
                for (int c = c0; c < c1; c++)
                    for (int r = r0; r < r1; r++) y[(size_t)c * R + r] = x[(size_t)r * C + c];
            }
    }
}

/* dout [B][C][R]; adds its transpose into din [B][R][C] */
void token_transpose_backward(real *din, const real *dout, int B, int R, int C) {
    if (!din) return;
    const size_t sample = (size_t)R * C;
    for (int b = 0; b < B; b++) {
        const real *g = dout + (size_t)b * sample;
        real *dx = din + (size_t)b * sample;
        for (int r0 = 0; r0 < R; r0 += TRANSPOSE_TILE)
            for (int c0 = 0; c0 < C; c0 += TRANSPOSE_TILE) {
                const int r1 = r0 + TRANSPOSE_TILE < R ? r0 + TRANSPOSE_TILE : R;
                const int c1 = c0 + TRANSPOSE_TILE < C ? c0 + TRANSPOSE_TILE : C;
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) dx[(size_t)r * C + c] += g[(size_t)c * R + r];
            }
    }
}

/* ---- as a layer: [B][T][D] -> [B][D][T] ---- */

static void token_transpose_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    token_transpose_forward(slot_values(m, l->out), slot_values(m, l->in), B, in->H, in->C);
}

static void token_transpose_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    token_transpose_backward(slot_grad(m, l->in), slot_grad(m, l->out), B, in->H, in->C);
}

static int token_transpose_case_0(ModelBuilder *mb, int x) {
    return builder_token_transpose(mb, builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0));
}

static const OpCheckCase TOKEN_TRANSPOSE_CASES[] = {
    {"token transpose", 3, 4, 4, token_transpose_case_0},
};

const OpDescriptor OP_TOKEN_TRANSPOSE = {.name = "token_transpose", .forward = token_transpose_layer_forward,
                                         .backward_skips_inputs = true, .backward_skips_output = true,
                                         .backward = token_transpose_layer_backward,
                                         OP_CHECK_CASES(TOKEN_TRANSPOSE_CASES)};

/* ViT's class token and learned position embedding: prepend the class token to every sample's patch
 * tokens and add the position embedding to all T+1 tokens (timm's _pos_embed with a class token). */
#include "ops.h"
#include "layer.h"

/* Batch sums of dpos are taken this many features at a time in double accumulators. */
#define POS_COLUMN_BLOCK 64

/* in [B][T][D], cls [D], pos [T+1][D] -> out [B][T+1][D]:
 *   out[b][0] = cls + pos[0],  out[b][1 + t] = in[b][t] + pos[1 + t] */
void cls_pos_forward(real *out, const real *in, const real *cls, const real *pos, int B, int T, int D) {
    const size_t sample_in = (size_t)T * D, sample_out = (size_t)(T + 1) * D;
    for (int b = 0; b < B; b++) {
        real *o = out + (size_t)b * sample_out;
        const real *x = in + (size_t)b * sample_in;
        for (int d = 0; d < D; d++) o[d] = cls[d] + pos[d];
        for (size_t i = 0; i < sample_in; i++) o[D + i] = x[i] + pos[D + i];
    }
}

/* dout [B][T+1][D]; adds into din [B][T][D], dcls [D], dpos [T+1][D] (any may be NULL). */
void cls_pos_backward(real *din, real *dcls, real *dpos, const real *dout, int B, int T, int D) {
    const size_t sample_in = (size_t)T * D, sample_out = (size_t)(T + 1) * D;
    if (din)
        for (int b = 0; b < B; b++) {
            const real *g = dout + (size_t)b * sample_out + D;
            real *dx = din + (size_t)b * sample_in;
            for (size_t i = 0; i < sample_in; i++) dx[i] += g[i];
        }
    if (!dcls && !dpos) return;
    /* dpos[i] = sum_b dout[b][i] over the (T+1)*D positions; dcls = the token-0 part of the same sums. */
    for (size_t i0 = 0; i0 < sample_out; i0 += POS_COLUMN_BLOCK) {
        const int width = sample_out - i0 < POS_COLUMN_BLOCK ? (int)(sample_out - i0) : POS_COLUMN_BLOCK;
        double sums[POS_COLUMN_BLOCK] = {0};
        for (int b = 0; b < B; b++) {
            const real *g = dout + (size_t)b * sample_out + i0;
            for (int j = 0; j < width; j++) sums[j] += g[j];
        }
        for (int j = 0; j < width; j++) {
            if (dpos) dpos[i0 + j] += (real)sums[j];
            if (dcls && i0 + j < (size_t)D) dcls[i0 + j] += (real)sums[j];
        }
    }
}

/* ---- as a layer: [B][T][D] -> [B][T+1][D]; weight = class token [D], bias = position embedding [T+1][D] ---- */

static void cls_pos_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    cls_pos_forward(slot_values(m, l->out), slot_values(m, l->in), layer_param(m, l->weight), layer_param(m, l->bias),
                    B, in->H, in->C);
}

static void cls_pos_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    cls_pos_backward(slot_grad(m, l->in), layer_param_grad(m, l->weight), layer_param_grad(m, l->bias),
                     slot_grad(m, l->out), B, in->H, in->C);
}

/* both normal(0, init_std): the class token, then the position embedding */
static void cls_pos_layer_init(Model *m, const Layer *l, Rng *rng) {
    init_normal(m->params + l->weight, l->weight_count, l->init_std, rng);
    init_normal(m->params + l->bias, l->bias_count, l->init_std, rng);
}

static int cls_pos_case_0(ModelBuilder *mb, int x) {
    return builder_cls_pos(mb, builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0), 0.5);
}

static const OpCheckCase CLS_POS_CASES[] = {
    {"class token + position embedding", 3, 4, 4, cls_pos_case_0},
};

const OpDescriptor OP_CLS_POS = {.name = "cls_pos", .forward = cls_pos_layer_forward,
                                 .backward_skips_inputs = true, .backward_skips_output = true,
                                 .backward = cls_pos_layer_backward, .init = cls_pos_layer_init,
                                 OP_CHECK_CASES(CLS_POS_CASES)};

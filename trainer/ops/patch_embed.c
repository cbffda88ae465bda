/* Patch embedding (ViT / MLP-Mixer stem): a PxP convolution with stride P, written as what it is when the
 * stride equals the kernel: cut the image into non-overlapping patches (a reshape, no overlap, no padding)
 * and apply one linear map to every patch of the whole mini-batch in ONE GEMM,
 *     out[B*T][D] = patches[B*T][C*P*P] x weight[D][C*P*P]^T + bias.
 * The weight is stored as PyTorch's Conv2d(C, D, P, stride=P) weight [D][C][P][P], whose rows flatten in
 * the same (c, kh, kw) order as a patch row, and the tokens come out in PyTorch's
 * conv(x).flatten(2).transpose(1, 2) order: t = gy * GW + gx over the patch grid, row-major. */
#include <string.h>

#include "ops.h"
#include "layer.h"

void patch_shape_init(PatchShape *s, int B, int C, int H, int W, int P, int D) {
    s->B = B;
    s->C = C;
    s->H = H;
    s->W = W;
    s->P = P;
    s->D = D;
    s->GH = H / P; /* floor, as a stride-P convolution without padding: trailing pixels are not used */
    s->GW = W / P;
    s->T = s->GH * s->GW;
}

static size_t patch_matrix_size(const PatchShape *s) { return (size_t)s->B * s->T * s->C * s->P * s->P; }

/* the patch matrix, then linear_backward's workspace */
size_t patch_embed_workspace_size(const PatchShape *s) {
    return patch_matrix_size(s) + linear_workspace_size(s->B * s->T, s->C * s->P * s->P, s->D);
}

/* in [C][B][H][W] -> patches [B*T][C*P*P]; row (b, gy, gx), column (c, kh, kw). Each inner step copies one
 * run of P contiguous pixels. */
static void gather_patches(real *patches, const real *in, const PatchShape *s) {
    const int P = s->P;
    const size_t plane = (size_t)s->H * s->W;
    real *dst = patches;
    for (int b = 0; b < s->B; b++)
        for (int gy = 0; gy < s->GH; gy++)
            for (int gx = 0; gx < s->GW; gx++)
                for (int c = 0; c < s->C; c++) {
                    const real *src = in + ((size_t)c * s->B + b) * plane + (size_t)gy * P * s->W + (size_t)gx * P;
                    for (int kh = 0; kh < P; kh++, dst += P) memcpy(dst, src + (size_t)kh * s->W, (size_t)P * sizeof(real));
                }
}

/* The adjoint of gather_patches: adds dpatches [B*T][C*P*P] into din [C][B][H][W]. */
static void scatter_patches_add(real *din, const real *dpatches, const PatchShape *s) {
    const int P = s->P;
    const size_t plane = (size_t)s->H * s->W;
    const real *src = dpatches;
    for (int b = 0; b < s->B; b++)
        for (int gy = 0; gy < s->GH; gy++)
            for (int gx = 0; gx < s->GW; gx++)
                for (int c = 0; c < s->C; c++) {
                    real *dst = din + ((size_t)c * s->B + b) * plane + (size_t)gy * P * s->W + (size_t)gx * P;
                    for (int kh = 0; kh < P; kh++, src += P) {
                        real *row = dst + (size_t)kh * s->W;
                        for (int kw = 0; kw < P; kw++) row[kw] += src[kw];
                    }
                }
}

/* in [C][B][H][W], weight [D][C][P][P], bias [D] or NULL -> out [B][T][D];
 * workspace: patch_embed_workspace_size(s) reals (the patch matrix). */
void patch_embed_forward(real *out, const real *in, const real *weight, const real *bias, const PatchShape *s,
                         real *workspace) {
    if (s->B <= 0 || s->T <= 0) return;
    gather_patches(workspace, in, s);
    linear_forward(out, workspace, weight, bias, s->B * s->T, s->C * s->P * s->P, s->D);
}

/* dout [B][T][D], in [C][B][H][W], weight [D][C][P][P]; adds into din [C][B][H][W], dweight, dbias (any may
 * be NULL). The patch matrix is rebuilt in the workspace for dweight, which then holds dpatches for din. */
void patch_embed_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in, const real *weight,
                          const PatchShape *s, real *workspace) {
    if (s->B <= 0 || s->T <= 0) return;
    const int rows = s->B * s->T, K = s->C * s->P * s->P;
    if (dweight || dbias) {
        if (dweight) gather_patches(workspace, in, s);
        linear_backward(NULL, GRAD_ADD, dweight, dbias, dout, workspace, weight, rows, K, s->D,
                        workspace + patch_matrix_size(s));
    }
    if (din && K > 0) {
        /* dpatches[B*T][K] = dout[B*T][D] x weight[D][K] */
        gemm_tiled(false, false, rows, K, s->D, 1, dout, s->D, weight, K, 0, workspace, K);
        scatter_patches_add(din, workspace, s);
    }
}

/* ---- as a layer: [C][B][H][W] -> tokens [B][T][D]; weight [D][C][P][P] (P = l->kernel), bias [D] ---- */

static PatchShape layer_patch_shape(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l);
    PatchShape s;
    patch_shape_init(&s, B, in->C, in->H, in->W, l->kernel, layer_out_slot(m, l)->C);
    return s;
}

static void patch_embed_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const PatchShape s = layer_patch_shape(m, l, B);
    patch_embed_forward(slot_values(m, l->out), slot_values(m, l->in), layer_param(m, l->weight),
                        layer_param(m, l->bias), &s, m->workspace);
}

static void patch_embed_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const PatchShape s = layer_patch_shape(m, l, B);
    patch_embed_backward(slot_grad(m, l->in), layer_param_grad(m, l->weight), layer_param_grad(m, l->bias),
                         slot_grad(m, l->out), slot_values(m, l->in), layer_param(m, l->weight), &s, m->workspace);
}

static size_t patch_embed_layer_workspace(const Model *m, const Layer *l, int batch) {
    const PatchShape s = layer_patch_shape(m, l, batch);
    return patch_embed_workspace_size(&s);
}

/* tokens x (C x P x P) multiply-adds per output feature */
static double patch_embed_layer_flops(const Model *m, const Layer *l, int B) {
    const TensorSlot *out = layer_out_slot(m, l);
    return 2.0 * (double)l->weight_count * out->H * out->W * B;
}

static void patch_embed_layer_init(Model *m, const Layer *l, Rng *rng) {
    init_affine(m, l, (size_t)layer_in_slot(m, l)->C * l->kernel * l->kernel, (size_t)layer_out_slot(m, l)->C, rng);
}

static int patch_embed_case_0(ModelBuilder *mb, int x) {
    return builder_patch_embed(mb, x, 5, 2, INIT_TORCH_DEFAULT, 0);
}

static int patch_embed_case_1(ModelBuilder *mb, int x) {
    return builder_patch_embed(mb, x, 3, 2, INIT_TRUNC_NORMAL, 0.02);
}

static const OpCheckCase PATCH_EMBED_CASES[] = {
    {"patch embedding 2x2", 3, 4, 4, patch_embed_case_0},
    {"patch embedding, image not a multiple of the patch", 2, 5, 7, patch_embed_case_1},
};

const OpDescriptor OP_PATCH_EMBED = {.name = "patch_embed", .forward = patch_embed_layer_forward,
                                     .backward_skips_output = true,
                                     .backward = patch_embed_layer_backward,
                                     .workspace_reals = patch_embed_layer_workspace,
                                     .forward_flops = patch_embed_layer_flops, .init = patch_embed_layer_init,
                                     OP_CHECK_CASES(PATCH_EMBED_CASES)};

/* The core of multi-head self-attention, from the fused QKV projection to the context:
 *     per sample b and head h:  S = Q_h K_h^T / sqrt(dh),  A = softmax_rows(S),  A' = dropout(A),  O_h = A' V_h
 * for the first Tq of the T tokens as queries (Tq = T everywhere but a ViT's last block with class-token
 * pooling, where only the class token's context reaches the loss: Tq = 1) against all T as keys and values.
 * The QKV projection and the output projection are ordinary linear layers over tokens; this op only reads
 * qkv [B][T][3D] (per token: q | k | v, each D = heads * dh wide, head h owning columns h*dh .. h*dh+dh-1,
 * the layout of nn.MultiheadAttention's in_proj) and writes the heads' contexts side by side into [B][Tq][D].
 * Q_h, K_h and V_h are strided views of qkv (row stride 3D), so every product is one GEMM per (sample, head)
 * reading them in place: nothing is copied or transposed. */
#include <math.h>

#include <omp.h>

#include "fast_math.h"

#include "ops.h"
#include "layer.h"

size_t attention_workspace_size(int Tq, int T, int slots) { return (size_t)(slots > 1 ? slots : 1) * 2 * (size_t)Tq * T; }

/* Threads for a loop over B samples: no more than the workspace slots (each thread uses its own). */
static int sample_threads(int B, int slots) {
    int threads = omp_get_max_threads();
    if (threads > slots) threads = slots;
    if (threads > B) threads = B;
    return threads < 1 ? 1 : threads;
}

/* Row-wise softmax of a [rows][T] block in place: max subtracted, sum in double. The max and the sum run in
 * LANES independent partial results (a fixed order, so the result does not depend on the machine), which
 * GCC vectorises; one running max or sum would be a chain of dependent scalar operations. */
#define LANES 8
static inline __attribute__((always_inline)) void softmax_rows(real *s, int rows, int T) {
    for (int i = 0; i < rows; i++) {
        real *row = s + (size_t)i * T;
        real lane_max[LANES];
        for (int j = 0; j < LANES; j++) lane_max[j] = row[0];
        int j0 = 0;
        for (; j0 + LANES <= T; j0 += LANES)
            for (int j = 0; j < LANES; j++) lane_max[j] = row[j0 + j] > lane_max[j] ? row[j0 + j] : lane_max[j];
        real max = row[0];
        for (int j = j0; j < T; j++) max = row[j] > max ? row[j] : max;
        for (int j = 0; j < LANES; j++) max = lane_max[j] > max ? lane_max[j] : max;
        for (int j = 0; j < T; j++) row[j] = real_exp(row[j] - max);
        double lane_sum[LANES] = {0}, sum = 0;
        for (j0 = 0; j0 + LANES <= T; j0 += LANES)
            for (int j = 0; j < LANES; j++) lane_sum[j] += row[j0 + j];
        for (int j = j0; j < T; j++) sum += row[j];
        for (int j = 0; j < LANES; j++) sum += lane_sum[j];
        const real inv = (real)(1.0 / sum);
        for (int j = 0; j < T; j++) row[j] *= inv;
    }
}

/* qkv [B][T][3D] -> out [B][Tq][D]; probs [B][heads][Tq][T] receives the softmax A (saved for backward);
 * mask [B][heads][Tq][T] the dropout mask (0 or 1/(1-p)) when attention dropout is on, else NULL (then p and
 * rng are unused). workspace: attention_workspace_size(Tq, T, slots) reals. */
OPS_VECTOR_CLONES
void attention_forward(real *out, real *probs, real *mask, const real *qkv, int B, int Tq, int T, int D, int heads,
                       real dropout_p, Rng *rng, real *workspace, int slots) {
    if (B <= 0 || Tq <= 0 || T <= 0 || D <= 0) return;
    const int dh = D / heads, ld = 3 * D;
    const size_t block = (size_t)Tq * T;
    const real scale = (real)(1.0 / sqrt((double)dh));
    /* Samples in parallel (single-threaded GEMMs inside), except with attention dropout, whose masks must be
     * drawn from the run's stream in sample order. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(sample_threads(B, slots)) if (!mask)
    for (int b = 0; b < B; b++) {
        const real *x = qkv + (size_t)b * T * ld;
        for (int h = 0; h < heads; h++) {
            const real *q = x + (size_t)h * dh, *k = q + D, *v = q + 2 * D;
            real *a = probs + ((size_t)b * heads + h) * block;
            /* S[Tq][T] = scale * Q[Tq][dh] x K[T][dh]^T */
            gemm(false, true, Tq, T, dh, scale, q, ld, k, ld, 0, a, T);
            softmax_rows(a, Tq, T);
            const real *used = a;
            if (mask) {
                dropout_forward(workspace, mask + ((size_t)b * heads + h) * block, a, block, dropout_p, rng);
                used = workspace; /* serial loop: slot 0 */
            }
            /* O_h[Tq][dh] (row stride D) = A'[Tq][T] x V[T][dh] */
            gemm(false, false, Tq, dh, T, 1, used, T, v, ld, 0, out + (size_t)b * Tq * D + (size_t)h * dh, D);
        }
    }
}

/* dout [B][Tq][D], qkv [B][T][3D], probs (and mask, or NULL) [B][heads][Tq][T] from the forward pass;
 * adds into dqkv [B][T][3D] (the Q part of rows Tq.. receives nothing), or with GRAD_WRITE overwrites it (the
 * Q part of rows Tq.. with zeros): every (sample, head) block of dQ, dK and dV receives one product. workspace:
 * attention_workspace_size(Tq, T, slots) reals. Per (sample, head):
 *   dV += A'^T dO;  dA' = dO V^T;  dA = dA' * mask;  dS = A * (dA - rowsum(dA * A));
 *   dQ += scale dS K;  dK += scale dS^T Q */
OPS_VECTOR_CLONES
void attention_backward(real *dqkv, GradMode dqkv_mode, const real *dout, const real *qkv, const real *probs,
                        const real *mask, int B, int Tq, int T, int D, int heads, real *workspace, int slots) {
    if (!dqkv || B <= 0 || Tq <= 0 || T <= 0 || D <= 0) return;
    const int dh = D / heads, ld = 3 * D;
    const size_t block = (size_t)Tq * T;
    const real scale = (real)(1.0 / sqrt((double)dh));
    const real beta = dqkv_mode == GRAD_ADD ? 1 : 0;
    /* samples in parallel: each writes only its own rows of dqkv, with its own slot of the workspace */
#pragma omp parallel for schedule(dynamic, 1) num_threads(sample_threads(B, slots))
    for (int b = 0; b < B; b++) {
        real *dattn = workspace + (size_t)omp_get_thread_num() * 2 * block, *dropped = dattn + block;
        const real *x = qkv + (size_t)b * T * ld;
        real *dx = dqkv + (size_t)b * T * ld;
        if (dqkv_mode == GRAD_WRITE)
            for (int t = Tq; t < T; t++)
                for (int i = 0; i < D; i++) dx[(size_t)t * ld + i] = 0;
        for (int h = 0; h < heads; h++) {
            const real *q = x + (size_t)h * dh, *k = q + D, *v = q + 2 * D;
            real *dq = dx + (size_t)h * dh, *dk = dq + D, *dv = dq + 2 * D;
            const real *a = probs + ((size_t)b * heads + h) * block;
            const real *m = mask ? mask + ((size_t)b * heads + h) * block : NULL;
            const real *o_grad = dout + (size_t)b * Tq * D + (size_t)h * dh;
            const real *used = a;
            if (m) {
                for (size_t i = 0; i < block; i++) dropped[i] = a[i] * m[i];
                used = dropped;
            }
            /* dV[T][dh] (+)= A'^T x dO */
            gemm(true, false, T, dh, Tq, 1, used, T, o_grad, D, beta, dv, ld);
            /* dA'[Tq][T] = dO[Tq][dh] x V[T][dh]^T */
            gemm(false, true, Tq, T, dh, 1, o_grad, D, v, ld, 0, dattn, T);
            if (m)
                for (size_t i = 0; i < block; i++) dattn[i] *= m[i];
            /* softmax backward, row by row (the dot product in LANES double partial sums) */
            for (int i = 0; i < Tq; i++) {
                real *g = dattn + (size_t)i * T;
                const real *p = a + (size_t)i * T;
                double lane[LANES] = {0}, dot = 0;
                int j0 = 0;
                for (; j0 + LANES <= T; j0 += LANES)
                    for (int j = 0; j < LANES; j++) lane[j] += (double)(g[j0 + j] * p[j0 + j]);
                for (int j = j0; j < T; j++) dot += (double)(g[j] * p[j]);
                for (int j = 0; j < LANES; j++) dot += lane[j];
                const real c = (real)dot;
                for (int j = 0; j < T; j++) g[j] = p[j] * (g[j] - c);
            }
            /* dQ[Tq][dh] (+)= scale dS x K;  dK[T][dh] (+)= scale dS^T x Q */
            gemm(false, false, Tq, dh, T, scale, dattn, T, k, ld, beta, dq, ld);
            gemm(true, false, T, dh, Tq, scale, dattn, T, q, ld, beta, dk, ld);
        }
    }
}

/* ---- as a layer: fused qkv [B][T][3D] -> context [B][Tq][D]; saved: the softmax probabilities
 * [B][heads][Tq][T], then (with attention dropout) the mask of the same shape ---- */

static size_t attention_probs_count(const Model *m, const Layer *l, int B) {
    return (size_t)B * l->heads * layer_out_slot(m, l)->H * layer_in_slot(m, l)->H;
}

static void attention_layer_forward(Model *m, const Layer *l, int B, bool training) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    real *probs = layer_saved(m, l);
    real *mask = training && l->dropout_p > 0 ? probs + attention_probs_count(m, l, B) : NULL;
    attention_forward(slot_values(m, l->out), probs, mask, slot_values(m, l->in), B, out->H, in->H, out->C, l->heads,
                      l->dropout_p, &m->dropout_rng, m->workspace, m->thread_slots);
}

static void attention_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    const real *probs = layer_saved(m, l);
    const real *mask = l->dropout_p > 0 ? probs + attention_probs_count(m, l, B) : NULL;
    attention_backward(slot_grad(m, l->in), din_mode, slot_grad(m, l->out), slot_values(m, l->in), probs, mask, B,
                       out->H, in->H, out->C, l->heads, m->workspace, m->thread_slots);
}

static size_t attention_layer_saved(const Model *m, const Layer *l, int batch) {
    const size_t probs = attention_probs_count(m, l, batch);
    return l->dropout_p > 0 ? 2 * probs : probs;
}

static size_t attention_layer_workspace(const Model *m, const Layer *l, int batch) {
    (void)batch;
    return attention_workspace_size(layer_out_slot(m, l)->H, layer_in_slot(m, l)->H, m->thread_slots);
}

/* QK^T and PV: 2 x Tq x T x D multiply-adds each */
static double attention_layer_flops(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    return 2.0 * 2.0 * (double)out->H * in->H * out->C * B;
}

/* a fused qkv [B][T][12] from 2x2 patches of x (D = 4) */
static int attention_case_qkv(ModelBuilder *mb, int x, bool class_token) {
    int tokens = builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0);
    if (class_token) tokens = builder_cls_pos(mb, tokens, 0.5);
    return builder_linear(mb, tokens, 12, true);
}

static int attention_case_0(ModelBuilder *mb, int x) {
    return builder_attention(mb, attention_case_qkv(mb, x, false), 2, 0);
}

static int attention_case_1(ModelBuilder *mb, int x) {
    return builder_attention(mb, attention_case_qkv(mb, x, false), 2, 0.2);
}

static int attention_case_2(ModelBuilder *mb, int x) {
    return builder_attention_queries(mb, attention_case_qkv(mb, x, true), 2, 0, 1);
}

static const OpCheckCase ATTENTION_CASES[] = {
    {"attention, 2 heads", 3, 4, 4, attention_case_0},
    {"attention with dropout", 3, 4, 4, attention_case_1},
    {"attention from the first token (first-token linear, fused)", 3, 4, 4, attention_case_2},
};

const OpDescriptor OP_ATTENTION = {.name = "attention", .forward = attention_layer_forward,
                                   .backward_skips_output = true,
                                   .backward = attention_layer_backward, .saved_reals = attention_layer_saved,
                                   .workspace_reals = attention_layer_workspace,
                                   .forward_flops = attention_layer_flops, .writes_fresh_input_grad = true,
                                   OP_CHECK_CASES(ATTENTION_CASES)};

/* Gradient checks of the transformer / MLP-Mixer ops (patch embedding, class token + position embedding,
 * layer norm, GELU, multi-head attention, token transpose, token mean, token select), in double precision
 * (linked with cohort_trainer_f64), the same way as test_ops_gradcheck.c:
 *
 * L = sum(out .* R) for a fixed random R, so backward receives dL/dout = R; every input and parameter
 * gradient is compared entry by entry with central differences of L. Backward always runs into gradient
 * buffers pre-filled with random values that are subtracted afterwards, so a backward that overwrote
 * instead of adding fails. Forward values are checked against direct loop-by-loop references too. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "gradcheck.h"
#include "ops.h"

/* workspace for two threads: the samples of the attention checks run in parallel (the engine's default here) */
#define ATTENTION_SLOTS 2

_Static_assert(sizeof(real) == sizeof(double), "test_ops_vit must link the double engine");

/* The nonlinear ops (layer norm, GELU, softmax in attention) have a truncation error of O(FD_EPS^2) and the
 * linear ones only rounding noise of O(1e-16 |L| / FD_EPS): 1e-5 keeps both far below the tolerance. */
#define FD_EPS 1e-5
#define GRAD_TOL 1e-6
#define EXACT_TOL 1e-12

static Rng rng;

/* ---- per-op summary of the worst gradient error ---- */

typedef struct {
    char op[32];
    double max_error;
    size_t checked;
} OpSummary;
static OpSummary summaries[32];
static int summary_count;

static void record(const char *op, const char *tensor, GradcheckResult r) {
    printf("  %-34s d%-7s %6zu entries, max rel error %.2e\n", op, tensor, r.checked, r.max_error);
    CHECK_MSG(r.checked > 0 && r.max_error <= GRAD_TOL, "%s d%s[%zu]: analytic %.12g, numeric %.12g (error %.3e)",
              op, tensor, r.worst_index, r.worst_analytic, r.worst_numeric, r.max_error);
    size_t name_length = strcspn(op, " ");
    OpSummary *s = NULL;
    for (int i = 0; i < summary_count; i++)
        if (strlen(summaries[i].op) == name_length && strncmp(summaries[i].op, op, name_length) == 0) s = &summaries[i];
    if (!s && summary_count < 32) {
        s = &summaries[summary_count++];
        snprintf(s->op, sizeof s->op, "%.*s", (int)name_length, op);
    }
    if (s) {
        if (r.max_error > s->max_error) s->max_error = r.max_error;
        s->checked += r.checked;
    }
}

/* ---- gradient buffers pre-filled with a random prior ---- */

typedef struct {
    real *grad, *prior;
    size_t n;
} Grad;

static Grad grad_new(size_t n) {
    Grad g = {test_alloc(n, sizeof(real)), test_alloc(n, sizeof(real)), n};
    fill_normal(g.prior, n, 1.0, &rng);
    memcpy(g.grad, g.prior, n * sizeof(real));
    return g;
}

static void grad_finish(Grad *g) {
    for (size_t i = 0; i < g->n; i++) g->grad[i] -= g->prior[i];
}

static void grad_free(Grad *g) {
    free(g->grad);
    free(g->prior);
}

static real *random_tensor(size_t n, double scale) {
    real *x = test_alloc(n, sizeof(real));
    fill_normal(x, n, scale, &rng);
    return x;
}

/* max |a - b| / max(1, |b|) */
static double max_scaled_difference(const real *a, const double *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]) / fmax(1.0, fabs(b[i])));
    return worst;
}

/* ============================ patch embedding ============================ */

typedef struct {
    PatchShape s;
    real *in, *weight, *bias, *out, *R, *workspace;
    size_t out_n;
} PatchCtx;

static double patch_loss(void *p) {
    PatchCtx *c = p;
    patch_embed_forward(c->out, c->in, c->weight, c->bias, &c->s, c->workspace);
    return dot_product(c->out, c->R, c->out_n);
}

static void test_patch_embed(const char *label, int B, int C, int H, int W, int P, int D) {
    PatchCtx c;
    patch_shape_init(&c.s, B, C, H, W, P, D);
    CHECK(c.s.GH == H / P && c.s.GW == W / P && c.s.T == (H / P) * (W / P));
    const size_t in_n = (size_t)C * B * H * W, w_n = (size_t)D * C * P * P;
    c.out_n = (size_t)B * c.s.T * D;
    c.in = random_tensor(in_n, 1.0);
    c.weight = random_tensor(w_n, 0.3);
    c.bias = random_tensor((size_t)D, 0.5);
    c.out = test_alloc(c.out_n, sizeof(real));
    c.R = random_tensor(c.out_n, 1.0);
    c.workspace = test_alloc(patch_embed_workspace_size(&c.s), sizeof(real));
    CHECK(patch_embed_workspace_size(&c.s) == (size_t)B * c.s.T * C * P * P + linear_workspace_size(B * c.s.T, C * P * P, D));

    /* forward against a direct stride-P convolution, tokens in PyTorch's flatten(2).transpose(1, 2) order */
    patch_loss(&c);
    double *expected = test_alloc(c.out_n, sizeof(double));
    for (int b = 0; b < B; b++)
        for (int gy = 0; gy < c.s.GH; gy++)
            for (int gx = 0; gx < c.s.GW; gx++)
                for (int d = 0; d < D; d++) {
                    double sum = c.bias[d];
                    for (int ch = 0; ch < C; ch++)
                        for (int kh = 0; kh < P; kh++)
                            for (int kw = 0; kw < P; kw++)
                                sum += c.weight[((size_t)(d * C + ch) * P + kh) * P + kw] *
                                       c.in[(((size_t)ch * B + b) * H + gy * P + kh) * W + gx * P + kw];
                    expected[((size_t)b * c.s.T + gy * c.s.GW + gx) * D + d] = sum;
                }
    CHECK(max_scaled_difference(c.out, expected, c.out_n) <= EXACT_TOL);

    Grad din = grad_new(in_n), dw = grad_new(w_n), db = grad_new((size_t)D);
    patch_embed_backward(din.grad, dw.grad, db.grad, c.R, c.in, c.weight, &c.s, c.workspace);
    grad_finish(&din);
    grad_finish(&dw);
    grad_finish(&db);
    record(label, "in", gradcheck(patch_loss, &c, c.in, din.grad, in_n, FD_EPS, 0, &rng));
    record(label, "weight", gradcheck(patch_loss, &c, c.weight, dw.grad, w_n, FD_EPS, 0, &rng));
    record(label, "bias", gradcheck(patch_loss, &c, c.bias, db.grad, (size_t)D, FD_EPS, 0, &rng));
    /* pixels past the last whole patch are not read: their gradient is exactly zero */
    if (H % P || W % P) {
        bool untouched_zero = true;
        for (int ch = 0; ch < C; ch++)
            for (int b = 0; b < B; b++)
                for (int h = 0; h < H; h++)
                    for (int w = 0; w < W; w++)
                        if ((h >= c.s.GH * P || w >= c.s.GW * P) &&
                            din.grad[(((size_t)ch * B + b) * H + h) * W + w] != 0)
                            untouched_zero = false;
        CHECK(untouched_zero);
    }
    grad_free(&din), grad_free(&dw), grad_free(&db);
    free(expected), free(c.in), free(c.weight), free(c.bias), free(c.out), free(c.R), free(c.workspace);
}

/* ==================== class token + position embedding ==================== */

typedef struct {
    real *in, *cls, *pos, *out, *R;
    int B, T, D;
} ClsPosCtx;

static double cls_pos_loss(void *p) {
    ClsPosCtx *c = p;
    cls_pos_forward(c->out, c->in, c->cls, c->pos, c->B, c->T, c->D);
    return dot_product(c->out, c->R, (size_t)c->B * (c->T + 1) * c->D);
}

static void test_cls_pos(const char *label, int B, int T, int D) {
    const size_t in_n = (size_t)B * T * D, pos_n = (size_t)(T + 1) * D, out_n = (size_t)B * (T + 1) * D;
    ClsPosCtx c = {random_tensor(in_n, 1), random_tensor((size_t)D, 1), random_tensor(pos_n, 1),
                   test_alloc(out_n, sizeof(real)), random_tensor(out_n, 1), B, T, D};
    cls_pos_loss(&c);
    for (int b = 0; b < B; b++)
        for (int t = 0; t <= T; t++)
            for (int d = 0; d < D; d++) {
                double x = t == 0 ? c.cls[d] : c.in[((size_t)b * T + t - 1) * D + d];
                CHECK_CLOSE(c.out[((size_t)b * (T + 1) + t) * D + d], x + c.pos[(size_t)t * D + d], EXACT_TOL);
            }
    Grad din = grad_new(in_n), dcls = grad_new((size_t)D), dpos = grad_new(pos_n);
    cls_pos_backward(din.grad, dcls.grad, dpos.grad, c.R, B, T, D);
    grad_finish(&din), grad_finish(&dcls), grad_finish(&dpos);
    record(label, "in", gradcheck(cls_pos_loss, &c, c.in, din.grad, in_n, FD_EPS, 0, &rng));
    record(label, "cls", gradcheck(cls_pos_loss, &c, c.cls, dcls.grad, (size_t)D, FD_EPS, 0, &rng));
    record(label, "pos", gradcheck(cls_pos_loss, &c, c.pos, dpos.grad, pos_n, FD_EPS, 0, &rng));
    grad_free(&din), grad_free(&dcls), grad_free(&dpos);
    free(c.in), free(c.cls), free(c.pos), free(c.out), free(c.R);
}

/* =============================== layer norm =============================== */

typedef struct {
    real *in, *gamma, *beta, *out, *R, *mean, *invstd;
    int N, D;
    real eps;
} LayerNormCtx;

static double layernorm_loss(void *p) {
    LayerNormCtx *c = p;
    layernorm_forward(c->out, c->mean, c->invstd, c->in, c->gamma, c->beta, c->N, c->D, c->eps);
    return dot_product(c->out, c->R, (size_t)c->N * c->D);
}

static void test_layernorm(const char *label, int N, int D, double offset, double scale) {
    const size_t n = (size_t)N * D;
    LayerNormCtx c = {random_tensor(n, scale), random_tensor((size_t)D, 0.3), random_tensor((size_t)D, 0.5),
                      test_alloc(n, sizeof(real)), random_tensor(n, 1), test_alloc((size_t)N, sizeof(real)),
                      test_alloc((size_t)N, sizeof(real)), N, D, 1e-5};
    for (size_t i = 0; i < n; i++) c.in[i] += offset;
    for (int d = 0; d < D; d++) c.gamma[d] += 1;
    layernorm_loss(&c);
    for (int r = 0; r < N; r++) {
        const real *x = c.in + (size_t)r * D;
        double mean = 0, var = 0;
        for (int d = 0; d < D; d++) mean += x[d];
        mean /= D;
        for (int d = 0; d < D; d++) var += (x[d] - mean) * (x[d] - mean);
        const double invstd = 1 / sqrt(var / D + 1e-5);
        CHECK_CLOSE(c.mean[r], mean, EXACT_TOL);
        CHECK_CLOSE(c.invstd[r], invstd, EXACT_TOL);
        for (int d = 0; d < D; d++)
            CHECK_CLOSE(c.out[(size_t)r * D + d], (x[d] - mean) * invstd * c.gamma[d] + c.beta[d], EXACT_TOL);
    }
    Grad din = grad_new(n), dgamma = grad_new((size_t)D), dbeta = grad_new((size_t)D);
    real *workspace = test_alloc(layernorm_workspace_size(N, D), sizeof(real));
    layernorm_backward(din.grad, dgamma.grad, dbeta.grad, c.R, c.in, c.gamma, c.mean, c.invstd, N, D, workspace);
    free(workspace);
    grad_finish(&din), grad_finish(&dgamma), grad_finish(&dbeta);
    record(label, "in", gradcheck(layernorm_loss, &c, c.in, din.grad, n, FD_EPS, 0, &rng));
    record(label, "gamma", gradcheck(layernorm_loss, &c, c.gamma, dgamma.grad, (size_t)D, FD_EPS, 0, &rng));
    record(label, "beta", gradcheck(layernorm_loss, &c, c.beta, dbeta.grad, (size_t)D, FD_EPS, 0, &rng));
    grad_free(&din), grad_free(&dgamma), grad_free(&dbeta);
    free(c.in), free(c.gamma), free(c.beta), free(c.out), free(c.R), free(c.mean), free(c.invstd);
}

/* ================================== GELU ================================== */

typedef struct {
    real *in, *out, *R;
    size_t n;
    bool tanh_form;
} GeluCtx;

static double gelu_loss(void *p) {
    GeluCtx *c = p;
    gelu_forward(c->out, c->in, c->n, c->tanh_form);
    return dot_product(c->out, c->R, c->n);
}

static void test_gelu(const char *label, bool tanh_form) {
    const size_t n = 64;
    GeluCtx c = {test_alloc(n, sizeof(real)), test_alloc(n, sizeof(real)), random_tensor(n, 1), n, tanh_form};
    fill_uniform(c.in, n, -5, 5, &rng);
    c.in[0] = 0;
    c.in[1] = 1;
    c.in[2] = -1;
    gelu_loss(&c);
    for (size_t i = 0; i < n; i++) {
        const double x = c.in[i];
        const double expected = tanh_form ? 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)))
                                          : 0.5 * x * (1 + erf(x / sqrt(2.0)));
        CHECK_CLOSE(c.out[i], expected, EXACT_TOL);
    }
    /* PyTorch: F.gelu(1.0) and F.gelu(1.0, approximate='tanh') in float64 */
    CHECK_CLOSE(c.out[1], tanh_form ? 0.8411919906082768 : 0.8413447460685429, 1e-15);
    CHECK_CLOSE(c.out[2], tanh_form ? -0.15880800939172324 : -0.15865525393145707, 1e-15);
    Grad din = grad_new(n);
    gelu_backward(din.grad, c.R, c.in, n, tanh_form);
    grad_finish(&din);
    record(label, "in", gradcheck(gelu_loss, &c, c.in, din.grad, n, FD_EPS, 0, &rng));
    grad_free(&din);
    free(c.in), free(c.out), free(c.R);
}

/* =========================== multi-head attention =========================== */

typedef struct {
    real *qkv, *out, *R, *probs, *mask, *workspace;
    int B, Tq, T, D, heads; /* queries: the first Tq of the T tokens */
    real p;
    Rng dropout_start; /* every forward draws the same mask */
} AttentionCtx;

static double attention_loss(void *ptr) {
    AttentionCtx *c = ptr;
    Rng r = c->dropout_start;
    attention_forward(c->out, c->probs, c->p > 0 ? c->mask : NULL, c->qkv, c->B, c->Tq, c->T, c->D, c->heads, c->p, &r,
                      c->workspace, ATTENTION_SLOTS);
    return dot_product(c->out, c->R, (size_t)c->B * c->Tq * c->D);
}

/* softmax(Q K^T / sqrt(dh)) (.* mask) V for queries 0..Tq-1, loop by loop */
static void naive_attention(double *out, const real *qkv, const real *mask, int B, int Tq, int T, int D, int heads) {
    const int dh = D / heads;
    double *a = test_alloc((size_t)T, sizeof(double));
    for (int b = 0; b < B; b++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < Tq; i++) {
                double max = -INFINITY, sum = 0;
                for (int j = 0; j < T; j++) {
                    double s = 0;
                    for (int k = 0; k < dh; k++)
                        s += qkv[((size_t)b * T + i) * 3 * D + h * dh + k] * qkv[((size_t)b * T + j) * 3 * D + D + h * dh + k];
                    a[j] = s / sqrt((double)dh);
                    if (a[j] > max) max = a[j];
                }
                for (int j = 0; j < T; j++) sum += (a[j] = exp(a[j] - max));
                for (int j = 0; j < T; j++) {
                    a[j] /= sum;
                    if (mask) a[j] *= mask[(((size_t)b * heads + h) * Tq + i) * T + j];
                }
                for (int k = 0; k < dh; k++) {
                    double o = 0;
                    for (int j = 0; j < T; j++) o += a[j] * qkv[((size_t)b * T + j) * 3 * D + 2 * D + h * dh + k];
                    out[((size_t)b * Tq + i) * D + h * dh + k] = o;
                }
            }
    free(a);
}

static void test_attention(const char *label, int B, int Tq, int T, int D, int heads, double p) {
    const size_t qkv_n = (size_t)B * T * 3 * D, out_n = (size_t)B * Tq * D, probs_n = (size_t)B * heads * Tq * T;
    AttentionCtx c = {random_tensor(qkv_n, 1.0), test_alloc(out_n, sizeof(real)), random_tensor(out_n, 1),
                      test_alloc(probs_n, sizeof(real)), test_alloc(probs_n, sizeof(real)),
                      test_alloc(attention_workspace_size(Tq, T, ATTENTION_SLOTS), sizeof(real)), B, Tq, T, D, heads, (real)p, rng};
    rng_next(&rng);
    attention_loss(&c);
    double *expected = test_alloc(out_n, sizeof(double));
    naive_attention(expected, c.qkv, p > 0 ? c.mask : NULL, B, Tq, T, D, heads);
    CHECK_MSG(max_scaled_difference(c.out, expected, out_n) <= EXACT_TOL, "%s forward", label);
    for (size_t r = 0; r < probs_n / T; r++) { /* each saved softmax row sums to 1 */
        double sum = 0;
        for (int j = 0; j < T; j++) sum += c.probs[r * T + j];
        CHECK_CLOSE(sum, 1.0, EXACT_TOL);
    }
    if (p > 0) {
        size_t dropped = 0;
        for (size_t i = 0; i < probs_n; i++) {
            dropped += c.mask[i] == 0;
            CHECK(c.mask[i] == 0 || fabs(c.mask[i] - 1 / (1 - p)) < EXACT_TOL);
        }
        CHECK_MSG(dropped > 0 && dropped < probs_n, "%s: %zu of %zu dropped", label, dropped, probs_n);
    }
    Grad dqkv = grad_new(qkv_n);
    attention_backward(dqkv.grad, GRAD_ADD, c.R, c.qkv, c.probs, p > 0 ? c.mask : NULL, B, Tq, T, D, heads, c.workspace,
                       ATTENTION_SLOTS);
    grad_finish(&dqkv);
    record(label, "qkv", gradcheck(attention_loss, &c, c.qkv, dqkv.grad, qkv_n, FD_EPS, 0, &rng));
    /* GRAD_WRITE: the same gradient written over NaN (what the buffer held is ignored), zeros where no query
     * reaches (the Q part of rows Tq..) */
    real *written = test_alloc(qkv_n, sizeof(real));
    for (size_t i = 0; i < qkv_n; i++) written[i] = NAN;
    attention_backward(written, GRAD_WRITE, c.R, c.qkv, c.probs, p > 0 ? c.mask : NULL, B, Tq, T, D, heads,
                       c.workspace, ATTENTION_SLOTS);
    size_t differ = 0, zero_queries = 0;
    for (size_t i = 0; i < qkv_n; i++) {
        differ += !(fabs(written[i] - dqkv.grad[i]) <= EXACT_TOL);
        zero_queries += (int)(i / (3 * D) % T) >= Tq && (int)(i % (3 * D)) < D && written[i] == 0;
    }
    CHECK_MSG(differ == 0, "%s: %zu of %zu written gradients differ from the added ones", label, differ, qkv_n);
    CHECK_MSG(zero_queries == (size_t)B * (T - Tq) * D, "%s: %zu query gradients of rows Tq.. are zero", label,
              zero_queries);
    free(written);
    grad_free(&dqkv);
    free(expected), free(c.qkv), free(c.out), free(c.R), free(c.probs), free(c.mask), free(c.workspace);
}

/* ===================== token transpose, mean, select ===================== */

typedef enum { TOKEN_TRANSPOSE, TOKEN_MEAN, TOKEN_SELECT } TokenOp;

typedef struct {
    TokenOp op;
    real *in, *out, *R;
    int B, T, D, arg;
    size_t out_n;
} TokenCtx;

static double token_loss(void *p) {
    TokenCtx *c = p;
    switch (c->op) {
    case TOKEN_TRANSPOSE: token_transpose_forward(c->out, c->in, c->B, c->T, c->D); break;
    case TOKEN_MEAN: token_mean_forward(c->out, c->in, c->B, c->T, c->D, c->arg); break;
    case TOKEN_SELECT: token_select_forward(c->out, c->in, c->B, c->T, c->D, c->arg); break;
    }
    return dot_product(c->out, c->R, c->out_n);
}

static void test_token_op(const char *label, TokenOp op, int B, int T, int D, int arg) {
    const size_t in_n = (size_t)B * T * D, out_n = op == TOKEN_TRANSPOSE ? in_n : (size_t)B * D;
    TokenCtx c = {op, random_tensor(in_n, 1), test_alloc(out_n, sizeof(real)), random_tensor(out_n, 1), B, T, D, arg,
                  out_n};
    token_loss(&c);
    for (int b = 0; b < B; b++)
        for (int d = 0; d < D; d++) {
            if (op == TOKEN_TRANSPOSE) {
                for (int t = 0; t < T; t++)
                    CHECK(c.out[((size_t)b * D + d) * T + t] == c.in[((size_t)b * T + t) * D + d]);
            } else if (op == TOKEN_MEAN) {
                double sum = 0;
                for (int t = arg; t < T; t++) sum += c.in[((size_t)b * T + t) * D + d];
                CHECK_CLOSE(c.out[(size_t)b * D + d], sum / (T - arg), EXACT_TOL);
            } else {
                CHECK(c.out[(size_t)b * D + d] == c.in[((size_t)b * T + arg) * D + d]);
            }
        }
    Grad din = grad_new(in_n);
    switch (op) {
    case TOKEN_TRANSPOSE: token_transpose_backward(din.grad, c.R, B, T, D); break;
    case TOKEN_MEAN: token_mean_backward(din.grad, c.R, B, T, D, arg); break;
    case TOKEN_SELECT: token_select_backward(din.grad, c.R, B, T, D, arg); break;
    }
    grad_finish(&din);
    record(label, "in", gradcheck(token_loss, &c, c.in, din.grad, in_n, FD_EPS, 0, &rng));
    grad_free(&din);
    free(c.in), free(c.out), free(c.R);
}

int main(void) {
    rng_seed(&rng, 20250301);
    printf("transformer op gradient checks (double, eps %.0e, relative tolerance %.0e)\n", FD_EPS, GRAD_TOL);

    test_patch_embed("patch_embed 8x8 p4", 2, 3, 8, 8, 4, 5);
    test_patch_embed("patch_embed 10x9 p3 (floor)", 2, 2, 10, 9, 3, 4);
    test_patch_embed("patch_embed p1", 2, 3, 3, 2, 1, 4);

    test_cls_pos("cls_pos", 3, 4, 5);
    test_cls_pos("cls_pos wide (column blocks)", 2, 3, 40);

    test_layernorm("layernorm", 6, 7, 0.0, 1.0);
    test_layernorm("layernorm offset", 4, 9, 5.0, 0.3);
    test_layernorm("layernorm wide", 3, 150, -1.0, 2.0);
    test_layernorm("layernorm many rows (3 chunks)", 600, 5, 0.5, 1.0);

    test_gelu("gelu erf", false);
    test_gelu("gelu tanh", true);

    test_attention("attention 2 heads", 2, 5, 5, 6, 2, 0);
    test_attention("attention 3 heads", 2, 4, 4, 6, 3, 0);
    test_attention("attention 1 head", 1, 6, 6, 4, 1, 0);
    test_attention("attention dropout 0.3", 2, 5, 5, 6, 2, 0.3);
    test_attention("attention T=19 (softmax lanes)", 1, 19, 19, 8, 2, 0);
    /* a ViT's last block with class-token pooling: the class token as the only query; and 3 of 7 */
    test_attention("attention 1 query of 6", 3, 1, 6, 6, 2, 0);
    test_attention("attention 3 queries of 7, dropout 0.3", 2, 3, 7, 6, 3, 0.3);

    test_token_op("token_transpose", TOKEN_TRANSPOSE, 2, 3, 5, 0);
    test_token_op("token_transpose tiles", TOKEN_TRANSPOSE, 2, 37, 34, 0);
    test_token_op("token_mean all", TOKEN_MEAN, 3, 4, 5, 0);
    test_token_op("token_mean skip-cls", TOKEN_MEAN, 3, 4, 5, 1);
    test_token_op("token_select cls", TOKEN_SELECT, 3, 4, 5, 0);
    test_token_op("token_select 2", TOKEN_SELECT, 3, 4, 5, 2);

    printf("max relative gradient error per op:\n");
    for (int i = 0; i < summary_count; i++)
        printf("  %-16s %.2e over %zu entries\n", summaries[i].op, summaries[i].max_error, summaries[i].checked);
    return check_report("test_ops_vit");
}

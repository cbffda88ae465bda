/* A trial's results do not depend on its thread count: every product (plain and tiled GEMMs), every path of the
 * convolution, the linear layer, batch norm over flat tensors, the patch embedding and attention, and whole models
 * trained for an epoch give bit-identical results on 1, 2 and 3 threads.
 *
 * The promise must hold whatever kernel OpenBLAS runs: a user or a cluster may set OPENBLAS_CORETYPE (some
 * machines must, for older OpenBLAS builds), and OpenBLAS's own threaded split rounded differently with some
 * kernels only (Haswell, Zen, Prescott) and not with the one this machine picks by itself. So
 *     test_thread_invariance            runs the cases under the environment as it is, and
 *     test_thread_invariance --kernels  runs them again in one child process per OpenBLAS core type this CPU
 *                                       can execute, with OPENBLAS_CORETYPE set in that child's environment
 *                                       only; each child checks that OpenBLAS really runs the kernel asked for,
 *                                       and the parent prints a table and fails if any kernel failed.
 *     --without-models                  leaves out the whole-model cases (an epoch of training each): the
 *                                       sanitizer build runs the kernels so, since what OpenBLAS's kernel
 *                                       changes is the products' rounding, checked here by the release build,
 *                                       while the memory those models touch is checked by its plain run. */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "data.h"
#include "gradcheck.h"
#include "ops.h"
#include "train.h"

_Static_assert(sizeof(real) == sizeof(float), "test_thread_invariance must link the float engine");

#define MAX_RESULTS 4
#define THREAD_COUNTS 3

static Rng rng;

static real *random_reals(size_t n, double scale) {
    real *x = test_alloc(n, sizeof(real));
    fill_normal(x, n, scale, &rng);
    return x;
}

/* One case: `run` fills `count` result arrays of the given sizes (handed over zeroed) from the inputs in ctx. */
typedef struct {
    const char *label;
    int count;
    size_t sizes[MAX_RESULTS];
    const char *names[MAX_RESULTS];
    void (*run)(const void *ctx, real **results);
    const void *ctx;
} InvarianceCase;

/* Runs c on 1, 2 and 3 threads; every result must be bit-identical to the 1-thread one. */
static void expect_thread_invariant(const InvarianceCase *c) {
    real *results[THREAD_COUNTS][MAX_RESULTS];
    for (int t = 0; t < THREAD_COUNTS; t++) {
        omp_set_num_threads(t + 1);
        for (int k = 0; k < c->count; k++) results[t][k] = test_alloc(c->sizes[k], sizeof(real));
        c->run(c->ctx, results[t]);
    }
    omp_set_num_threads(2);
    int differing = 0;
    for (int t = 1; t < THREAD_COUNTS; t++)
        for (int k = 0; k < c->count; k++) {
            size_t values = 0;
            for (size_t i = 0; i < c->sizes[k]; i++)
                values += memcmp(&results[t][k][i], &results[0][k][i], sizeof(real)) != 0;
            if (values) {
                differing++;
                fprintf(stderr, "  %s: %s on %d threads: %zu of %zu values differ from 1 thread\n", c->label,
                        c->names[k], t + 1, values, c->sizes[k]);
            }
        }
    CHECK_MSG(differing == 0, "%s: %d results depend on the thread count", c->label, differing);
    printf("  %-44s identical on 1, 2 and 3 threads\n", c->label);
    for (int t = 0; t < THREAD_COUNTS; t++)
        for (int k = 0; k < c->count; k++) free(results[t][k]);
}

/* ---- products ---- */

typedef struct {
    bool tiled, transpose_a, transpose_b;
    int M, N, K;
    real beta;
    real *A, *B, *C0;
} GemmCase;

static void run_gemm(const void *ctx, real **results) {
    const GemmCase *g = ctx;
    real *C = results[0];
    memcpy(C, g->C0, (size_t)g->M * g->N * sizeof(real));
    const int lda = g->transpose_a ? g->M : g->K, ldb = g->transpose_b ? g->K : g->N;
    (g->tiled ? gemm_tiled : gemm)(g->transpose_a, g->transpose_b, g->M, g->N, g->K, 1, g->A, lda, g->B, ldb, g->beta,
                                   C, g->N);
}

static void check_gemm(const char *label, bool tiled, bool transpose_a, bool transpose_b, int M, int N, int K,
                       real beta) {
    GemmCase g = {tiled, transpose_a, transpose_b, M, N, K, beta, random_reals((size_t)M * K, 1.0),
                  random_reals((size_t)K * N, 1.0), random_reals((size_t)M * N, 1.0)};
    const InvarianceCase c = {label, 1, {(size_t)M * N}, {"C"}, run_gemm, &g};
    expect_thread_invariant(&c);
    if (tiled) {
        /* called inside an active parallel region, the same tiles run in turn on the calling thread */
        real *alone = test_alloc((size_t)M * N, sizeof(real)), *inside = test_alloc((size_t)M * N, sizeof(real));
        omp_set_num_threads(1);
        run_gemm(&g, &alone);
        omp_set_num_threads(2);
#pragma omp parallel num_threads(2)
        {
#pragma omp single
            run_gemm(&g, &inside);
        }
        CHECK_MSG(memcmp(alone, inside, (size_t)M * N * sizeof(real)) == 0,
                  "%s: inside a parallel region the tiled product differs", label);
        free(alone), free(inside);
    }
    free(g.A), free(g.B), free(g.C0);
}

/* ---- convolution: forward, input and weight gradient, every path conv2d.c chooses from the shape ---- */

typedef struct {
    ConvShape s;
    real *in, *weight, *bias, *dout, *workspace;
} ConvCase;

static void run_conv(const void *ctx, real **results) {
    const ConvCase *v = ctx;
    conv2d_forward(results[0], v->in, v->weight, v->bias, &v->s, v->workspace);
    conv2d_backward(results[1], results[2], results[3], v->dout, v->in, v->weight, &v->s, v->workspace);
}

static void check_conv(const char *label, int B, int C, int H, int W, int OC, int kernel, int stride, int pad) {
    ConvCase v;
    conv_shape_init(&v.s, B, C, H, W, OC, kernel, kernel, stride, pad);
    v.s.slots = THREAD_COUNTS;
    const size_t in_n = (size_t)C * B * H * W, w_n = (size_t)OC * C * kernel * kernel;
    const size_t out_n = (size_t)OC * B * v.s.OH * v.s.OW;
    v.in = random_reals(in_n, 1.0);
    v.weight = random_reals(w_n, 0.1);
    v.bias = random_reals((size_t)OC, 0.1);
    v.dout = random_reals(out_n, 1.0);
    v.workspace = test_alloc(conv2d_workspace_size(&v.s) + 1, sizeof(real));
    const InvarianceCase c = {label, 4, {out_n, in_n, w_n, (size_t)OC}, {"out", "din", "dweight", "dbias"},
                              run_conv, &v};
    expect_thread_invariant(&c);
    free(v.in), free(v.weight), free(v.bias), free(v.dout), free(v.workspace);
}

/* ---- depthwise convolution (grouped_conv.c's direct kernel): planes and channels shared among threads ---- */

static void run_depthwise(const void *ctx, real **results) {
    const ConvCase *v = ctx;
    depthwise_conv_forward(results[0], v->in, v->weight, v->bias, &v->s);
    depthwise_conv_backward(results[1], results[2], results[3], v->dout, v->in, v->weight, &v->s);
}

static void check_depthwise(const char *label, int B, int C, int H, int W, int kernel, int stride, int pad) {
    ConvCase v;
    conv_shape_init(&v.s, B, C, H, W, C, kernel, kernel, stride, pad);
    const size_t in_n = (size_t)C * B * H * W, w_n = (size_t)C * kernel * kernel;
    const size_t out_n = (size_t)C * B * v.s.OH * v.s.OW;
    v.in = random_reals(in_n, 1.0);
    v.weight = random_reals(w_n, 0.3);
    v.bias = random_reals((size_t)C, 0.1);
    v.dout = random_reals(out_n, 1.0);
    v.workspace = NULL;
    const InvarianceCase c = {label, 4, {out_n, in_n, w_n, (size_t)C}, {"out", "din", "dweight", "dbias"},
                              run_depthwise, &v};
    expect_thread_invariant(&c);
    free(v.in), free(v.weight), free(v.bias), free(v.dout);
}

/* ---- linear ---- */

typedef struct {
    int B, IN, OUT;
    real *in, *weight, *bias, *dout, *workspace;
} LinearCase;

static void run_linear(const void *ctx, real **results) {
    const LinearCase *l = ctx;
    linear_forward(results[0], l->in, l->weight, l->bias, l->B, l->IN, l->OUT);
    linear_backward(results[1], GRAD_ADD, results[2], results[3], l->dout, l->in, l->weight, l->B, l->IN, l->OUT,
                    l->workspace);
}

static void check_linear(const char *label, int B, int IN, int OUT) {
    LinearCase l = {B, IN, OUT, random_reals((size_t)B * IN, 1.0), random_reals((size_t)OUT * IN, 0.3),
                    random_reals((size_t)OUT, 1.0), random_reals((size_t)B * OUT, 1.0),
                    test_alloc(linear_workspace_size(B, IN, OUT), sizeof(real))};
    const InvarianceCase c = {label, 4, {(size_t)B * OUT, (size_t)B * IN, (size_t)OUT * IN, (size_t)OUT},
                              {"out", "din", "dweight", "dbias"}, run_linear, &l};
    expect_thread_invariant(&c);
    free(l.in), free(l.weight), free(l.bias), free(l.dout), free(l.workspace);
}

/* ---- batch norm over a flat [B][F] tensor (BatchNorm1d) + ReLU: forward (training), running statistics and
 * backward, adding into din or in place ---- */

typedef struct {
    int B, F;
    bool in_place;
    real *in, *gamma, *beta, *dout;
} Batchnorm1dCase;

static void run_batchnorm1d(const void *ctx, real **results) {
    const Batchnorm1dCase *v = ctx;
    const size_t n = (size_t)v->B * v->F;
    real *saved = test_alloc(2 * (size_t)v->F, sizeof(real)), *running = results[3];
    batchnorm1d_forward_train(results[0], saved, saved + v->F, running, running + v->F, v->in, v->gamma, v->beta,
                              v->B, v->F, (real)0.1, (real)1e-5, true);
    real *dout = v->dout;
    if (v->in_place) { /* din is dout's own buffer */
        memcpy(results[1], v->dout, n * sizeof(real));
        dout = results[1];
    }
    batchnorm1d_backward(results[1], results[2], results[2] + v->F, dout, results[0], v->in, v->gamma, saved,
                         saved + v->F, v->B, v->F);
    free(saved);
}

static void check_batchnorm1d(const char *label, int B, int F, bool in_place) {
    Batchnorm1dCase v = {B, F, in_place, random_reals((size_t)B * F, 2.0), random_reals((size_t)F, 1.0),
                         random_reals((size_t)F, 1.0), random_reals((size_t)B * F, 1.0)};
    const InvarianceCase c = {label, 4, {(size_t)B * F, (size_t)B * F, 2 * (size_t)F, 2 * (size_t)F},
                              {"out", "din", "dgamma, dbeta", "running mean, var"}, run_batchnorm1d, &v};
    expect_thread_invariant(&c);
    free(v.in), free(v.gamma), free(v.beta), free(v.dout);
}

/* ---- patch embedding ---- */

typedef struct {
    PatchShape s;
    real *in, *weight, *bias, *dout, *workspace;
} PatchCase;

static void run_patch(const void *ctx, real **results) {
    const PatchCase *p = ctx;
    patch_embed_forward(results[0], p->in, p->weight, p->bias, &p->s, p->workspace);
    patch_embed_backward(results[1], results[2], results[3], p->dout, p->in, p->weight, &p->s, p->workspace);
}

static void check_patch_embed(const char *label, int B, int C, int H, int W, int P, int D) {
    PatchCase p;
    patch_shape_init(&p.s, B, C, H, W, P, D);
    const size_t in_n = (size_t)C * B * H * W, w_n = (size_t)D * C * P * P, out_n = (size_t)B * p.s.T * D;
    p.in = random_reals(in_n, 1.0);
    p.weight = random_reals(w_n, 0.1);
    p.bias = random_reals((size_t)D, 0.1);
    p.dout = random_reals(out_n, 1.0);
    p.workspace = test_alloc(patch_embed_workspace_size(&p.s), sizeof(real));
    const InvarianceCase c = {label, 4, {out_n, in_n, w_n, (size_t)D}, {"out", "din", "dweight", "dbias"},
                              run_patch, &p};
    expect_thread_invariant(&c);
    free(p.in), free(p.weight), free(p.bias), free(p.dout), free(p.workspace);
}

/* ---- attention, with and without attention dropout (whose masks are drawn in sample order) ---- */

typedef struct {
    int B, T, D, heads;
    real dropout_p;
    real *qkv, *dout, *probs, *mask, *workspace;
} AttentionCase;

static void run_attention(const void *ctx, real **results) {
    const AttentionCase *a = ctx;
    Rng dropout_rng;
    rng_seed(&dropout_rng, 11);
    attention_forward(results[0], a->probs, a->dropout_p > 0 ? a->mask : NULL, a->qkv, a->B, a->T, a->T, a->D,
                      a->heads, a->dropout_p, &dropout_rng, a->workspace, THREAD_COUNTS);
    attention_backward(results[1], GRAD_WRITE, a->dout, a->qkv, a->probs, a->dropout_p > 0 ? a->mask : NULL, a->B,
                       a->T, a->T, a->D, a->heads, a->workspace, THREAD_COUNTS);
}

static void check_attention(const char *label, int B, int T, int D, int heads, real dropout_p) {
    const size_t blocks = (size_t)B * heads * T * T;
    AttentionCase a = {B, T, D, heads, dropout_p, random_reals((size_t)B * T * 3 * D, 1.0),
                       random_reals((size_t)B * T * D, 1.0), test_alloc(blocks, sizeof(real)),
                       test_alloc(blocks, sizeof(real)),
                       test_alloc(attention_workspace_size(T, T, THREAD_COUNTS), sizeof(real))};
    const InvarianceCase c = {label, 2, {(size_t)B * T * D, (size_t)B * T * 3 * D}, {"out", "dqkv"}, run_attention,
                              &a};
    expect_thread_invariant(&c);
    free(a.qkv), free(a.dout), free(a.probs), free(a.mask), free(a.workspace);
}

/* ---- whole models: an epoch of training and the evaluation after it ---- */

typedef struct {
    TrainConfig cfg;
    DataSplits data;
} ModelCase;

static int record_last(const EpochMetrics *m, void *user) {
    *(EpochMetrics *)user = *m;
    return 0;
}

/* results[0] = {train loss, test loss, test top-1} of the epoch, as reals of the double values' bits */
static void run_model(const void *ctx, real **results) {
    const ModelCase *m = ctx;
    TrainConfig cfg = m->cfg;
    cfg.threads = omp_get_max_threads();
    EpochMetrics last = {0};
    TrainHooks hooks = {.on_epoch = record_last, .user = &last};
    TrainResult result;
    char err[ERR_LEN];
    CHECK_MSG(train_run(&cfg, &m->data, &hooks, &result, err) == 0 && result.epochs_done == 1, "%s: %s", cfg.model,
              err);
    const double values[3] = {last.train_loss, last.test_loss, last.test_top1};
    memcpy(results[0], values, sizeof values);
}

static void check_model(const char *label, const char *model, const char *input_shape, int batch,
                        void (*options)(TrainConfig *)) {
    ModelCase m;
    char err[ERR_LEN];
    train_config_defaults(&m.cfg);
    CHECK_MSG(train_config_set(&m.cfg, "dataset", "synthetic", err) == 0, "%s", err);
    strcpy(m.cfg.model, model);
    strcpy(m.cfg.input_shape, input_shape);
    m.cfg.synthetic_train = 256;
    m.cfg.synthetic_test = 72; /* a last evaluation batch smaller than the others */
    m.cfg.epochs = 1;
    m.cfg.batch_size = batch;
    m.cfg.lr = 0.05;
    if (options) options(&m.cfg);
    CHECK_MSG(data_load(&m.data, &m.cfg, err) == 0, "%s", err);
    const InvarianceCase c = {label, 1, {3 * sizeof(double) / sizeof(real)}, {"train loss, test loss and top-1"},
                              run_model, &m};
    expect_thread_invariant(&c);
    data_free(&m.data);
}

static void lenet_bn(TrainConfig *cfg) { cfg->bn = 1; }

static void narrow_vgg(TrainConfig *cfg) { cfg->width = 0.25; } /* 128-channel 3x3 layers: the large-filter path */

/* depthwise, grouped and SE layers, hard swish and sigmoid, channel split and shuffle */
static void narrow_mobilenet(TrainConfig *cfg) { cfg->width = 0.25; }

static void tiny_transformer(TrainConfig *cfg) {
    strcpy(cfg->optimizer, "adamw");
    cfg->lr = 2e-3;
    cfg->dim = 32;
    cfg->depth = 2;
    cfg->heads = 2;
    cfg->mlp_dim = 64;
    cfg->patch = 4;
    cfg->token_mlp_dim = 32;
    cfg->channel_mlp_dim = 64;
}

static void tiny_transformer_dropout(TrainConfig *cfg) {
    tiny_transformer(cfg);
    cfg->dropout = 0.1;
    cfg->attn_dropout = 0.1;
}

/* with_models: the whole-model cases too (an epoch of training each), not only products and layers */
static void run_cases(bool with_models) {
    rng_seed(&rng, 17);
    printf("OpenBLAS %s kernels\n", openblas_get_corename());
    /* the product whose OpenBLAS-threaded split differed under Haswell kernels (a ResNet-8 layer, 4x4 output) */
    check_gemm("gemm 64x512x288 outside a parallel region", false, false, false, 64, 512, 288, 0);
    check_gemm("gemm_tiled 700x3000x300 += (2x5 tiles)", true, false, false, 700, 3000, 300, 1);
    check_gemm("gemm_tiled 2304x1792x256 A^T (VGG dcol)", true, true, false, 2304, 1792, 256, 0);
    check_gemm("gemm_tiled 256x2304x600 B^T += (VGG dweight)", true, false, true, 256, 2304, 600, 1);
    check_gemm("gemm_tiled 64x256x8192 B^T (1x1 dweight)", true, false, true, 64, 256, 8192, 1);
    check_gemm("gemm_tiled 5x7x9 (one tile)", true, false, false, 5, 7, 9, 0);
    check_conv("conv2d 16->16 s1, parallel chunks", 12, 16, 32, 32, 16, 3, 1, 1);
    check_conv("conv2d 16->32 s2, parallel chunks", 12, 16, 32, 32, 32, 3, 2, 1);
    check_conv("conv2d 32->64 s2 8x8, one chunk", 32, 32, 8, 8, 64, 3, 2, 1);
    check_conv("conv2d 16->16 6x6, not panels", 6, 16, 6, 6, 16, 3, 1, 1);
    check_conv("conv2d 8->12 5x5 valid", 5, 8, 12, 12, 12, 5, 1, 0);
    check_conv("conv2d 128->128 8x8, large filters", 6, 128, 8, 8, 128, 3, 1, 1);
    check_conv("conv2d 256->256 4x4 s2, large filters", 8, 256, 4, 4, 256, 3, 2, 1);
    check_conv("conv2d 1x1 64->128, pointwise", 8, 64, 8, 8, 128, 1, 1, 0);
    check_conv("conv2d 1x1 s2 32->64", 8, 32, 16, 16, 64, 1, 2, 0);
    check_depthwise("depthwise 3x3 s1, 96 channels 16x16", 24, 96, 16, 16, 3, 1, 1);
    check_depthwise("depthwise 3x3 s2, 144 channels 32x32", 16, 144, 32, 32, 3, 2, 1);
    check_depthwise("depthwise 5x5 s2, 40 channels 15x15", 20, 40, 15, 15, 5, 2, 2);
    check_linear("linear 1100x24->70 (3 row chunks)", 1100, 24, 70);
    check_linear("linear 1300x16->200", 1300, 16, 200);
    check_linear("linear 4200x24->70 (5 row groups)", 4200, 24, 70);
    check_linear("linear 128x40->300 (4 weight blocks)", 128, 40, 300);
    check_linear("linear 128x784->256 (4 column blocks)", 128, 784, 256);
    check_linear("linear 64x1000->70", 64, 1000, 70);
    check_batchnorm1d("batch norm 1d + ReLU 600x150 (3 feature blocks)", 600, 150, false);
    check_batchnorm1d("batch norm 1d + ReLU 256x200, in place", 256, 200, true);
    check_patch_embed("patch embedding 3x32x32 P4 -> 48", 16, 3, 32, 32, 4, 48);
    check_attention("attention 8 x 17 tokens, 2 heads", 8, 17, 32, 2, 0);
    check_attention("attention with dropout", 8, 17, 32, 2, (real)0.2);
    if (!with_models) return;
    check_model("resnet8 on 3x16x16, batch 32", "resnet8", "3x16x16", 32, NULL);
    check_model("mlp on 1x28x28, batch 128", "mlp", "1x28x28", 128, NULL);
    check_model("lenet bn on 1x32x32, batch 64", "lenet", "1x32x32", 64, lenet_bn);
    check_model("vgg11 x0.25 on 3x32x32, batch 16", "vgg11", "3x32x32", 16, narrow_vgg);
    check_model("vit on 3x16x16, batch 64", "vit", "3x16x16", 64, tiny_transformer);
    check_model("vit with dropout", "vit", "3x16x16", 64, tiny_transformer_dropout);
    check_model("mixer on 3x16x16, batch 64", "mixer", "3x16x16", 64, tiny_transformer);
    check_model("mobilenet_v2 x0.25 on 3x16x16, batch 32", "mobilenet_v2", "3x16x16", 32, narrow_mobilenet);
    check_model("mobilenet_v3_small x0.25 on 3x16x16, batch 32", "mobilenet_v3_small", "3x16x16", 32,
                narrow_mobilenet);
    check_model("shufflenet_v2_x0_5 on 3x16x16, batch 32", "shufflenet_v2_x0_5", "3x16x16", 32, NULL);
    check_model("resnext29_2x16d on 3x16x16, batch 16", "resnext29_2x16d", "3x16x16", 16, NULL);
}

/* ---- every kernel: one child process per OpenBLAS core type this CPU can run ---- */

typedef struct {
    const char *name;   /* OPENBLAS_CORETYPE value, spelled as openblas_get_corename() reports it */
    bool (*cpu_runs)(void);
} CoreType;

static bool runs_prescott(void) { return __builtin_cpu_supports("sse3"); }
static bool runs_core2(void) { return __builtin_cpu_supports("ssse3"); }
static bool runs_nehalem(void) { return __builtin_cpu_supports("sse4.2"); }
static bool runs_sandybridge(void) { return __builtin_cpu_supports("avx"); }
static bool runs_haswell(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static bool runs_skylakex(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd");
}
static bool runs_cooperlake(void) { return runs_skylakex() && __builtin_cpu_supports("avx512bf16"); }

/* Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH): the x86-64 Intel kernels from SSE3 up, and Zen (AVX2). The AMD
 * families between them need FMA4/XOP, which current CPUs lack. */
static const CoreType CORE_TYPES[] = {
    {"Prescott", runs_prescott}, {"Core2", runs_core2},     {"Nehalem", runs_nehalem},
    {"Sandybridge", runs_sandybridge}, {"Haswell", runs_haswell}, {"Zen", runs_haswell},
    {"SkylakeX", runs_skylakex}, {"Cooperlake", runs_cooperlake},
};

static int run_every_kernel(const char *self, bool with_models) {
    __builtin_cpu_init();
    int failed = 0, ran = 0;
    char table[2048] = "";
    for (size_t i = 0; i < sizeof CORE_TYPES / sizeof CORE_TYPES[0]; i++) {
        const CoreType *core = &CORE_TYPES[i];
        char line[128];
        if (!core->cpu_runs()) {
            snprintf(line, sizeof line, "  %-12s not run: this CPU lacks its instructions\n", core->name);
            strncat(table, line, sizeof table - strlen(table) - 1);
            continue;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("OPENBLAS_CORETYPE", core->name, 1); /* this child's environment only */
            execl(self, self, "--expect-kernel", core->name, with_models ? NULL : "--without-models", (char *)NULL);
            perror("exec");
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        const bool passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        ran++;
        failed += !passed;
        snprintf(line, sizeof line, "  %-12s %s\n", core->name,
                 passed ? "bit-identical on 1, 2 and 3 threads" : "FAILED");
        strncat(table, line, sizeof table - strlen(table) - 1);
    }
    printf("\nthread invariance per OpenBLAS kernel:\n%s", table);
    CHECK_MSG(ran >= 1, "no OpenBLAS kernel could be run");
    CHECK_MSG(failed == 0, "%d of %d kernels give results that depend on the thread count", failed, ran);
    return check_report("test_thread_invariance --kernels");
}

/* usage: test_thread_invariance [--kernels] [--without-models]
 *        test_thread_invariance --expect-kernel NAME [--without-models]   (a child of --kernels) */
int main(int argc, char **argv) {
    const bool with_models = strcmp(argv[argc - 1], "--without-models") != 0;
    const int args = argc - !with_models;
    if (args == 2 && !strcmp(argv[1], "--kernels")) return run_every_kernel("/proc/self/exe", with_models);
    if (args == 3 && !strcmp(argv[1], "--expect-kernel")) {
        /* OpenBLAS falls back to its own detection for a name it does not know: make sure it took ours */
        const char *running = openblas_get_corename();
        CHECK_MSG(!strcasecmp(running, argv[2]), "asked for %s kernels, OpenBLAS runs %s", argv[2], running);
        if (strcasecmp(running, argv[2])) return check_report("test_thread_invariance");
    } else if (args != 1) {
        fprintf(stderr, "usage: %s [--kernels] [--without-models]\n", argv[0]);
        return 2;
    }
    run_cases(with_models);
    return check_report("test_thread_invariance");
}

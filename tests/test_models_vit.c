/* The Vision Transformer and MLP-Mixer as whole models, and AdamW.
 *
 * Both builds: parameter counts (the default vit on 3x32x32 has 1,823,908 parameters for 100 classes and
 * 1,806,538 for 10, as a PyTorch nn.TransformerEncoderLayer ViT of that shape), the parameter layout.
 * Double build: finite differences through model_forward/model_backward for a sample of every parameter
 * tensor of small ViTs (cls and mean pooling, erf and tanh GELU, dropout and attention dropout with the
 * dropout stream replayed) and a small Mixer.
 * Float build: AdamW and gradient clipping against hand computations, and short training runs on the
 * synthetic set (ViT and Mixer learn well above chance; the same seed gives bit-identical results). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "data.h"
#include "model.h"
#include "ops.h"
#include "optim.h"
#include "train.h"
#include "ops/fast_math.h"

static void small_vit(TrainConfig *cfg) {
    train_config_defaults(cfg);
    cfg->dim = 8;
    cfg->depth = 2;
    cfg->heads = 2;
    cfg->mlp_dim = 12;
    cfg->patch = 4;
    cfg->token_mlp_dim = 6;
    cfg->channel_mlp_dim = 10;
}

static size_t count_params(const char *name, const TrainConfig *cfg, int C, int H, int W, int classes) {
    char err[ERR_LEN];
    Model *m = NULL;
    if (model_create(&m, name, cfg, C, H, W, classes, 2, 0, err)) {
        fprintf(stderr, "%s: %s\n", name, err);
        return 0;
    }
    size_t n = model_parameter_count(m);
    model_free(m);
    return n;
}

static void check_parameter_counts(void) {
    TrainConfig cfg;
    train_config_defaults(&cfg); /* dim 192, depth 6, heads 3, mlp_dim 384, patch 4, cls */
    CHECK_MSG(count_params("vit", &cfg, 3, 32, 32, 100) == 1823908, "%zu", count_params("vit", &cfg, 3, 32, 32, 100));
    CHECK_MSG(count_params("vit", &cfg, 3, 32, 32, 10) == 1806538, "%zu", count_params("vit", &cfg, 3, 32, 32, 10));
    /* mean pooling keeps the class token (timm's global_pool='avg' with a class token): same count */
    strcpy(cfg.pool, "mean");
    CHECK(count_params("vit", &cfg, 3, 32, 32, 10) == 1806538);
    /* by formula: patch C*P*P*D + D; cls D; pos (T+1) D; per block 2 LN (4D) + qkv 3D*D + 3D + proj D*D + D
     * + fc1 M*D + M + fc2 D*M + D; final LN 2D; head K*D + K */
    {
        const size_t D = 32, M = 48, P = 7, C = 1, T = 16, K = 10, depth = 3;
        cfg.dim = (int)D, cfg.mlp_dim = (int)M, cfg.patch = (int)P, cfg.depth = (int)depth, cfg.heads = 4;
        size_t expected = C * P * P * D + D + D + (T + 1) * D +
                          depth * (4 * D + 3 * D * D + 3 * D + D * D + D + M * D + M + D * M + D) + 2 * D + K * D + K;
        CHECK_MSG(count_params("vit", &cfg, 1, 28, 28, 10) == expected, "%zu vs %zu",
                  count_params("vit", &cfg, 1, 28, 28, 10), expected);
    }
    /* mixer: patch C*P*P*D + D; per block 2 LN + token MLP (S*T + S + T*S + T) + channel MLP (M*D + M + D*M + D);
     * final LN; head */
    train_config_defaults(&cfg);
    {
        const size_t D = 192, S = 256, M = 512, T = 64, C = 3, P = 4, K = 10, depth = 6;
        size_t expected = C * P * P * D + D + depth * (4 * D + S * T + S + T * S + T + M * D + M + D * M + D) +
                          2 * D + K * D + K;
        CHECK_MSG(count_params("mixer", &cfg, 3, 32, 32, 10) == expected, "%zu vs %zu",
                  count_params("mixer", &cfg, 3, 32, 32, 10), expected);
    }
    /* shapes the builder must refuse */
    char err[ERR_LEN];
    Model *m = NULL;
    cfg.heads = 5; /* 192 is not a multiple of 5 */
    CHECK(model_create(&m, "vit", &cfg, 3, 32, 32, 10, 2, 0, err) != 0 && strstr(err, "heads") != NULL);
    cfg.heads = 3;
    cfg.patch = 64;
    CHECK(model_create(&m, "vit", &cfg, 3, 32, 32, 10, 2, 0, err) != 0 && strstr(err, "patch") != NULL);
    CHECK(m == NULL);
}

/* The parameter tensors in order, and the initialisation (PyTorch's, see trainer/models/vit.c): LN gamma 1 / beta 0;
 * qkv xavier-uniform with bias 0; proj uniform +-1/sqrt(D) with bias 0; fc1 weight and bias uniform
 * +-1/sqrt(D); class token and position embedding standard normal; no decay on 1-D tensors and embeddings. */
static void check_uniform(const Model *m, const ParamTensor *pt, double bound, const char *what) {
    double sum_sq = 0, worst = 0;
    for (size_t i = 0; i < pt->count; i++) {
        double w = m->params[pt->offset + i];
        sum_sq += w * w;
        worst = fmax(worst, fabs(w));
    }
    const double std = sqrt(sum_sq / pt->count), expected = bound / sqrt(3.0);
    CHECK_MSG(fabs(std - expected) < 0.05 * expected && worst <= bound * (1 + 1e-6) && worst > 0.9 * bound,
              "%s: std %g (uniform +-%g: %g), max %g", what, std, bound, expected, worst);
}

/* The default ViT (dim 192, depth 6) on 3x32x32 with 10 classes, batch 2; NULL (and a failed check) if it cannot
 * be built */
static Model *default_vit(void) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    Model *m = NULL;
    CHECK_MSG(model_create(&m, "vit", &cfg, 3, 32, 32, 10, 2, 7, err) == 0, "%s", err);
    return m;
}

static void check_vit_layout(void) {
    Model *m = default_vit();
    if (!m) return;
    const size_t D = 192;
    /* patch w, patch b, cls, pos, 6 x (ln w, ln b, qkv w, qkv b, proj w, proj b, ln w, ln b, fc1 w, fc1 b,
     * fc2 w, fc2 b), ln w, ln b, head w, head b */
    CHECK(m->tensor_count == 4 + 6 * 12 + 4);
    CHECK(m->tensors[0].count == D * 3 * 16 && m->tensors[0].decay);
    CHECK(m->tensors[1].count == D && !m->tensors[1].decay);
    CHECK(m->tensors[2].count == D && !m->tensors[2].decay);
    CHECK(m->tensors[3].count == 65 * D && !m->tensors[3].decay);
    check_uniform(m, &m->tensors[0], 1 / sqrt(48.0), "patch weight");
    double sum_sq = 0;
    for (size_t i = 0; i < m->tensors[3].count; i++) sum_sq += (double)m->params[m->tensors[3].offset + i] * m->params[m->tensors[3].offset + i];
    const double pos_std = sqrt(sum_sq / m->tensors[3].count);
    CHECK_MSG(fabs(pos_std - 1) < 0.03, "position embedding std %g (normal(0, 1))", pos_std);
    const ParamTensor *ln = &m->tensors[4], *qkv = &m->tensors[6], *qkv_bias = &m->tensors[7], *proj = &m->tensors[8],
                      *proj_bias = &m->tensors[9], *fc1 = &m->tensors[12], *fc1_bias = &m->tensors[13];
    CHECK(ln->count == D && !ln->decay && m->params[ln->offset] == 1 && m->params[ln->offset + D] == 0);
    CHECK(qkv->count == 3 * D * D && qkv->decay && qkv_bias->count == 3 * D && !qkv_bias->decay);
    check_uniform(m, qkv, sqrt(6.0 / (D + 3 * D)), "qkv weight");
    check_uniform(m, proj, 1 / sqrt((double)D), "proj weight");
    check_uniform(m, fc1, 1 / sqrt((double)D), "fc1 weight");
    check_uniform(m, fc1_bias, 1 / sqrt((double)D), "fc1 bias");
    bool zero = true;
    for (size_t i = 0; i < qkv_bias->count; i++) zero &= m->params[qkv_bias->offset + i] == 0;
    for (size_t i = 0; i < proj_bias->count; i++) zero &= m->params[proj_bias->offset + i] == 0;
    CHECK_MSG(zero, "qkv and proj biases start at 0");
    const ParamTensor *head = &m->tensors[m->tensor_count - 2];
    CHECK(head->count == 10 * D && head->decay);
    check_uniform(m, head, 1 / sqrt((double)D), "head weight");
    model_free(m);
}

/* Gradient regions handed on (grad_plan.c): every block's two residual adds pass their output's gradient to
 * both inputs through one shared region (the branch's producer reads it before the block's LayerNorm adds
 * into it), so none of them zeroes or adds anything, and every GELU turns its output's gradient into its
 * input's in place. The residual stream keeps one region through the blocks; the last block, which (with
 * class-token pooling) runs on the class token's row alone after its attention, has its own. Every linear
 * and attention layer (25 and 6) is the first writer of its input's gradient and writes it (write_in_grad,
 * GRAD_WRITE) instead of the model zeroing it first.
 * Correctness of the gradients is the whole-model checks' below. */
static void check_gradient_handover(void) {
    Model *m = default_vit();
    if (!m) return;
    int adds = 0, adds_handed_over = 0, gelus = 0, gelus_in_place = 0, gemm_layers = 0, gemm_layers_writing = 0;
    size_t stream_region = SIZE_MAX;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        const size_t out = m->slots[l->out].grad_offset, in = m->slots[l->in].grad_offset;
        if (l->kind == LAYER_GELU) {
            gelus++;
            gelus_in_place += in == out && !(l->zero_input_grads & 1);
        }
        if (l->kind == LAYER_LINEAR || l->kind == LAYER_ATTENTION) {
            gemm_layers++;
            gemm_layers_writing += l->write_in_grad && !(l->zero_input_grads & 1);
        }
        CHECK_MSG(!l->write_in_grad || l->kind == LAYER_LINEAR || l->kind == LAYER_ATTENTION,
                  "layer %d (kind %d) is flagged to write its input gradient", i, (int)l->kind);
        if (l->kind != LAYER_ADD) continue;
        adds++;
        if (in == out && m->slots[l->inputs[1]].grad_offset == out && !l->zero_input_grads)
            adds_handed_over++;
        if (stream_region == SIZE_MAX || adds == 11) stream_region = out; /* adds 11, 12: the last block */
        CHECK_MSG(out == stream_region, "add %d: the residual stream's gradient moved region", adds);
    }
    CHECK_MSG(adds == 12 && adds_handed_over == 12, "vit: %d of %d residual adds hand their gradient on",
              adds_handed_over, adds);
    CHECK_MSG(gelus == 6 && gelus_in_place == 6, "vit: %d of %d GELUs work in place", gelus_in_place, gelus);
    CHECK_MSG(gemm_layers == 31 && gemm_layers_writing == 31,
              "vit: %d of %d linear and attention layers write their input gradient", gemm_layers_writing, gemm_layers);
    model_free(m);
}

/* With class-token pooling the last block attends from the class token only and runs on its row alone
 * (trainer/models/vit.c); with mean pooling every block keeps all tokens. Shapes of the attention outputs and of the
 * classifier's input, and every block's projection and second MLP layer running with their residual add
 * (add_residual/add_output), the pruned block's QKV projection computing its queries for the class token only
 * (first_token_outputs); that the pruned block and the fused pairs compute the full block's function is golden_vit's
 * check against PyTorch's nn.TransformerEncoderLayer. */
static void check_class_token_block(const char *pool) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.pool, pool);
    char err[ERR_LEN];
    Model *m = NULL;
    const bool built = model_create(&m, "vit", &cfg, 3, 32, 32, 10, 2, 7, err) == 0;
    CHECK_MSG(built, "%s", err);
    if (!built) return;
    const bool pruned = !strcmp(pool, "cls");
    int attentions = 0, full = 0, class_token_only = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_ATTENTION) continue;
        attentions++;
        const int queries = m->slots[l->out].H, keys = m->slots[l->in].H;
        full += queries == 65 && keys == 65;
        class_token_only += queries == 1 && keys == 65 && attentions == 6; /* depth auto: ViT's 6 blocks */
    }
    /* every block's projection and second MLP layer write their residual add's output (linear_add_forward) */
    /* ... and their own output slot takes no activation memory: it points at the add's output */
    int fused = 0;
    for (int i = 0; i + 1 < m->layer_count; i++)
        fused += m->layers[i].add_output >= 0 && m->layers[i].kind == LAYER_LINEAR && m->layers[i + 1].kind == LAYER_ADD &&
                 m->layers[i + 1].skip_forward && m->layers[i].add_output == m->layers[i + 1].out &&
                 m->slots[m->layers[i].out].offset == m->slots[m->layers[i + 1].out].offset;
    CHECK_MSG(fused == 12, "vit (%s pooling): %d of 12 linear layers fused with their residual add", pool, fused);
    /* the last block's QKV projection computes the queries (its first D outputs) for the class token only */
    int first_token_layers = 0, first_token_outputs = 0;
    for (int i = 0; i + 1 < m->layer_count; i++)
        if (m->layers[i].first_token_outputs) {
            first_token_layers++;
            first_token_outputs = m->layers[i].first_token_outputs;
            CHECK(m->layers[i + 1].kind == LAYER_ATTENTION && m->slots[m->layers[i + 1].out].H == 1);
        }
    CHECK_MSG(first_token_layers == (pruned ? 1 : 0) && (!pruned || first_token_outputs == cfg.dim),
              "vit (%s pooling): %d linear layers with first-token-only outputs (%d outputs)", pool,
              first_token_layers, first_token_outputs);
    const Layer *head = &m->layers[m->layer_count - 1];
    CHECK_MSG(attentions == 6 && full == (pruned ? 5 : 6) && class_token_only == (pruned ? 1 : 0),
              "vit (%s pooling): %d attentions, %d over all 65 queries, %d over the class token only", pool,
              attentions, full, class_token_only);
    CHECK_MSG(head->kind == LAYER_LINEAR && m->slots[head->in].H == 1 && m->slots[head->in].C == cfg.dim,
              "vit (%s pooling): the head reads one row of %d features", pool, cfg.dim);
    model_free(m);
}

/* ---- whole-model gradient checks (double) ---- */

static double loss_of(Model *m, const real *x, const int32_t *labels, int B, int classes, real *probs,
                      const Rng *dropout_start) {
    m->dropout_rng = *dropout_start; /* the same dropout masks on every evaluation */
    const real *logits = model_forward(m, x, B, true);
    return softmax_xent_forward(probs, logits, labels, B, classes, 0);
}

static void check_model_gradients(const char *label, const char *name, const TrainConfig *cfg, int C, int H, int W,
                                  int classes) {
    const int B = 3;
    char err[ERR_LEN];
    Model *m = NULL;
    CHECK_MSG(model_create(&m, name, cfg, C, H, W, classes, B, 42, err) == 0, "%s", err);
    if (!m) return;
    Rng rng;
    rng_seed(&rng, 7);
    const size_t n = (size_t)C * H * W * B;
    real *x = malloc(n * sizeof(real)), *probs = malloc((size_t)B * classes * sizeof(real));
    int32_t labels[3] = {1, 0, 2};
    for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
    /* Weights normal(0, 0.3) (larger than the initialisation, so that no gradient is small enough to drown in
     * the finite differences' rounding noise); LN affine parameters, biases, class token and position
     * embedding moved off their initial values, so that every path matters. */
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        for (size_t i = 0; i < pt->count; i++)
            m->params[pt->offset + i] = (real)(pt->decay ? 0.3 * rng_normal(&rng)
                                                         : m->params[pt->offset + i] + 0.2 * rng_normal(&rng));
    }
    const Rng dropout_start = m->dropout_rng;
    loss_of(m, x, labels, B, classes, probs, &dropout_start);
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), probs, labels, B, classes, 0);
    model_backward(m, B);
    double worst = 0, worst_numeric = 0, worst_analytic = 0;
    int worst_tensor = -1;
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        for (int k = 0; k < 6; k++) {
            size_t i = pt->offset + rng_below(&rng, (uint32_t)pt->count);
            real saved = m->params[i];
            const double eps = 1e-5;
            m->params[i] = saved + eps;
            double up = loss_of(m, x, labels, B, classes, probs, &dropout_start);
            m->params[i] = saved - eps;
            double down = loss_of(m, x, labels, B, classes, probs, &dropout_start);
            m->params[i] = saved;
            double numeric = (up - down) / (2 * eps), analytic = m->grads[i];
            /* floor 1e-4: some gradients are exactly 0 (a bias whose output only feeds layer norms), where the
             * finite difference is rounding noise of ~1e-11 */
            double rel = fabs(numeric - analytic) / fmax(1e-4, fabs(numeric) + fabs(analytic));
            if (rel > worst) {
                worst = rel;
                worst_tensor = t;
                worst_numeric = numeric;
                worst_analytic = analytic;
            }
        }
    }
    printf("%-38s %3d tensors, worst relative gradient error %.2e (tensor %d: %.6g vs %.6g)\n", label,
           m->tensor_count, worst, worst_tensor, worst_analytic, worst_numeric);
    CHECK_MSG(worst < 1e-5, "%s: worst relative gradient error %.3e", label, worst);
    free(x);
    free(probs);
    model_free(m);
}

/* ---- AdamW and clipping (float) ---- */

static void check_adamw(void) {
    /* one weight by hand, torch.optim.AdamW: w = 1, g = 0.5, lr 0.1, wd 0.1, betas (0.9, 0.999), eps 1e-8 */
    real w = 1, g = 0.5, m1 = 0, m2 = 0;
    double ew = 1, em = 0, ev = 0;
    for (long step = 1; step <= 3; step++) {
        adamw_update(&w, &g, &m1, &m2, 1, 0.1, 0.9, 0.999, 1e-8, 0.1, step);
        ew *= 1 - 0.1 * 0.1;
        em = 0.9 * em + 0.1 * 0.5;
        ev = 0.999 * ev + 0.001 * 0.25;
        ew -= 0.1 / (1 - pow(0.9, step)) * em / (sqrt(ev) / sqrt(1 - pow(0.999, step)) + 1e-8);
        CHECK_CLOSE(w, ew, 1e-6);
        CHECK_CLOSE(m1, em, 1e-6);
        CHECK_CLOSE(m2, ev, 1e-6);
    }
    CHECK_CLOSE(ew, 1 * 0.99 * 0.99 * 0.99 - 0.1 * (0.99 * 0.99 + 0.99 + 1), 1e-6); /* |update| ~ lr */

    /* through optimizer_step: state is [m | v], decay only on `decay` tensors unless wd_norm_bias */
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.hidden, "3");
    strcpy(cfg.optimizer, "adamw");
    cfg.weight_decay = 0.5;
    cfg.wd_norm_bias = 0;
    char err[ERR_LEN];
    Model *m = NULL;
    CHECK(model_create(&m, "mlp", &cfg, 1, 1, 2, 2, 1, 0, err) == 0);
    if (!m) return;
    Optimizer opt;
    CHECK_MSG(optimizer_init(&opt, &cfg, m, err) == 0, "%s", err);
    CHECK(opt.state_count == 2 * m->param_count);
    for (size_t i = 0; i < m->param_count; i++) {
        m->params[i] = 1;
        m->grads[i] = 0; /* pure weight decay */
    }
    optimizer_step(&opt, m, 0.1);
    CHECK(opt.step == 1);
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        CHECK_CLOSE(m->params[pt->offset], pt->decay ? 1 - 0.1 * 0.5 : 1, 1e-7);
    }
    optimizer_free(&opt);
    cfg.wd_norm_bias = 1;
    CHECK(optimizer_init(&opt, &cfg, m, err) == 0);
    for (size_t i = 0; i < m->param_count; i++) m->params[i] = 1;
    optimizer_step(&opt, m, 0.1);
    for (size_t i = 0; i < m->param_count; i++) CHECK_CLOSE(m->params[i], 0.95, 1e-7);
    optimizer_free(&opt);

    /* clip_grad_norm_: grads (3, 4) elsewhere 0 -> norm 5, max_norm 1: scaled by 1 / (5 + 1e-6); with lr 0 and
     * SGD the clipped gradient ends up in the velocity */
    strcpy(cfg.optimizer, "sgd");
    cfg.grad_clip = 1;
    cfg.weight_decay = 0;
    cfg.momentum = 0;
    CHECK(optimizer_init(&opt, &cfg, m, err) == 0);
    memset(m->grads, 0, m->param_count * sizeof(real));
    m->grads[0] = 3;
    m->grads[1] = 4;
    optimizer_step(&opt, m, 0);
    CHECK_CLOSE(m->grads[0], 3 / (5 + 1e-6), 1e-7);
    CHECK_CLOSE(m->grads[1], 4 / (5 + 1e-6), 1e-7);
    /* below the limit: untouched */
    m->grads[0] = 0.3f;
    m->grads[1] = 0.4f;
    optimizer_step(&opt, m, 0);
    CHECK(m->grads[0] == 0.3f && m->grads[1] == 0.4f);
    optimizer_free(&opt);
    model_free(m);
}

/* ---- the float build's vectorisable exp / erf (trainer/ops/fast_math.h) and GELU against libm in double ---- */

static void check_fast_math(void) {
    double worst_exp = 0, worst_gelu = 0, worst_dgelu = 0;
    for (double x = -87.0; x <= 88.0; x += 0.01337) {
        const double ref = exp(x), ours = real_exp((real)x), exact_input = exp((double)(real)x);
        (void)ref;
        worst_exp = fmax(worst_exp, fabs(ours - exact_input) / exact_input);
    }
    CHECK(real_exp(-100) == 0 && real_exp(-88.5f) == 0 && isinf(real_exp(100)) && real_exp(0) == 1);
    real x[2401], out[2401], din[2401], ones[2401];
    for (int i = 0; i < 2401; i++) {
        x[i] = (real)(-12.0 + 0.01 * i);
        ones[i] = 1;
        din[i] = 0;
    }
    for (int form = 0; form < 2; form++) {
        gelu_forward(out, x, 2401, form == 1);
        gelu_backward(din, ones, x, 2401, form == 1);
        for (int i = 0; i < 2401; i++) {
            const double v = x[i], k = sqrt(2 / M_PI), u = k * (v + 0.044715 * v * v * v), t = tanh(u);
            const double gelu = form ? 0.5 * v * (1 + t) : 0.5 * v * (1 + erf(v / sqrt(2.0)));
            const double dgelu = form ? 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v)
                                      : 0.5 * (1 + erf(v / sqrt(2.0))) + v * exp(-0.5 * v * v) / sqrt(2 * M_PI);
            worst_gelu = fmax(worst_gelu, fabs(out[i] - gelu) / fmax(1.0, fabs(gelu)));
            worst_dgelu = fmax(worst_dgelu, fabs(din[i] - dgelu));
            din[i] = 0;
        }
    }
    printf("float fast math: exp relative error %.2e; gelu %.2e, gelu' %.2e (absolute, both forms, |x| <= 12)\n",
           worst_exp, worst_gelu, worst_dgelu);
    CHECK_MSG(worst_exp < 3e-7, "exp %.3e", worst_exp);
    CHECK_MSG(worst_gelu < 5e-7, "gelu %.3e", worst_gelu);
    CHECK_MSG(worst_dgelu < 5e-7, "gelu' %.3e", worst_dgelu);
}

/* ---- short training runs (float) ---- */

typedef struct {
    EpochMetrics last;
    double first_loss;
    int epochs;
} Recorder;

static int record(const EpochMetrics *m, void *user) {
    Recorder *r = user;
    if (r->epochs++ == 0) r->first_loss = m->train_loss;
    r->last = *m;
    return 0;
}

static void check_learning(const char *name, double dropout) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    CHECK(train_config_set(&cfg, "dataset", "synthetic", err) == 0);
    strcpy(cfg.model, name);
    strcpy(cfg.optimizer, "adamw");
    strcpy(cfg.input_shape, "3x16x16");
    cfg.synthetic_train = 2048;
    cfg.synthetic_test = 256;
    cfg.epochs = 3;
    cfg.batch_size = 64;
    cfg.lr = 2e-3;
    cfg.weight_decay = 0.05;
    cfg.warmup_epochs = 0.5;
    cfg.dim = 32;
    cfg.depth = 2;
    cfg.heads = 2;
    cfg.mlp_dim = 64;
    cfg.patch = 4;
    cfg.token_mlp_dim = 32;
    cfg.channel_mlp_dim = 64;
    cfg.dropout = dropout;
    cfg.attn_dropout = dropout;
    cfg.threads = 1;
    DataSplits data;
    CHECK_MSG(data_load(&data, &cfg, err) == 0, "%s", err);
    Recorder a = {0};
    TrainHooks hooks = {.on_epoch = record, .user = &a};
    TrainResult result;
    CHECK_MSG(train_run(&cfg, &data, &hooks, &result, err) == 0, "%s", err);
    printf("%s (dropout %g) on synthetic 3x16x16: test top-1 %.2f%%, train loss %.4f -> %.4f, %.0f images/s\n", name,
           dropout, a.last.test_top1, a.first_loss, a.last.train_loss, a.last.images_per_sec);
    CHECK_MSG(a.last.test_top1 > 75.0, "%s: test top-1 %.2f%% (chance is 10%%)", name, a.last.test_top1);
    CHECK(a.last.train_loss < a.first_loss);
    data_free(&data);
}

int main(void) {
    check_parameter_counts();
    check_vit_layout();
    check_gradient_handover();
    check_class_token_block("cls");
    check_class_token_block("mean");
    if (sizeof(real) == sizeof(double)) {
        TrainConfig cfg;
        small_vit(&cfg);
        check_model_gradients("vit (cls, erf)", "vit", &cfg, 3, 8, 8, 4);
        strcpy(cfg.pool, "mean");
        strcpy(cfg.gelu, "tanh");
        check_model_gradients("vit (mean, tanh, 28x28-like floor)", "vit", &cfg, 1, 9, 10, 3);
        strcpy(cfg.pool, "cls");
        strcpy(cfg.gelu, "erf");
        cfg.dropout = 0.2;
        cfg.attn_dropout = 0.3;
        check_model_gradients("vit (dropout 0.2, attn_dropout 0.3)", "vit", &cfg, 3, 8, 8, 4);
        small_vit(&cfg);
        check_model_gradients("mixer", "mixer", &cfg, 3, 8, 12, 4);
        cfg.dropout = 0.2;
        check_model_gradients("mixer (dropout 0.2)", "mixer", &cfg, 2, 8, 8, 3);
    } else {
        check_adamw();
        check_fast_math();
        check_learning("vit", 0);
        check_learning("vit", 0.1);
        check_learning("mixer", 0);
    }
    return check_report(sizeof(real) == sizeof(double) ? "test_models_vit_f64" : "test_models_vit");
}

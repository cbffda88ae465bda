/* Golden tests of the Vision Transformer, MLP-Mixer and AdamW against PyTorch: fixtures written by
 * tests/golden/export_vit_fixtures.py (PyTorch 1.13; float64 reference computations from float32 weights and
 * inputs; the ViT blocks are PyTorch's own nn.TransformerEncoderLayer(norm_first=True)) for
 *   vit.bin            dim 32, depth 2, heads 2, mlp_dim 64, patch 8, cls pooling, exact GELU, 3x32x32
 *   vit_mean_tanh.bin  dim 24, depth 1, heads 3, mlp_dim 48, patch 4, mean pooling, tanh GELU, 3x16x16
 *   mixer.bin          dim 32, depth 2, patch 4, token_mlp_dim 24, channel_mlp_dim 64, 3x16x16
 * Checked: the parameter count, training-mode logits, the loss, every parameter gradient (all together and
 * tensor by tensor), then AdamW (lr 1e-3, weight decay 0.05 on every tensor as torch.optim.AdamW):
 *   (a) end to end: our step from our gradients, the loss and gradients at the new weights, a second step
 *       with gradients clipped (clip_grad_norm_) to half their norm -- the weights and the updates;
 *   (b) the optimiser alone: both steps from PyTorch's own gradients (as stored, float32), against updates
 *       the exporter computed from exactly those -- every entry.
 * AdamW's step is normalised per element (~ -lr * g / |g| at step 1), so it is only as well resolved as the
 * gradient entry relative to itself. (a) therefore leaves out of the comparisons after a step the entries
 * whose reference gradient is not resolved: in double only exact zeros (the attention key bias, whose
 * gradient is 0 since softmax ignores a constant shift, and Mixer's token-mixing output bias, whose every
 * consumer is a LayerNorm), where the step is decided by rounding noise; in float also the entries below the
 * floor of the float gradient comparison (see below). The counts are printed; (b) covers every entry.
 *
 * Relative error |ours - ref| / max(|ours|, |ref|, floor), the floor judging elements that are tiny next to
 * their tensor on an absolute scale:
 *   double build, tolerance 1e-6 (what is left is the float32 rounding of the stored references): floor
 *     1e-6 x RMS of the tensor (gradients: or 1e-8 x RMS of all gradients, for the exact zeros above);
 *   float build, tolerance 1e-4: logits 1e-3 x RMS; gradients max(0.1 x RMS of the tensor, 0.01 x RMS of all
 *     gradients) -- PyTorch's own float32 gradients of these models are off from float64 by 1.6e-4 even with
 *     a 1e-2 floor (cancellation in sums over tokens), ours by the same amount; AdamW updates 1 x RMS of the
 *     update (an update is ~lr everywhere) and never finer than two float ulps of the weight it was added to;
 *   weights after a step: 1e-3 x RMS of the weights in both.
 *
 * Built twice (float, as training runs, and double). The fixture format and loader are those of
 * test_golden.c. Usage: test_golden_vit FIXTURE_DIR */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "model.h"
#include "ops.h"
#include "optim.h"

/* ---- fixture files: "COHORTFX", u32 version, u32 count, then (name[32], u32 dtype, u32 0, u64 n, data) ---- */

enum { DT_F32 = 1, DT_I32 = 2, DT_F64 = 3 };

typedef struct {
    char name[33];
    uint32_t dtype;
    uint64_t count;
    double *values; /* every array converted to double */
} FixtureArray;

typedef struct {
    char path[512];
    int count;
    FixtureArray arrays[32];
} Fixture;

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static int fixture_load(Fixture *fx, const char *dir, const char *file) {
    memset(fx, 0, sizeof *fx);
    snprintf(fx->path, sizeof fx->path, "%s/%s", dir, file);
    FILE *f = fopen(fx->path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", fx->path);
        return -1;
    }
    unsigned char head[16];
    int ok = fread(head, 1, 16, f) == 16 && !memcmp(head, "COHORTFX", 8) && le32(head + 8) == 1;
    uint32_t n = ok ? le32(head + 12) : 0;
    if (n > 32) ok = 0;
    for (uint32_t i = 0; ok && i < n; i++) {
        unsigned char h[48];
        if (fread(h, 1, 48, f) != 48) {
            ok = 0;
            break;
        }
        FixtureArray *a = &fx->arrays[fx->count++];
        memcpy(a->name, h, 32);
        a->dtype = le32(h + 32);
        a->count = le64(h + 40);
        size_t width = a->dtype == DT_F64 ? 8 : 4;
        if (a->dtype < DT_F32 || a->dtype > DT_F64 || a->count > (1u << 26)) {
            ok = 0;
            break;
        }
        unsigned char *raw = malloc(a->count * width + 1);
        a->values = malloc(a->count * sizeof(double) + 1);
        if (!raw || !a->values || fread(raw, width, a->count, f) != a->count) {
            free(raw);
            ok = 0;
            break;
        }
        for (uint64_t k = 0; k < a->count; k++) {
            const unsigned char *p = raw + k * width;
            if (a->dtype == DT_F64) {
                uint64_t bits = le64(p);
                double v;
                memcpy(&v, &bits, 8);
                a->values[k] = v;
            } else if (a->dtype == DT_F32) {
                uint32_t bits = le32(p);
                float v;
                memcpy(&v, &bits, 4);
                a->values[k] = v;
            } else {
                a->values[k] = (double)(int32_t)le32(p);
            }
        }
        free(raw);
    }
    if (ok && fgetc(f) != EOF) ok = 0; /* trailing bytes: not the format we think */
    fclose(f);
    if (!ok) fprintf(stderr, "%s: not a valid fixture file\n", fx->path);
    return ok ? 0 : -1;
}

static void fixture_free(Fixture *fx) {
    for (int i = 0; i < fx->count; i++) free(fx->arrays[i].values);
}

/* The named array, or NULL (and a failed check when required). */
static const FixtureArray *fixture_get(const Fixture *fx, const char *name, bool required) {
    for (int i = 0; i < fx->count; i++)
        if (!strcmp(fx->arrays[i].name, name)) return &fx->arrays[i];
    if (required) CHECK_MSG(0, "%s: no array '%s'", fx->path, name);
    return NULL;
}

/* ---- comparisons ---- */

static double tolerance; /* relative; set from sizeof(real) */
static const bool is_double = sizeof(real) == sizeof(double);
static double worst_overall;
static char worst_overall_what[128];

/* Floors (see the header): values, gradients, AdamW updates, weights. */
#define FLOOR_VALUES (is_double ? 1e-6 : 1e-3)   /* x RMS of the tensor (logits) */
#define FLOOR_GRAD (is_double ? 1e-6 : 1e-1)     /* x RMS of the parameter tensor ... */
#define FLOOR_GRAD_ALL (is_double ? 1e-8 : 1e-2) /* ... or x RMS of all gradients, whichever is larger */
#define FLOOR_UPDATE (is_double ? 1e-6 : 1.0)    /* x RMS of the update */
#define FLOOR_WEIGHTS 1e-3                       /* x RMS of the weights */
/* float: two ulps of the weight (2 x 2^-23 |w|) / tolerance: the rounding of w * (1 - lr wd) and of the
 * updated weight stays within the tolerance */
#define WEIGHT_RESOLUTION (is_double ? 0.0 : 2.4e-3)

static double rms(const double *x, size_t n) {
    double sumsq = 0;
    for (size_t i = 0; i < n; i++) sumsq += x[i] * x[i];
    return n ? sqrt(sumsq / (double)n) : 0;
}

/* Worst |ours - ref| / max(|ours|, |ref|, floor) over the elements with include[i] (all when include is NULL):
 * relative error, except that elements below `floor` are judged on the absolute scale `floor` (see the
 * header for the floors). Returns it; prints and checks it against the tolerance when `report`. */
static double compare_full(const char *model, const char *what, const real *ours, const double *ref, size_t n,
                           const bool *include, double floor, const real *weights, bool report) {
    double worst = 0;
    size_t worst_i = 0, checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (include && !include[i]) continue;
        checked++;
        double a = (double)ours[i], b = ref[i];
        double scale = fmax(fmax(fabs(a), fabs(b)), floor);
        if (weights) scale = fmax(scale, WEIGHT_RESOLUTION * fabs((double)weights[i]));
        double err = scale > 0 ? fabs(a - b) / scale : 0;
        if (!(err <= worst)) { /* NaN counts as worst */
            worst = isnan(err) ? INFINITY : err;
            worst_i = i;
        }
    }
    if (report) {
        printf("  %-13s %-24s %6zu values, worst relative error %.2e (element %zu: ours %.9g, PyTorch %.9g)\n",
               model, what, checked, worst, worst_i, n ? (double)ours[worst_i] : 0.0, n ? ref[worst_i] : 0.0);
        CHECK_MSG(worst <= tolerance, "%s %s: worst relative error %.3e at element %zu (ours %.9g, PyTorch %.9g)",
                  model, what, worst, worst_i, (double)ours[worst_i], ref[worst_i]);
    }
    if (worst > worst_overall) {
        worst_overall = worst;
        snprintf(worst_overall_what, sizeof worst_overall_what, "%s %s", model, what);
    }
    return worst;
}

static void compare(const char *model, const char *what, const real *ours, const double *ref, size_t n,
                    const bool *include, double floor) {
    compare_full(model, what, ours, ref, n, include, floor, NULL, true);
}

/* An AdamW update, measured as (weights after) - (weights before) in `real`: never finer than the
 * resolution of the weights it was added to (WEIGHT_RESOLUTION x |w|). */
static void compare_update(const char *model, const char *what, const real *ours, const double *ref, size_t n,
                           const bool *include, const real *weights) {
    compare_full(model, what, ours, ref, n, include, FLOOR_UPDATE * rms(ref, n), weights, true);
}

static void compare_scalar(const char *model, const char *what, double ours, double ref) {
    real r = (real)ours;
    compare(model, what, &r, &ref, 1, NULL, 0);
}


/* Gradients: all of them, and each parameter tensor on its own (so that a small tensor cannot hide); a tensor
 * is printed only when it fails. */
static void compare_gradients(const char *model, const char *what, const Model *m, const real *ours,
                              const double *ref, const bool *include) {
    const double all = rms(ref, m->param_count);
    double worst = 0;
    int worst_tensor = 0;
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        char label[48];
        snprintf(label, sizeof label, "%s [tensor %d]", what, t);
        const double floor = fmax(FLOOR_GRAD * rms(ref + pt->offset, pt->count), FLOOR_GRAD_ALL * all);
        double e = compare_full(model, label, ours + pt->offset, ref + pt->offset, pt->count,
                                include ? include + pt->offset : NULL, floor, NULL, false);
        if (e > tolerance || isnan(e))
            compare(model, label, ours + pt->offset, ref + pt->offset, pt->count, include ? include + pt->offset : NULL,
                    floor);
        if (e > worst) {
            worst = e;
            worst_tensor = t;
        }
    }
    size_t checked = 0;
    for (size_t i = 0; i < m->param_count; i++) checked += !include || include[i];
    printf("  %-13s %-24s %6zu values, %d tensors, worst relative error %.2e (tensor %d)\n", model, what, checked,
           m->tensor_count, worst, worst_tensor);
}

/* ---- one model ---- */

typedef struct {
    const FixtureArray *meta, *arch, *kind, *hyper, *x, *labels, *params, *logits, *loss, *grads, *update1,
        *loss2, *grads2, *update2, *opt_update1, *opt_update2;
} VitFixture;

static Model *build(const char *file, const VitFixture *f, TrainConfig *cfg) {
    const double *a = f->arch->values;
    train_config_defaults(cfg);
    cfg->dim = (int)a[0];
    cfg->depth = (int)a[1];
    cfg->heads = (int)a[2] ? (int)a[2] : 1;
    cfg->mlp_dim = (int)a[3] ? (int)a[3] : 1;
    cfg->patch = (int)a[4];
    cfg->token_mlp_dim = (int)a[5] ? (int)a[5] : 1;
    cfg->channel_mlp_dim = (int)a[6] ? (int)a[6] : 1;
    strcpy(cfg->pool, a[7] != 0 ? "mean" : "cls");
    strcpy(cfg->gelu, a[8] != 0 ? "tanh" : "erf");
    cfg->dropout = cfg->attn_dropout = 0;
    strcpy(cfg->optimizer, "adamw");
    cfg->lr = f->hyper->values[0];
    cfg->weight_decay = f->hyper->values[1];
    cfg->beta1 = f->hyper->values[2];
    cfg->beta2 = f->hyper->values[3];
    cfg->adam_eps = f->hyper->values[4];
    cfg->wd_norm_bias = 1; /* torch.optim.AdamW decays every parameter */
    cfg->grad_clip = 0;
    const double *meta = f->meta->values;
    char err[ERR_LEN];
    Model *m = NULL;
    CHECK_MSG(model_create(&m, f->kind->values[0] != 0 ? "mixer" : "vit", cfg, (int)meta[1], (int)meta[2],
                           (int)meta[3], (int)meta[4], (int)meta[0], 0, err) == 0,
              "%s: %s", file, err);
    if (m)
        CHECK_MSG(m->param_count == f->params->count, "%s: %zu parameters, fixture %llu", file, m->param_count,
                  (unsigned long long)f->params->count);
    if (m && m->param_count != f->params->count) {
        model_free(m);
        return NULL;
    }
    return m;
}

/* significant[i]: the reference gradient is resolved -- in double, |g| >= 1e-9 x RMS of all gradients (only
 * the exact zeros fail); in float, |g| at or above the floor of the gradient comparison (max(0.1 x RMS of its
 * tensor, 0.01 x RMS of all)), below which float32 does not resolve it to 1e-4 relative, and so neither
 * AdamW's per-element normalised step. Returns how many are not. */
static size_t mark_significant(bool *significant, const Model *m, const double *g) {
    const double all = rms(g, m->param_count);
    size_t skipped = 0;
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        const double threshold =
            is_double ? 1e-9 * all : fmax(FLOOR_GRAD * rms(g + pt->offset, pt->count), FLOOR_GRAD_ALL * all);
        for (size_t i = pt->offset; i < pt->offset + pt->count; i++) {
            significant[i] = fabs(g[i]) >= threshold;
            skipped += !significant[i];
        }
    }
    return skipped;
}

static void check_model(const char *dir, const char *file, const char *name) {
    Fixture fx;
    if (fixture_load(&fx, dir, file) != 0) {
        CHECK_MSG(0, "%s: cannot load", file);
        return;
    }
    const char *names[] = {"meta",    "arch",   "model", "hyper",      "x",           "labels",
                           "params",  "logits", "loss",  "grads",      "update1",     "loss_step2",
                           "grads_step2", "update2", "opt_update1", "opt_update2"};
    const FixtureArray *arrays[16];
    bool complete = true;
    for (int i = 0; i < 16; i++) complete &= (arrays[i] = fixture_get(&fx, names[i], true)) != NULL;
    if (!complete || arrays[1]->count != 9 || arrays[3]->count != 6 || arrays[0]->count != 5) {
        CHECK_MSG(0, "%s: incomplete fixture", file);
        fixture_free(&fx);
        return;
    }
    VitFixture f = {arrays[0], arrays[1], arrays[2],  arrays[3],  arrays[4],  arrays[5],  arrays[6],  arrays[7],
                    arrays[8], arrays[9], arrays[10], arrays[11], arrays[12], arrays[13], arrays[14], arrays[15]};
    const int B = (int)f.meta->values[0], K = (int)f.meta->values[4];
    TrainConfig cfg;
    Model *m = build(file, &f, &cfg);
    if (!m) {
        fixture_free(&fx);
        return;
    }
    const size_t P = m->param_count;
    bool sizes_ok = f.x->count == (uint64_t)B * f.meta->values[1] * f.meta->values[2] * f.meta->values[3] &&
                    f.labels->count == (uint64_t)B && f.logits->count == (uint64_t)B * K;
    for (int i = 9; i < 16; i++) sizes_ok &= i == 11 || arrays[i]->count == P;
    CHECK_MSG(sizes_ok, "%s: array sizes do not match the model", file);
    if (!sizes_ok) {
        model_free(m);
        fixture_free(&fx);
        return;
    }
    real *xr = malloc(f.x->count * sizeof(real)), *probs = malloc((size_t)B * K * sizeof(real)),
         *before = malloc(P * sizeof(real)), *delta = malloc(P * sizeof(real));
    double *ref = malloc(P * sizeof(double));
    bool *significant1 = malloc(P), *significant2 = malloc(P);
    int32_t *y = malloc((size_t)B * sizeof(int32_t));
    for (size_t i = 0; i < f.x->count; i++) xr[i] = (real)f.x->values[i];
    for (int b = 0; b < B; b++) y[b] = (int32_t)f.labels->values[b];
    for (size_t i = 0; i < P; i++) m->params[i] = (real)f.params->values[i];

    /* forward (training mode), loss, backward */
    const real *out = model_forward(m, xr, B, true);
    compare(name, "logits", out, f.logits->values, (size_t)B * K, NULL, FLOOR_VALUES * rms(f.logits->values, (size_t)B * K));
    compare_scalar(name, "loss", softmax_xent_forward(probs, out, y, B, K, 0), f.loss->values[0]);
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), probs, y, B, K, 0);
    model_backward(m, B);
    compare_gradients(name, "gradients", m, m->grads, f.grads->values, NULL);

    /* (a) end to end: AdamW step 1 from our gradients; the update is compared where the gradient is not
     * (nearly) zero in exact arithmetic, see the header */
    size_t skipped = mark_significant(significant1, m, f.grads->values);
    char err[ERR_LEN];
    Optimizer opt;
    CHECK_MSG(optimizer_init(&opt, &cfg, m, err) == 0, "%s", err);
    memcpy(before, m->params, P * sizeof(real));
    optimizer_step(&opt, m, cfg.lr);
    for (size_t i = 0; i < P; i++) {
        ref[i] = f.params->values[i] + f.update1->values[i];
        delta[i] = m->params[i] - before[i];
    }
    compare(name, "weights after step 1", m->params, ref, P, significant1, FLOOR_WEIGHTS * rms(ref, P));
    compare_update(name, "update 1", delta, f.update1->values, P, significant1, before);
    printf("  %-13s   (%zu of %zu entries with unresolved gradients not compared in step 1)\n", name, skipped, P);
    /* the loss and gradients at the new weights, then step 2 with clipping */
    out = model_forward(m, xr, B, true);
    compare_scalar(name, "loss after step 1", softmax_xent_forward(probs, out, y, B, K, 0), f.loss2->values[0]);
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), probs, y, B, K, 0);
    model_backward(m, B);
    compare_gradients(name, "gradients after step 1", m, m->grads, f.grads2->values, significant1);
    skipped = mark_significant(significant2, m, f.grads2->values);
    for (size_t i = 0; i < P; i++) significant2[i] = significant2[i] && significant1[i];
    opt.grad_clip = f.hyper->values[5];
    memcpy(before, m->params, P * sizeof(real));
    optimizer_step(&opt, m, cfg.lr);
    CHECK(opt.step == 2);
    for (size_t i = 0; i < P; i++) {
        ref[i] += f.update2->values[i];
        delta[i] = m->params[i] - before[i];
    }
    compare(name, "weights after step 2", m->params, ref, P, significant2, FLOOR_WEIGHTS * rms(ref, P));
    compare_update(name, "update 2 (clipped)", delta, f.update2->values, P, significant2, before);
    printf("  %-13s   (%zu of %zu entries with unresolved gradients not compared in step 2)\n", name, skipped, P);
    optimizer_free(&opt);

    /* (b) the optimiser alone, from PyTorch's gradients (as stored, in float32): every entry */
    CHECK_MSG(optimizer_init(&opt, &cfg, m, err) == 0, "%s", err);
    for (size_t i = 0; i < P; i++) {
        m->params[i] = (real)f.params->values[i];
        m->grads[i] = (real)f.grads->values[i];
    }
    optimizer_step(&opt, m, cfg.lr);
    for (size_t i = 0; i < P; i++) {
        before[i] = (real)f.params->values[i];
        delta[i] = m->params[i] - before[i];
        ref[i] = f.params->values[i] + f.opt_update1->values[i];
    }
    compare_update(name, "AdamW alone: update 1", delta, f.opt_update1->values, P, NULL, before);
    for (size_t i = 0; i < P; i++) {
        m->params[i] = (real)ref[i];
        m->grads[i] = (real)f.grads2->values[i];
        before[i] = m->params[i];
    }
    opt.grad_clip = f.hyper->values[5];
    optimizer_step(&opt, m, cfg.lr);
    for (size_t i = 0; i < P; i++) delta[i] = m->params[i] - before[i];
    compare_update(name, "AdamW alone: update 2", delta, f.opt_update2->values, P, NULL, before);
    optimizer_free(&opt);

    free(xr), free(probs), free(before), free(delta), free(ref), free(significant1), free(significant2), free(y);
    model_free(m);
    fixture_free(&fx);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    tolerance = sizeof(real) == sizeof(double) ? 1e-6 : 1e-4;
    printf("ViT / Mixer golden tests, %s build, tolerance %.0e relative\n",
           sizeof(real) == sizeof(double) ? "double" : "float", tolerance);
    check_model(argv[1], "vit.bin", "vit");
    check_model(argv[1], "vit_mean_tanh.bin", "vit mean tanh");
    check_model(argv[1], "mixer.bin", "mixer");
    printf("worst of all: %.2e (%s)\n", worst_overall, worst_overall_what);
    return check_report(sizeof(real) == sizeof(double) ? "test_golden_vit_f64" : "test_golden_vit");
}

/* Golden tests against PyTorch: fixtures written by tests/golden/export_fixtures.py (PyTorch 1.13, float64
 * reference computations from float32 weights and inputs) for a CIFAR ResNet-8 (option B), a width-0.0625
 * VGG-11 (BN) and LeNet with batch norm (BatchNorm2d and BatchNorm1d): our training-mode forward, loss (plain
 * and label-smoothed), BN running statistics, every parameter gradient and the weights after one (VGG: two) SGD
 * steps with lr 0.1, momentum 0.9, Nesterov and weight decay 5e-4 must match. Also OneCycleLR and MultiStepLR
 * against schedule_lr.
 *
 * Built twice: in float (tolerance 1e-4 relative, as training runs; see compare_ex for the floor) and in
 * double (1e-6: then the only difference left is the float32 rounding of the stored reference values).
 * Usage: test_golden FIXTURE_DIR */
#include <float.h>
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
static double worst_overall;
static char worst_overall_what[128];

/* Elementwise |ours - ref| <= tol * max(|ours|, |ref|, floor) + slack[i]; reports the worst element.
 *
 * floor: in the float build, 0.25 x the RMS of the reference tensor (per parameter tensor when `tensors` is
 * given, else of the whole array). Float32 gradients through nine conv + batch-norm layers carry an absolute
 * noise of about 1e-5 of their tensor's RMS (ours and PyTorch's alike), so an element much smaller than the
 * rest of its tensor cannot be matched to 1e-4 of itself by any float32 implementation: with a floor of
 * 0.1 x RMS, PyTorch's own float32 gradients of the vgg11 fixture are off from its float64 ones by 1.1e-4
 * (ours by 7e-5 to 9e-5 depending on the OpenBLAS kernel); 0.25 leaves a margin across kernels. Every
 * element larger than the floor is still held to 1e-4 of itself, and the double build (no floor: 1e-30)
 * checks every value to 1e-6, i.e. down to the float32 rounding of the stored reference.
 * slack: per-element absolute allowance (NULL = none), for differences of stored float32 weights.
 *
 * A bias whose layer feeds a batch norm (LeNet with bn keeps them, as d2l's) has a zero gradient in exact
 * arithmetic: what either framework computes for it is rounding noise (about 1e-9 in float, 1e-17 in double
 * here), which no relative measure can match. Such a tensor's floor is the RMS of the whole array in both builds,
 * so its entries are held to tolerance x that absolute scale (and its update, weight decay alone, likewise). */
static bool bias_before_batchnorm(const Model *m, int t) {
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->bias_count == 0 || l->bias != m->tensors[t].offset) continue;
        for (int j = 0; j < m->layer_count; j++)
            if (m->layers[j].kind == LAYER_BATCHNORM && m->layers[j].in == l->out) return true;
    }
    return false;
}

static void compare_ex(const char *model, const char *what, const real *ours, const double *ref, size_t n,
                       const Model *tensors, const double *slack) {
    const bool is_double = sizeof(real) == sizeof(double);
    double worst = 0;
    size_t worst_i = 0;
    int segments = tensors ? tensors->tensor_count : 1;
    double sumsq_all = 0;
    for (size_t i = 0; i < n; i++) sumsq_all += ref[i] * ref[i];
    const double rms_all = n ? sqrt(sumsq_all / (double)n) : 0;
    for (int t = 0; t < segments; t++) {
        size_t begin = tensors ? tensors->tensors[t].offset : 0;
        size_t end = tensors ? begin + tensors->tensors[t].count : n;
        double sumsq = 0;
        for (size_t i = begin; i < end; i++) sumsq += ref[i] * ref[i];
        double rms = end > begin ? sqrt(sumsq / (double)(end - begin)) : 0;
        double floor = is_double ? 1e-30 : 0.25 * rms;
        if (tensors && bias_before_batchnorm(tensors, t)) floor = fmax(floor, rms_all);
        for (size_t i = begin; i < end; i++) {
            double a = (double)ours[i], b = ref[i];
            double allowed = tolerance * fmax(fmax(fabs(a), fabs(b)), floor) + (slack ? slack[i] : 0);
            double diff = fabs(a - b), denom = allowed / tolerance; /* err <= tolerance <=> diff <= allowed */
            double err = diff == 0 ? 0 : denom > 0 ? diff / denom : INFINITY;
            if (!(err <= worst)) { /* NaN counts as worst */
                worst = isnan(err) ? INFINITY : err;
                worst_i = i;
            }
        }
    }
    printf("  %-8s %-20s %6zu values, worst relative error %.2e (element %zu: ours %.9g, PyTorch %.9g)\n", model,
           what, n, worst, worst_i, n ? (double)ours[worst_i] : 0.0, n ? ref[worst_i] : 0.0);
    CHECK_MSG(worst <= tolerance, "%s %s: worst relative error %.3e at element %zu (ours %.9g, PyTorch %.9g)",
              model, what, worst, worst_i, (double)ours[worst_i], ref[worst_i]);
    if (worst > worst_overall) {
        worst_overall = worst;
        snprintf(worst_overall_what, sizeof worst_overall_what, "%s %s", model, what);
    }
}

static void compare(const char *model, const char *what, const real *ours, const double *ref, size_t n) {
    compare_ex(model, what, ours, ref, n, NULL, NULL);
}

static void compare_scalar(const char *model, const char *what, double ours, double ref) {
    real r = (real)ours;
    compare(model, what, &r, &ref, 1);
}

/* The update of one SGD step, ours against PyTorch's. Comparing the weights alone would hide a wrong update
 * (it is ~1e-3 of them); the reference update is a difference of two float32-rounded weight vectors, known
 * only to FLT_EPSILON/2 of each, hence the slack. */
static void compare_update(const char *model, const char *what, const Model *m, const real *before,
                           const double *ref_before, const double *ref_after) {
    size_t P = m->param_count;
    real *delta = malloc(P * sizeof(real));
    double *ref_delta = malloc(P * sizeof(double)), *slack = malloc(P * sizeof(double));
    for (size_t i = 0; i < P; i++) {
        delta[i] = m->params[i] - before[i];
        ref_delta[i] = ref_after[i] - ref_before[i];
        slack[i] = FLT_EPSILON * (fabs(ref_before[i]) + fabs(ref_after[i]));
    }
    compare_ex(model, what, delta, ref_delta, P, m, slack);
    free(delta);
    free(ref_delta);
    free(slack);
}

/* ---- one model ---- */

static void check_model(const char *dir, const char *file, const char *name, double width, int bn) {
    Fixture fx;
    CHECK(fixture_load(&fx, dir, file) == 0);
    const FixtureArray *meta = fixture_get(&fx, "meta", true), *x = fixture_get(&fx, "x", true),
                       *labels = fixture_get(&fx, "labels", true), *params = fixture_get(&fx, "params", true),
                       *logits = fixture_get(&fx, "logits", true), *loss = fixture_get(&fx, "loss", true),
                       *loss_smooth = fixture_get(&fx, "loss_smooth", true),
                       *dlogits_smooth = fixture_get(&fx, "dlogits_smooth", true),
                       *running = fixture_get(&fx, "running", true), *grads = fixture_get(&fx, "grads", true),
                       *step1 = fixture_get(&fx, "params_step1", true),
                       *loss2 = fixture_get(&fx, "loss_step2", false), *step2 = fixture_get(&fx, "params_step2", false);
    if (!meta || !x || !labels || !params || !logits || !loss || !loss_smooth || !dlogits_smooth || !running || !grads ||
        !step1 || meta->count != 5) {
        fixture_free(&fx);
        return;
    }
    const int B = (int)meta->values[0], C = (int)meta->values[1], H = (int)meta->values[2], W = (int)meta->values[3],
              K = (int)meta->values[4];
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.optimizer, "sgd");
    strcpy(cfg.shortcut, "B");
    cfg.width = width;
    cfg.bn = bn;
    cfg.momentum = 0.9;
    cfg.nesterov = 1;
    cfg.weight_decay = 5e-4;
    cfg.wd_norm_bias = 1; /* torch.optim.SGD decays every parameter */
    char err[ERR_LEN];
    Model *m = NULL;
    CHECK_MSG(model_create(&m, name, &cfg, C, H, W, K, B, 0, err) == 0, "%s", err);
    if (!m) {
        fixture_free(&fx);
        return;
    }
    CHECK_MSG(m->param_count == params->count, "%s: %zu parameters, fixture %llu", name, m->param_count,
              (unsigned long long)params->count);
    CHECK_MSG(m->buffer_count == running->count, "%s: %zu buffers, fixture %llu", name, m->buffer_count,
              (unsigned long long)running->count);
    CHECK(x->count == (uint64_t)B * C * H * W && labels->count == (uint64_t)B && logits->count == (uint64_t)B * K);
    CHECK(grads->count == params->count && step1->count == params->count && dlogits_smooth->count == logits->count);
    if (m->param_count != params->count || m->buffer_count != running->count || x->count != (uint64_t)B * C * H * W ||
        labels->count != (uint64_t)B || logits->count != (uint64_t)B * K || grads->count != params->count ||
        step1->count != params->count || dlogits_smooth->count != logits->count ||
        (step2 && step2->count != params->count)) {
        model_free(m);
        fixture_free(&fx);
        return;
    }
    const size_t P = m->param_count;
    real *xr = malloc(x->count * sizeof(real)), *probs = malloc((size_t)B * K * sizeof(real)),
         *probs_s = malloc((size_t)B * K * sizeof(real)), *dls = calloc((size_t)B * K, sizeof(real)),
         *before = malloc(P * sizeof(real));
    int32_t *y = malloc((size_t)B * sizeof(int32_t));
    for (size_t i = 0; i < x->count; i++) xr[i] = (real)x->values[i];
    for (int b = 0; b < B; b++) y[b] = (int32_t)labels->values[b];
    for (size_t i = 0; i < P; i++) m->params[i] = (real)params->values[i];

    /* forward (training mode), both losses, d(smoothed loss)/d(logits) */
    const real *out = model_forward(m, xr, B, true);
    compare(name, "logits", out, logits->values, (size_t)B * K);
    compare_scalar(name, "loss", softmax_xent_forward(probs, out, y, B, K, 0), loss->values[0]);
    compare_scalar(name, "loss (smooth 0.1)", softmax_xent_forward(probs_s, out, y, B, K, (real)0.1),
                   loss_smooth->values[0]);
    softmax_xent_backward(dls, probs_s, y, B, K, (real)0.1);
    compare(name, "dlogits (smooth)", dls, dlogits_smooth->values, (size_t)B * K);
    compare(name, "BN running stats", m->buffers, running->values, m->buffer_count);
    for (size_t i = 0; i < m->buffer_count; i++) /* the momentum-0.1 update happened: nothing is still 0 or 1 */
        if (m->buffers[i] == 0 || m->buffers[i] == 1) CHECK_MSG(0, "%s: running stat %zu unchanged", name, i);

    /* backward: every gradient (floors per tensor) */
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), probs, y, B, K, 0);
    model_backward(m, B);
    compare_ex(name, "gradients", m->grads, grads->values, P, m, NULL);

    /* one SGD step (lr 0.1): the weights, and the update itself */
    Optimizer opt;
    CHECK_MSG(optimizer_init(&opt, &cfg, m, err) == 0, "%s", err);
    memcpy(before, m->params, P * sizeof(real));
    optimizer_step(&opt, m, 0.1);
    compare_ex(name, "weights after step 1", m->params, step1->values, P, m, NULL);
    compare_update(name, "update of step 1", m, before, params->values, step1->values);

    if (loss2 && step2) {
        /* A second forward/backward/step on the same batch: the momentum buffer (the velocity is ours).
         * The float build starts it from PyTorch's weights after step 1 (equal to ours within float rounding,
         * checked above), so that it checks this step rather than step 1's rounding amplified by another
         * forward and backward (PyTorch's own float32 run is 2e-4 off its float64 one by then). The
         * double build goes on from its own weights: they are the exact ones, the stored float32 copy is not. */
        if (sizeof(real) == sizeof(float))
            for (size_t i = 0; i < P; i++) m->params[i] = (real)step1->values[i];
        const real *out2 = model_forward(m, xr, B, true);
        compare_scalar(name, "loss at step 2", softmax_xent_forward(probs, out2, y, B, K, 0), loss2->values[0]);
        model_zero_grads(m);
        softmax_xent_backward(model_logits_grad(m), probs, y, B, K, 0);
        model_backward(m, B);
        memcpy(before, m->params, P * sizeof(real));
        optimizer_step(&opt, m, 0.1);
        compare_ex(name, "weights after step 2", m->params, step2->values, P, m, NULL);
        compare_update(name, "update of step 2", m, before, step1->values, step2->values);
    }
    optimizer_free(&opt);
    free(xr);
    free(probs);
    free(probs_s);
    free(dls);
    free(before);
    free(y);
    model_free(m);
    fixture_free(&fx);
}

/* ---- schedules ---- */

static void compare_schedule(const char *what, const TrainConfig *cfg, long steps_per_epoch, const FixtureArray *lr) {
    double worst = 0;
    long worst_step = 0;
    for (uint64_t s = 0; s < lr->count; s++) {
        double ours = schedule_lr(cfg, (long)s, steps_per_epoch), ref = lr->values[s];
        double err = fabs(ours - ref) / fmax(fmax(fabs(ours), fabs(ref)), 1e-300);
        if (!(err <= worst)) {
            worst = isnan(err) ? INFINITY : err;
            worst_step = (long)s;
        }
    }
    printf("  %-26s %4llu steps, worst relative error %.2e (step %ld: ours %.12g, PyTorch %.12g)\n", what,
           (unsigned long long)lr->count, worst, worst_step, schedule_lr(cfg, worst_step, steps_per_epoch),
           lr->values[worst_step]);
    CHECK_MSG(worst <= 1e-6, "%s: worst relative error %.3e at step %ld (ours %.12g, PyTorch %.12g)", what, worst,
              worst_step, schedule_lr(cfg, worst_step, steps_per_epoch), lr->values[worst_step]);
}

static void check_schedules(const char *dir) {
    Fixture fx;
    CHECK(fixture_load(&fx, dir, "schedules.bin") == 0);
    const char *tags[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        char meta_name[32], lr_name[32];
        snprintf(meta_name, sizeof meta_name, "onecycle_%s_meta", tags[i]);
        snprintf(lr_name, sizeof lr_name, "onecycle_%s_lr", tags[i]);
        const FixtureArray *meta = fixture_get(&fx, meta_name, true), *lr = fixture_get(&fx, lr_name, true);
        if (!meta || !lr) continue;
        TrainConfig cfg;
        train_config_defaults(&cfg);
        strcpy(cfg.schedule, "onecycle");
        cfg.lr = meta->values[0];
        cfg.epochs = (int)meta->values[1];
        long spe = (long)meta->values[2];
        CHECK(lr->count == (uint64_t)cfg.epochs * (uint64_t)spe);
        char what[64];
        snprintf(what, sizeof what, "OneCycleLR %d x %ld", cfg.epochs, spe);
        compare_schedule(what, &cfg, spe, lr);
    }
    const FixtureArray *meta = fixture_get(&fx, "multistep_meta", true),
                       *milestones = fixture_get(&fx, "multistep_milestones", true),
                       *lr = fixture_get(&fx, "multistep_lr", true);
    if (meta && milestones && lr) {
        TrainConfig cfg;
        train_config_defaults(&cfg);
        strcpy(cfg.schedule, "multistep");
        cfg.lr = meta->values[0];
        cfg.epochs = (int)meta->values[1];
        long spe = (long)meta->values[2];
        cfg.gamma = meta->values[3];
        cfg.milestones[0] = '\0';
        for (uint64_t i = 0; i < milestones->count; i++) {
            size_t len = strlen(cfg.milestones);
            snprintf(cfg.milestones + len, sizeof cfg.milestones - len, "%s%d", i ? "," : "",
                     (int)milestones->values[i]);
        }
        CHECK(lr->count == (uint64_t)cfg.epochs * (uint64_t)spe);
        char what[128];
        snprintf(what, sizeof what, "MultiStepLR [%s] x %g", cfg.milestones, cfg.gamma);
        compare_schedule(what, &cfg, spe, lr);
    }
    fixture_free(&fx);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    tolerance = sizeof(real) == sizeof(double) ? 1e-6 : 1e-4;
    printf("golden tests, %s build, tolerance %.0e relative\n", sizeof(real) == sizeof(double) ? "double" : "float",
           tolerance);
    check_model(argv[1], "resnet8.bin", "resnet8", 1.0, -1);
    check_model(argv[1], "vgg11.bin", "vgg11", 0.0625, -1);
    check_model(argv[1], "lenet_bn.bin", "lenet", 1.0, 1);
    printf("worst of all: %.2e (%s)\n", worst_overall, worst_overall_what);
    check_schedules(argv[1]);
    return check_report(sizeof(real) == sizeof(double) ? "test_golden_f64" : "test_golden");
}

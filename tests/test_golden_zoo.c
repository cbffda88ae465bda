/* Golden one-step tests of the model zoo against torchvision 0.14's own model classes: fixtures written by
 * tests/golden/export_zoo_fixtures.py (PyTorch 1.13, float64 reference computations). For each model: one
 * training-mode forward (logits of the main and auxiliary heads), the loss and the training objective (main +
 * weighted auxiliary losses), backward, one step of SGD (lr 0.1, momentum 0.9, Nesterov, weight decay 5e-4).
 *
 * The models are too large to store their weights and gradients (GoogLeNet 6.6M parameters, Inception-v3
 * 27M), so neither side stores weights: both generate the initial weights and the input from one formula
 * (hash32, param_value, input_value below; the exporter's docstring defines it), and the gradients, the
 * update (weights after the step minus before) and the BN running statistics are compared through summaries
 * per tensor: sum, sum of |x|, sum of squares, a dot product with a pseudo-random sign vector, and 32 entries
 * at pseudo-random indices. Logits and losses are compared in full.
 *
 * Tolerances are test_golden.c's: float build 1e-4 relative with a floor of 0.25 x the tensor's RMS per
 * element (the float32 rounding noise of deep nets; see compare_ex there), double build 1e-6 with no floor.
 * A summary is held to what those per-element bounds imply for it: a sum or signed sum of elements each within
 * tol x max(|x_i|, floor) may be off by tol x (sum |x_i| + n floor); a sum of squares by
 * 2 tol x (sum x_i^2 + n floor^2). The update's reference is exact, ours is a difference of two rounded
 * weights, hence a per-element slack of the real type's epsilon x (|before| + |after|).
 *
 * A tensor whose reference is zero in exact arithmetic (a bias in front of a batch norm; any tensor below
 * tol x the array's RMS) is held to tol x the whole array's RMS instead (see compare_summaries).
 *
 * Dropout is disabled (p = 0 in every dropout layer: `dropout` 0, and GoogLeNet's auxiliary heads' fixed 0.7
 * set to 0 after building), as in the exporter: its masks are random.
 * Usage: test_golden_zoo FIXTURE_DIR */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "layer.h"
#include "model.h"
#include "ops.h"
#include "optim.h"

/* ---- fixture files (the format of test_golden.c / export_fixtures.py) ---- */

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
                uint64_t b = le64(p);
                double v;
                memcpy(&v, &b, 8);
                a->values[k] = v;
            } else if (a->dtype == DT_F32) {
                uint32_t b = le32(p);
                float v;
                memcpy(&v, &b, 4);
                a->values[k] = v;
            } else {
                a->values[k] = (double)(int32_t)le32(p);
            }
        }
        free(raw);
    }
    if (ok && fgetc(f) != EOF) ok = 0;
    fclose(f);
    if (!ok) fprintf(stderr, "%s: not a valid fixture file\n", fx->path);
    return ok ? 0 : -1;
}

static void fixture_free(Fixture *fx) {
    for (int i = 0; i < fx->count; i++) free(fx->arrays[i].values);
}

static const FixtureArray *fixture_get(const Fixture *fx, const char *name, bool required) {
    for (int i = 0; i < fx->count; i++)
        if (!strcmp(fx->arrays[i].name, name)) return &fx->arrays[i];
    if (required) CHECK_MSG(0, "%s: no array '%s'", fx->path, name);
    return NULL;
}

/* ---- the values both sides generate (export_zoo_fixtures.py's docstring) ---- */

enum { STREAM_PARAM = 1, STREAM_INPUT = 2, STREAM_SIGN = 3, STREAM_SAMPLE = 4 };
#define SAMPLES 32
#define SUMMARY (4 + SAMPLES)

/* lowbias32 */
static uint32_t hash32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static uint32_t key(uint32_t stream, uint32_t t) { return hash32(stream * 0x9e3779b9u + t); }
static uint32_t bits(uint32_t stream, uint32_t t, uint32_t i) { return hash32(i ^ key(stream, t)); }
/* in [0, 1), 24 bits: exact in float and double */
static double uniform(uint32_t stream, uint32_t t, uint32_t i) { return (double)(bits(stream, t, i) >> 8) / 16777216.0; }

/* center + scale x (u - 0.5) is exact in double (scale is a power of two); one rounding to float32 */
static real param_value(int t, size_t i, double center, double scale) {
    return (real)(float)(center + scale * (uniform(STREAM_PARAM, (uint32_t)t, (uint32_t)i) - 0.5));
}

/* ---- summaries ---- */

/* A segment of a flat array: a parameter tensor, or one BN layer's running mean or variance. */
typedef struct {
    size_t offset, count;
    bool zero_grad_bias; /* a bias in front of a batch norm: zero gradient in exact arithmetic */
} Segment;

static double tolerance;
static double worst_overall;
static char worst_overall_what[160];

static void note_worst(const char *model, const char *what, double worst) {
    if (worst > worst_overall) {
        worst_overall = worst;
        snprintf(worst_overall_what, sizeof worst_overall_what, "%s %s", model, what);
    }
}

/* Error measure of test_golden.c: diff / allowed x tol, so that err <= tol <=> diff <= allowed. */
static double rel_err(double ours, double ref, double allowed) {
    double diff = fabs(ours - ref), denom = allowed / tolerance;
    if (isnan(diff)) return INFINITY;
    return diff == 0 ? 0 : denom > 0 ? diff / denom : INFINITY;
}

/* Compares every segment's summaries (ref: [segments][SUMMARY]) with ours of x; slack (NULL = none) is the
 * per-element allowance. Reports the worst value, names its segment and statistic. */
static void compare_summaries(const char *model, const char *what, const real *x, const double *slack,
                              const Segment *segs, int nseg, const double *ref) {
    const bool is_double = sizeof(real) == sizeof(double);
    static const char *stat_names[4] = {"sum", "sum|x|", "sum x^2", "signed sum"};
    double sumsq_all = 0, n_all = 0;
    for (int t = 0; t < nseg; t++) {
        sumsq_all += ref[(size_t)t * SUMMARY + 2];
        n_all += (double)segs[t].count;
    }
    const double rms_all = n_all > 0 ? sqrt(sumsq_all / n_all) : 0;
    double worst = 0, worst_ours = 0, worst_ref = 0;
    int worst_seg = 0;
    char worst_stat[32] = "";
    for (int t = 0; t < nseg; t++) {
        const real *v = x + segs[t].offset;
        const double *sl = slack ? slack + segs[t].offset : NULL;
        const double *r = ref + (size_t)t * SUMMARY;
        const size_t n = segs[t].count;
        const double rms = sqrt(r[2] / (double)n);
        double floor = is_double ? 1e-30 : 0.25 * rms;
        /* Zero in exact arithmetic, so only rounding noise to compare: a bias in front of a batch norm (as
         * test_golden.c), and any tensor whose reference is below tol x the whole array's RMS (e.g. the stem BN
         * beta of a ResNet-50: its stage-1 input feeds only 1x1 convs + BN, whose gradient sums to 0 per channel
         * and passes the max pool and ReLU unchanged when every pool winner is positive; 1e-15 here). Held to
         * tol x the whole array's RMS, absolute: a real nonzero value where PyTorch has none still fails. */
        if (segs[t].zero_grad_bias || rms < tolerance * rms_all) floor = fmax(floor, rms_all);
        /* Single elements can be zero in exact arithmetic too (one BN channel's beta by the same argument, in a
         * tensor whose other channels are not): no element is held below 1e-4 x the whole array's RMS. */
        floor = fmax(floor, 1e-4 * rms_all);
        double ours[SUMMARY] = {0}, slack_lin = 0, slack_sq = 0;
        for (size_t i = 0; i < n; i++) {
            const double a = (double)v[i];
            const double s = bits(STREAM_SIGN, (uint32_t)t, (uint32_t)i) < 0x80000000u ? 1.0 : -1.0;
            ours[0] += a;
            ours[1] += fabs(a);
            ours[2] += a * a;
            ours[3] += s * a;
            if (sl) {
                slack_lin += sl[i];
                slack_sq += 2 * fabs(a) * sl[i];
            }
        }
        double allowed[SUMMARY];
        allowed[0] = allowed[1] = allowed[3] = tolerance * (r[1] + (double)n * floor) + slack_lin;
        allowed[2] = 2 * tolerance * (r[2] + (double)n * floor * floor) + slack_sq;
        for (int j = 0; j < SAMPLES; j++) {
            const size_t idx = bits(STREAM_SAMPLE, (uint32_t)t, (uint32_t)j) % n;
            const double a = (double)v[idx], b = r[4 + j];
            ours[4 + j] = a;
            allowed[4 + j] = tolerance * fmax(fmax(fabs(a), fabs(b)), floor) + (sl ? sl[idx] : 0);
        }
        for (int k = 0; k < SUMMARY; k++) {
            double err = rel_err(ours[k], r[k], allowed[k]);
            if (getenv("ZOO_VERBOSE") && err > tolerance)
                printf("    %s tensor %d (%zu) stat %d: ours %.9g ref %.9g err %.2e\n", what, t, n, k, ours[k], r[k], err);
            if (!(err <= worst)) {
                worst = isnan(err) ? INFINITY : err;
                worst_seg = t;
                worst_ours = ours[k];
                worst_ref = r[k];
                if (k < 4) snprintf(worst_stat, sizeof worst_stat, "%s", stat_names[k]);
                else snprintf(worst_stat, sizeof worst_stat, "entry %zu", bits(STREAM_SAMPLE, (uint32_t)t, (uint32_t)(k - 4)) % n);
            }
        }
    }
    printf("  %-16s %-18s %4d tensors, worst relative error %.2e (tensor %d %s: ours %.9g, PyTorch %.9g)\n", model,
           what, nseg, worst, worst_seg, worst_stat, worst_ours, worst_ref);
    CHECK_MSG(worst <= tolerance, "%s %s: worst relative error %.3e at tensor %d %s (ours %.9g, PyTorch %.9g)", model,
              what, worst, worst_seg, worst_stat, worst_ours, worst_ref);
    note_worst(model, what, worst);
}

/* Elementwise, floor 0.25 x RMS of the whole array in the float build (logits are one tensor). */
static void compare_full(const char *model, const char *what, const real *ours, const double *ref, size_t n) {
    const bool is_double = sizeof(real) == sizeof(double);
    double sumsq = 0;
    for (size_t i = 0; i < n; i++) sumsq += ref[i] * ref[i];
    const double floor = is_double ? 1e-30 : 0.25 * sqrt(sumsq / (double)n);
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        double a = (double)ours[i], b = ref[i];
        double err = rel_err(a, b, tolerance * fmax(fmax(fabs(a), fabs(b)), floor));
        if (!(err <= worst)) {
            worst = isnan(err) ? INFINITY : err;
            worst_i = i;
        }
    }
    printf("  %-16s %-18s %6zu values, worst relative error %.2e (element %zu: ours %.9g, PyTorch %.9g)\n", model,
           what, n, worst, worst_i, (double)ours[worst_i], ref[worst_i]);
    CHECK_MSG(worst <= tolerance, "%s %s: worst relative error %.3e at element %zu (ours %.9g, PyTorch %.9g)", model,
              what, worst, worst_i, (double)ours[worst_i], ref[worst_i]);
    note_worst(model, what, worst);
}

static void compare_scalar(const char *model, const char *what, double ours, double ref) {
    real r = (real)ours;
    compare_full(model, what, &r, &ref, 1);
}

/* ---- one model ---- */

typedef struct {
    const char *file, *name;
    double width;
    const char *stem;
    int bn, aux, depth, growth;
    bool double_only; /* ill-conditioned in float32 for PyTorch too: checked in the double build only */
    int se;           /* `se` (1: squeeze-and-excitation in the ResNet blocks; 0, when left out: auto) */
} ZooCase;

static bool feeds_batchnorm(const Model *m, const Layer *l) {
    for (int j = 0; j < m->layer_count; j++)
        if (m->layers[j].kind == LAYER_BATCHNORM && m->layers[j].in == l->out) return true;
    return false;
}

static void check_model(const char *dir, const ZooCase *c) {
    Fixture fx;
    if (fixture_load(&fx, dir, c->file) != 0) {
        CHECK_MSG(0, "%s: cannot load", c->file);
        return;
    }
    const FixtureArray *meta = fixture_get(&fx, "meta", true), *labels = fixture_get(&fx, "labels", true),
                       *tcount = fixture_get(&fx, "tensor_count", true), *tinit = fixture_get(&fx, "tensor_init", true),
                       *logits = fixture_get(&fx, "logits", true), *aux_logits = fixture_get(&fx, "aux_logits", false),
                       *loss = fixture_get(&fx, "loss", true), *objective = fixture_get(&fx, "objective", true),
                       *running = fixture_get(&fx, "running", true), *grads = fixture_get(&fx, "grads", true),
                       *update = fixture_get(&fx, "update", true);
    if (!meta || !labels || !tcount || !tinit || !logits || !loss || !objective || !running || !grads || !update ||
        meta->count != 7) {
        fixture_free(&fx);
        return;
    }
    const int B = (int)meta->values[0], C = (int)meta->values[1], H = (int)meta->values[2], W = (int)meta->values[3],
              K = (int)meta->values[4], A = (int)meta->values[5];
    const uint32_t salt = (uint32_t)meta->values[6]; /* the exporter's input salt */
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.optimizer, "sgd");
    cfg.width = c->width;
    snprintf(cfg.stem, sizeof cfg.stem, "%s", c->stem);
    cfg.bn = c->bn;
    cfg.aux = c->aux;
    cfg.depth = c->depth;
    cfg.growth = c->growth;
    cfg.se = c->se ? c->se : -1;
    cfg.dropout = 0;
    cfg.momentum = 0.9;
    cfg.nesterov = 1;
    cfg.weight_decay = 5e-4;
    cfg.wd_norm_bias = 1; /* torch.optim.SGD decays every parameter */
    char err[ERR_LEN];
    Model *m = NULL;
    CHECK_MSG(model_create(&m, c->name, &cfg, C, H, W, K, B, 0, err) == 0, "%s: %s", c->file, err);
    if (!m) {
        fixture_free(&fx);
        return;
    }
    const char *tag = c->file;
    char tagbuf[64];
    snprintf(tagbuf, sizeof tagbuf, "%.*s", (int)(strlen(tag) - 4 - 4), tag + 4); /* zoo_X.bin -> X */
    tag = tagbuf;

    /* the tensors, their shapes by count, in the same order */
    const int T = m->tensor_count;
    bool shapes_ok = tcount->count == (uint64_t)T && tinit->count == 2 * (uint64_t)T &&
                     grads->count == (uint64_t)T * SUMMARY && update->count == (uint64_t)T * SUMMARY;
    CHECK_MSG(shapes_ok, "%s: %d parameter tensors, fixture %llu", tag, T, (unsigned long long)tcount->count);
    for (int t = 0; shapes_ok && t < T; t++)
        if (m->tensors[t].count != (size_t)tcount->values[t]) {
            CHECK_MSG(0, "%s: tensor %d has %zu elements, PyTorch's %zu", tag, t, m->tensors[t].count,
                      (size_t)tcount->values[t]);
            shapes_ok = false;
        }
    int bn_layers = 0;
    for (int i = 0; i < m->layer_count; i++) bn_layers += m->layers[i].kind == LAYER_BATCHNORM;
    shapes_ok = shapes_ok && running->count == 2 * (uint64_t)bn_layers * SUMMARY && labels->count == (uint64_t)B &&
                logits->count == (uint64_t)B * K && m->aux_count == A &&
                (A == 0 || (aux_logits && aux_logits->count == (uint64_t)A * B * K));
    CHECK_MSG(shapes_ok, "%s: fixture and model disagree (BN layers %d, aux heads %d)", tag, bn_layers, m->aux_count);
    if (!shapes_ok) {
        model_free(m);
        fixture_free(&fx);
        return;
    }
    for (int i = 0; i < m->layer_count; i++)
        if (m->layers[i].kind == LAYER_DROPOUT) m->layers[i].dropout_p = 0;

    Segment *segs = calloc((size_t)T, sizeof *segs), *bn_segs = calloc(2 * (size_t)bn_layers + 1, sizeof *bn_segs);
    for (int t = 0; t < T; t++) {
        segs[t].offset = m->tensors[t].offset;
        segs[t].count = m->tensors[t].count;
        for (int i = 0; i < m->layer_count; i++) {
            const Layer *l = &m->layers[i];
            if (l->bias_count && l->bias == segs[t].offset && feeds_batchnorm(m, l)) segs[t].zero_grad_bias = true;
        }
        for (size_t i = 0; i < segs[t].count; i++)
            m->params[segs[t].offset + i] = param_value(t, i, tinit->values[2 * t], tinit->values[2 * t + 1]);
    }
    for (int i = 0, k = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        const size_t ch = (size_t)m->slots[l->out].C;
        bn_segs[k++] = (Segment){l->buffer, ch, false};
        bn_segs[k++] = (Segment){l->buffer + ch, ch, false};
    }

    /* input [C][B][H][W], generated in PyTorch's NCHW index order */
    const size_t P = m->param_count, plane = (size_t)H * W;
    real *x = malloc((size_t)B * C * plane * sizeof(real)), *probs = malloc((size_t)B * K * sizeof(real)),
         *before = malloc(P * sizeof(real));
    double *slack = malloc(P * sizeof(double));
    int32_t *y = malloc((size_t)B * sizeof(int32_t));
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++)
            for (size_t p = 0; p < plane; p++)
                x[((size_t)ch * B + b) * plane + p] =
                    (real)(4 * (uniform(STREAM_INPUT, salt, (uint32_t)(((size_t)b * C + ch) * plane + p)) - 0.5));
    for (int b = 0; b < B; b++) y[b] = (int32_t)labels->values[b];

    const real *out = model_forward(m, x, B, true);
    compare_full(tag, "logits", out, logits->values, (size_t)B * K);
    for (int k = 0; k < A; k++) {
        char what[32];
        snprintf(what, sizeof what, "aux %d logits", k + 1);
        compare_full(tag, what, m->acts + m->slots[m->aux_slots[k]].offset, aux_logits->values + (size_t)k * B * K,
                     (size_t)B * K);
    }
    double obj = 0;
    const double main_loss = model_loss(m, probs, y, B, 0, &obj);
    compare_scalar(tag, "loss", main_loss, loss->values[0]);
    if (A) compare_scalar(tag, "objective", obj, objective->values[0]);
    compare_summaries(tag, "BN running stats", m->buffers, NULL, bn_segs, 2 * bn_layers, running->values);

    model_loss_backward(m, probs, y, B, 0);
    compare_summaries(tag, "gradients", m->grads, NULL, segs, T, grads->values);

    Optimizer opt;
    CHECK_MSG(optimizer_init(&opt, &cfg, m, err) == 0, "%s", err);
    memcpy(before, m->params, P * sizeof(real));
    optimizer_step(&opt, m, 0.1);
    const double eps = sizeof(real) == sizeof(double) ? DBL_EPSILON : FLT_EPSILON;
    for (size_t i = 0; i < P; i++) {
        slack[i] = eps * (fabs((double)before[i]) + fabs((double)m->params[i]));
        before[i] = m->params[i] - before[i]; /* now the update */
    }
    compare_summaries(tag, "update", before, slack, segs, T, update->values);

    optimizer_free(&opt);
    free(x);
    free(probs);
    free(before);
    free(slack);
    free(y);
    free(segs);
    free(bn_segs);
    model_free(m);
    fixture_free(&fx);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR [MODEL...]\n", argv[0]);
        return 2;
    }
    tolerance = sizeof(real) == sizeof(double) ? 1e-6 : 1e-4;
    printf("zoo golden tests, %s build, tolerance %.0e relative\n",
           sizeof(real) == sizeof(double) ? "double" : "float", tolerance);
    /* file, model, width, stem, bn, aux, depth, growth: the settings matching the exporter's PyTorch models.
     * double_only: at these fixtures' small inputs and batch 2, freshly initialised GoogLeNet, Inception-v3
     * and DenseNet-121 amplify float32 rounding far beyond 1e-4: PyTorch's own float32 gradients are off its
     * float64 ones by up to 190%, 200% and 143% (element by element, test_golden.c's measure), so no float32
     * implementation can meet the float build's tolerance there; the double build checks them to 1e-6.
     * The same holds for the narrow MobileNet V1 and V2, ShuffleNet V2 and ResNeXt-50 fixtures: PyTorch's own
     * float32 logits are off its float64 ones by 4.7e-4, 4.3e-4, 7.4e-4 and 2.2e-5, its gradients (elementwise,
     * floor 0.25 RMS) by 2.7e-3 (V1) and 1.4e-4 (ResNeXt-50), more than this build's own differences to the
     * float64 reference (logits 2.5e-5, 2.2e-4, 3.5e-4, 3.6e-6).
     * MobileNet V3-Large and RepVGG-A0 (CIFAR form, training-time branches) likewise: PyTorch's float32 logits are
     * 1.5e-4 and 1.9e-3 off its float64 ones (this build's 9.7e-6 and 1.1e-4), and for Xception (CIFAR form) its
     * float32 gradients 1.0e-3 (this build's 2.5e-4). MobileNet V3-Small is at the edge: the release build's float
     * update was 8.6e-5 off the float64 reference, the ASan build's (other rounding order) 2.1e-4.
     * (The exporter's MobileNet V3 gates are nn.Hardsigmoid with a float64-exact gradient: see
     * Float64Hardsigmoid there.) */
    static const ZooCase CASES[] = {
        {"zoo_resnet18.bin", "resnet18", 0.25, "imagenet", -1, -1, -1, -1, false, 0},
        {"zoo_resnet50.bin", "resnet50", 0.25, "imagenet", -1, -1, -1, -1, false, 0},
        {"zoo_vgg11.bin", "vgg11", 0.125, "imagenet", -1, -1, -1, -1, false, 0},
        {"zoo_vgg11_bn.bin", "vgg11_bn", 0.125, "imagenet", -1, -1, -1, -1, false, 0},
        {"zoo_googlenet.bin", "googlenet", 1, "auto", -1, 0, -1, -1, true, 0},
        {"zoo_googlenet_aux.bin", "googlenet", 1, "auto", -1, 1, -1, -1, true, 0},
        {"zoo_inception_v3.bin", "inception_v3", 1, "auto", -1, 0, -1, -1, true, 0},
        {"zoo_inception_v3_aux.bin", "inception_v3", 1, "auto", -1, 1, -1, -1, true, 0},
        {"zoo_squeezenet1_0.bin", "squeezenet1_0", 1, "auto", -1, -1, -1, -1, false, 0},
        {"zoo_squeezenet1_1.bin", "squeezenet1_1", 1, "auto", -1, -1, -1, -1, false, 0},
        {"zoo_densenet121.bin", "densenet121", 1, "auto", -1, -1, -1, -1, true, 0},
        {"zoo_densenet_bc.bin", "densenet_bc", 1, "auto", -1, -1, 40, 12, false, 0},
        {"zoo_alexnet.bin", "alexnet", 0.125, "auto", -1, -1, -1, -1, false, 0},
        {"zoo_nin.bin", "nin", 1, "auto", -1, -1, -1, -1, false, 0},
        {"zoo_mobilenet_v1.bin", "mobilenet_v1", 0.25, "cifar", -1, -1, -1, -1, true, 0},
        {"zoo_mobilenet_v2.bin", "mobilenet_v2", 0.25, "imagenet", -1, -1, -1, -1, true, 0},
        {"zoo_shufflenet_v2_x0_5.bin", "shufflenet_v2_x0_5", 1, "imagenet", -1, -1, -1, -1, true, 0},
        {"zoo_resnext50_32x4d.bin", "resnext50_32x4d", 0.25, "imagenet", -1, -1, -1, -1, true, 0},
        {"zoo_resnext29_2x16d.bin", "resnext29_2x16d", 1, "auto", -1, -1, -1, -1, false, 0},
        {"zoo_se_resnet14.bin", "resnet14", 1, "auto", -1, -1, -1, -1, false, 1},
        {"zoo_repvgg_a0.bin", "repvgg_a0", 1, "cifar", -1, -1, -1, -1, true, 0},
        {"zoo_xception.bin", "xception", 1, "cifar", -1, -1, -1, -1, true, 0},
        {"zoo_mobilenet_v3_large.bin", "mobilenet_v3_large", 0.25, "imagenet", -1, -1, -1, -1, true, 0},
        {"zoo_mobilenet_v3_small.bin", "mobilenet_v3_small", 0.5, "imagenet", -1, -1, -1, -1, true, 0},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        bool selected = argc == 2;
        for (int a = 2; a < argc; a++) selected |= !strcmp(argv[a], CASES[i].file);
        if (CASES[i].double_only && sizeof(real) != sizeof(double)) {
            printf("  %-16s (double build only)\n", CASES[i].name);
            continue;
        }
        if (selected) check_model(argv[1], &CASES[i]);
    }
    printf("worst of all: %.2e (%s)\n", worst_overall, worst_overall_what);
    return check_report(sizeof(real) == sizeof(double) ? "test_golden_zoo_f64" : "test_golden_zoo");
}

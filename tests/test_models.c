/* The ResNet and VGG families (trainer/models/resnet.c, trainer/models/vgg.c):
 *   - parameter counts for 3x32x32 input, 10 and 100 classes, equal to the published / PyTorch ones;
 *   - `cohort models --input 3x32x32 --classes 100` (and `--shortcut A`) prints them (argv[1] = the binary);
 *   - which names the resnet<6n+2> family accepts;
 *   - evaluation mode: BN uses the running statistics, which one training forward moved by momentum 0.1;
 *   - (double build) finite-difference gradients of whole models: resnet8 with option-A and option-B
 *     shortcuts (residual fan-out) and a width-0.0625 vgg11;
 *   - LeNet with batch norm (BatchNorm2d and BatchNorm1d): its count, evaluation mode and gradients.
 * The float build checks counts, names, the CLI and evaluation mode; the double build evaluation mode and
 * the gradients.
 * Usage: test_models [COHORT_BINARY]   (the CLI check runs only when the binary is given) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "model.h"
#include "model_builder.h"
#include "ops.h"

typedef struct {
    const char *model;
    const char *shortcut; /* NULL: the default (B) */
    size_t classes10, classes100;
} ExpectedCount;

/* 3x32x32 input. resnet20/56/110 option A are the counts of He et al. 2016 (0.27M, 0.85M, 1.7M); option B
 * adds the two 1x1-conv + BN projections (576 + 2,176). resnet18/34/50 as kuangliu/pytorch-cifar; VGG with
 * BN and no conv bias (see trainer/models/vgg.c). */
static const ExpectedCount COUNTS[] = {
    {"resnet20", NULL, 272474, 278324},
    {"resnet20", "B", 272474, 278324},
    {"resnet20", "A", 269722, 275572},
    {"resnet32", NULL, 466906, 472756},
    {"resnet44", NULL, 661338, 667188},
    {"resnet56", NULL, 855770, 861620},
    {"resnet56", "A", 853018, 858868},
    {"resnet110", NULL, 1730714, 1736564},
    {"resnet110", "A", 1727962, 1733812},
    {"resnet18", NULL, 11173962, 11220132},
    {"resnet34", NULL, 21282122, 21328292},
    {"resnet50", NULL, 23520842, 23705252},
    {"vgg11", NULL, 9228362, 9274532},
    {"vgg13", NULL, 9413066, 9459236},
    {"vgg16", NULL, 14724042, 14770212},
    {"vgg19", NULL, 20035018, 20081188},
};
#define COUNT_ROWS ((int)(sizeof COUNTS / sizeof COUNTS[0]))

static Model *build(const char *name, const TrainConfig *cfg, int C, int H, int W, int classes, int max_batch) {
    char err[ERR_LEN];
    Model *m = NULL;
    if (model_create(&m, name, cfg, C, H, W, classes, max_batch, 1, err) != 0) {
        CHECK_MSG(0, "model_create(%s): %s", name, err);
        return NULL;
    }
    return m;
}

static size_t count_of(const char *name, const TrainConfig *cfg, int classes) {
    Model *m = build(name, cfg, 3, 32, 32, classes, 1);
    size_t n = m ? model_parameter_count(m) : 0;
    model_free(m);
    return n;
}

static void check_counts(void) {
    for (int i = 0; i < COUNT_ROWS; i++) {
        const ExpectedCount *e = &COUNTS[i];
        TrainConfig cfg;
        train_config_defaults(&cfg);
        if (e->shortcut) strcpy(cfg.shortcut, e->shortcut);
        size_t n10 = count_of(e->model, &cfg, 10), n100 = count_of(e->model, &cfg, 100);
        CHECK_MSG(n10 == e->classes10, "%s (shortcut %s), 10 classes: %zu parameters, expected %zu", e->model,
                  cfg.shortcut, n10, e->classes10);
        CHECK_MSG(n100 == e->classes100, "%s (shortcut %s), 100 classes: %zu parameters, expected %zu", e->model,
                  cfg.shortcut, n100, e->classes100);
    }
    TrainConfig cfg;
    train_config_defaults(&cfg);
    /* resnet8 (n = 1), option B: stem 432 + 32; stage 1: 2 x (2,304 + 32); stage 2: 4,608 + 9,216 + 2 x 64
     * + projection 512 + 64; stage 3: 18,432 + 36,864 + 2 x 128 + projection 2,048 + 128; linear 650. */
    CHECK(count_of("resnet8", &cfg, 10) == 78042);
    CHECK(count_of("resnet14", &cfg, 10) == 78042 + 2 * (2304 + 32) + (9216 + 64) * 2 + (36864 + 128) * 2);
    /* Widths: vgg11 at 1/16 has 4, 8, 16, 16, 32, 32, 32, 32 channels; linear 32 -> 10. */
    cfg.width = 0.0625;
    size_t vgg = 0;
    int in = 3;
    const int widths[] = {4, 8, 16, 16, 32, 32, 32, 32};
    for (int i = 0; i < 8; i++) vgg += (size_t)in * widths[i] * 9 + 2 * (size_t)widths[i], in = widths[i];
    CHECK(count_of("vgg11", &cfg, 10) == vgg + 32 * 10 + 10);
    /* Dropout adds no parameters but a layer. */
    cfg.dropout = 0.5;
    CHECK(count_of("vgg11", &cfg, 10) == vgg + 32 * 10 + 10);
    Model *m = build("vgg11", &cfg, 3, 32, 32, 10, 2);
    if (m) {
        int dropouts = 0;
        for (int i = 0; i < m->layer_count; i++) dropouts += m->layers[i].kind == LAYER_DROPOUT;
        CHECK(dropouts == 1 && m->layers[m->layer_count - 1].kind == LAYER_LINEAR &&
              m->layers[m->layer_count - 2].kind == LAYER_DROPOUT);
        model_free(m);
    }
    /* resnet18 at width 0.5: every channel count halved. Stem 27*32 + 64; stage widths 32/64/128/256. */
    cfg.width = 0.5;
    m = build("resnet18", &cfg, 3, 32, 32, 10, 1);
    if (m) {
        CHECK(m->slots[m->layers[0].out].C == 32);
        CHECK(m->slots[m->layers[m->layer_count - 1].in].C == 256); /* linear input */
        model_free(m);
    }
    m = build("resnet50", &cfg, 3, 32, 32, 10, 1);
    if (m) {
        CHECK(m->slots[m->layers[m->layer_count - 1].in].C == 4 * 256);
        model_free(m);
    }
    /* No conv before a BN has a bias; the VGG and the ResNets have BN after every conv (the structure does
     * not depend on the width: a quarter of it keeps the test quick). */
    const char *names[] = {"resnet20", "resnet18", "resnet50", "vgg16"};
    cfg.width = 0.25;
    for (int k = 0; k < 4; k++) {
        m = build(names[k], &cfg, 3, 32, 32, 10, 1);
        if (!m) continue;
        int convs = 0, biased = 0, bns_after = 0;
        for (int i = 0; i < m->layer_count; i++) {
            if (m->layers[i].kind != LAYER_CONV) continue;
            convs++;
            biased += m->layers[i].bias != SIZE_MAX;
            bns_after += i + 1 < m->layer_count && m->layers[i + 1].kind == LAYER_BATCHNORM &&
                         m->layers[i + 1].in == m->layers[i].out;
        }
        CHECK_MSG(biased == 0 && bns_after == convs, "%s: %d convs, %d with bias, %d followed by BN", names[k], convs,
                  biased, bns_after);
        model_free(m);
    }
}

/* A model's parameter count at an input and class count, as a table row. */
typedef struct {
    const char *name;
    int C, H, W, classes;
    size_t count;
} CountRow;

/* Every row's count through model_count_parameters (printed when verbose). */
static void expect_counts(const CountRow *expected, size_t n, bool verbose) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        CHECK_MSG(model_count_parameters(expected[i].name, &cfg, expected[i].C, expected[i].H, expected[i].W,
                                         expected[i].classes, &got, err) == 0,
                  "%s: %s", expected[i].name, err);
        CHECK_MSG(got == expected[i].count, "%s, %d classes: %zu parameters, expected %zu", expected[i].name,
                  expected[i].classes, got, expected[i].count);
        if (verbose)
            printf("  %-20s %dx%dx%d, %4d classes: %11zu parameters (expected %zu)\n", expected[i].name,
                   expected[i].C, expected[i].H, expected[i].W, expected[i].classes, got, expected[i].count);
    }
}

/* DenseNet: torchvision 0.14's counts at 3x224x224 and 1000 classes (densenet121/169/201), and the CIFAR
 * DenseNet-BC-100 with growth 12 (Huang et al.: 0.8M) at 3x32x32; a dense block's layers read the concatenation
 * of all earlier features (DenseNet-BC-100: 3 blocks of 16 layers, each block 15 concatenations as layer inputs
 * and one as its output, the last of 17 tensors). */
static void check_densenet(void) {
    static const CountRow expected[] = {
        {"densenet121", 3, 224, 224, 1000, 7978856}, {"densenet169", 3, 224, 224, 1000, 14149480},
        {"densenet201", 3, 224, 224, 1000, 20013928}, {"densenet_bc", 3, 32, 32, 10, 769162},
        {"densenet_bc", 3, 32, 32, 100, 800032},
    };
    expect_counts(expected, sizeof expected / sizeof expected[0], false);
    TrainConfig cfg;
    train_config_defaults(&cfg);
    Model *m = build("densenet_bc", &cfg, 3, 32, 32, 10, 2);
    if (!m) return;
    int concats = 0, widest = 0;
    for (int i = 0; i < m->layer_count; i++) {
        if (m->layers[i].kind != LAYER_CONCAT) continue;
        concats++;
        if (m->layers[i].input_count > widest) widest = m->layers[i].input_count;
    }
    CHECK_MSG(concats == 48 && widest == 17, "densenet_bc: %d concatenations, widest %d (expected 48, 17)", concats,
              widest);
    CHECK(m->slots[m->layers[m->layer_count - 1].in].C == 342); /* 24 + 16*12 = 216 -> 108 -> 300 -> 150 -> 342 */
    model_free(m);
}

/* LeNet with batch norm (d2l.ai's BatchNorm LeNet, trainer/models/basic.c) at 1x32x32 and 10 classes:
 *   conv1 6x1x5x5 + 6 = 156, conv2 16x6x5x5 + 16 = 2,416, fc1 400x120 + 120 = 48,120, fc2 120x84 + 84 = 10,164,
 *   fc3 84x10 + 10 = 850: 61,706 as without batch norm (the convs and linears keep their bias, as PyTorch's
 *   defaults in d2l's definition), plus gamma and beta per channel or feature: 2 x (6 + 16 + 120 + 84) = 452;
 *   62,158 in all. Auto (-1) and 0 build the plain LeNet. The two BatchNorm1d layers run fused with their ReLU. */
static void check_lenet_bn(void) {
    const struct {
        int bn;
        size_t count;
    } expected[] = {{1, 62158}, {0, 61706}, {-1, 61706}};
    char err[ERR_LEN];
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        TrainConfig cfg;
        train_config_defaults(&cfg);
        cfg.bn = expected[i].bn;
        size_t n = 0;
        CHECK_MSG(model_count_parameters("lenet", &cfg, 1, 32, 32, 10, &n, err) == 0, "lenet bn %d: %s",
                  expected[i].bn, err);
        CHECK_MSG(n == expected[i].count, "lenet bn %d: %zu parameters, expected %zu", expected[i].bn, n,
                  expected[i].count);
    }
    TrainConfig cfg;
    train_config_defaults(&cfg);
    cfg.bn = 1;
    Model *m = build("lenet", &cfg, 1, 32, 32, 10, 8);
    if (!m) return;
    int spatial = 0, flat = 0, fused = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        const bool is_flat = m->slots[l->in].flat;
        spatial += !is_flat;
        flat += is_flat;
        fused += l->relu_after;
    }
    CHECK_MSG(spatial == 2 && flat == 2 && fused == 4, "lenet bn: %d spatial, %d flat batch norms, %d fused with ReLU",
              spatial, flat, fused);
    CHECK(m->buffer_count == 2 * (6 + 16 + 120 + 84));
    model_free(m);
}

static void check_names(void) {
    const char *good[] = {"resnet8", "resnet14", "resnet20", "resnet26", "resnet32", "resnet110", "resnet1202",
                          "resnet18", "resnet34", "resnet50", "vgg11", "vgg13", "vgg16", "vgg19"};
    const char *bad[] = {"resnet", "resnet2", "resnet9", "resnet21", "resnet08", "resnet20x", "resnet-20",
                         "resnet+20", "resnet 20", "Resnet20", "resnet99999999999999999992", "vgg", "vgg12"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) CHECK_MSG(model_is_known(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK_MSG(!model_is_known(bad[i]), "%s", bad[i]);
    /* (resnet50 is the bottleneck ResNet-50, not the CIFAR ResNet of depth 6 x 8 + 2: see its count) */
    TrainConfig cfg;
    train_config_defaults(&cfg);
    /* a depth that only the family accepts, with the layers it implies: 3 stages x n blocks x 2 convs + stem,
     * + 2 projections (option B) */
    Model *m = build("resnet38", &cfg, 3, 32, 32, 10, 1);
    if (m) {
        int convs = 0;
        for (int i = 0; i < m->layer_count; i++) convs += m->layers[i].kind == LAYER_CONV;
        CHECK_MSG(convs == 1 + 3 * 6 * 2 + 2, "resnet38: %d convs", convs);
        model_free(m);
    }
    strcpy(cfg.shortcut, "A");
    m = build("resnet38", &cfg, 3, 32, 32, 10, 1);
    if (m) {
        int convs = 0, pads = 0;
        for (int i = 0; i < m->layer_count; i++) {
            convs += m->layers[i].kind == LAYER_CONV;
            pads += m->layers[i].kind == LAYER_SHORTCUT_PAD;
        }
        CHECK_MSG(convs == 1 + 3 * 6 * 2 && pads == 2, "resnet38 option A: %d convs, %d pads", convs, pads);
        model_free(m);
    }
    /* VGG needs 32x32 for its five pools; a 28x28 input is refused with a message, not a crash */
    char err[ERR_LEN] = "";
    m = NULL;
    CHECK(model_create(&m, "vgg11", &cfg, 1, 28, 28, 10, 1, 0, err) != 0 && m == NULL && strstr(err, "vgg11"));
}

/* The efficient architectures: torchvision 0.14's counts at 3x224x224 and 1000 classes (sum of p.numel() over
 * parameters() of torchvision.models.mobilenet_v2() etc.); MobileNet V1 with alpha 1 (Howard et al. Table 8:
 * 4.2 million); CIFAR ResNeXt-29 8x64d and 16x64d at 3x32x32, 10 classes (Xie et al. Table 7: 34.4M, 68.1M).
 * The depthwise layers are grouped convolutions with one input channel per filter. */
static void check_efficient(void) {
    static const CountRow expected[] = {
        {"mobilenet_v2", 3, 224, 224, 1000, 3504872},       {"mobilenet_v3_small", 3, 224, 224, 1000, 2542856},
        {"mobilenet_v3_large", 3, 224, 224, 1000, 5483032}, {"shufflenet_v2_x0_5", 3, 224, 224, 1000, 1366792},
        {"shufflenet_v2_x1_0", 3, 224, 224, 1000, 2278604}, {"resnext50_32x4d", 3, 224, 224, 1000, 25028904},
        {"resnext101_32x8d", 3, 224, 224, 1000, 88791336},  {"mobilenet_v1", 3, 224, 224, 1000, 4231976},
        {"resnext29", 3, 32, 32, 10, 34426698},             {"resnext29_16x64d", 3, 32, 32, 10, 68155210},
        {"xception", 3, 299, 299, 1000, 22855952}, /* the Keras model's trainable parameters */
    };
    expect_counts(expected, sizeof expected / sizeof expected[0], true);
    TrainConfig cfg;
    train_config_defaults(&cfg);
    /* `se`: SE-ResNet (Hu et al. 2018; reduction 16, linear layers with bias): torchvision's ResNet-50, ResNet-18
     * and ResNeXt-50 with an SE block before each addition, summed in PyTorch (SE-ResNet-50: the paper's 28.1M) */
    const CountRow with_se[] = {{"resnet50", 3, 224, 224, 1000, 28088024},
                                {"resnet18", 3, 224, 224, 1000, 11778592},
                                {"resnext50_32x4d", 3, 224, 224, 1000, 27559896}};
    cfg.se = 1;
    char err[ERR_LEN];
    for (size_t i = 0; i < sizeof with_se / sizeof with_se[0]; i++) {
        size_t got = 0;
        CHECK_MSG(model_count_parameters(with_se[i].name, &cfg, 3, 224, 224, 1000, &got, err) == 0, "%s", err);
        CHECK_MSG(got == with_se[i].count, "%s with se: %zu parameters, expected %zu", with_se[i].name, got,
                  with_se[i].count);
        printf("  %-20s with se: %zu parameters (expected %zu)\n", with_se[i].name, got, with_se[i].count);
    }
    cfg.se = -1;
    /* RepVGG (Ding et al. 2021): training-time counts, and the deploy form's (every block one 3x3 conv with bias,
     * the linear head) against the paper's Table 2 (8.30M, 12.78M, 14.33M, truncated there) */
    const struct {
        const char *name;
        size_t train, deploy;
    } repvgg[] = {{"repvgg_a0", 9108968, 8309384}, {"repvgg_a1", 14092264, 12789864}, {"repvgg_b0", 15817960, 14339048}};
    for (size_t i = 0; i < sizeof repvgg / sizeof repvgg[0]; i++) {
        Model *r = build(repvgg[i].name, &cfg, 3, 224, 224, 1000, 1);
        if (!r) continue;
        size_t deploy = 0;
        for (int k = 0; k < r->layer_count; k++) {
            const Layer *l = &r->layers[k];
            if (l->kind == LAYER_LINEAR) deploy += l->weight_count + l->bias_count;
            if (l->kind == LAYER_CONV && l->kernel == 3) deploy += l->weight_count + (size_t)r->slots[l->out].C;
        }
        CHECK_MSG(r->param_count == repvgg[i].train && deploy == repvgg[i].deploy,
                  "%s: %zu parameters (deploy form %zu), expected %zu (%zu)", repvgg[i].name, r->param_count, deploy,
                  repvgg[i].train, repvgg[i].deploy);
        printf("  %-20s %zu parameters training-time, %zu in the deploy form\n", repvgg[i].name, r->param_count,
               deploy);
        model_free(r);
    }
    /* mobilenet_v2: 17 depthwise 3x3 layers (one a block), each a grouped conv with groups = channels */
    Model *m = build("mobilenet_v2", &cfg, 3, 32, 32, 10, 2);
    if (!m) return;
    int depthwise = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        depthwise += l->kind == LAYER_GROUPED_CONV && l->groups == m->slots[l->in].C && l->kernel == 3 &&
                     l->weight_count == (size_t)l->groups * 9;
    }
    CHECK_MSG(depthwise == 17, "mobilenet_v2: %d depthwise layers, expected 17", depthwise);
    model_free(m);
    CHECK(!model_is_known("resnext29_08x64d") && !model_is_known("resnext29_8x64") && model_is_known("resnext29_2x64d"));
}

/* RepVGG's re-parameterisation: a training-time repvgg_a0 (CIFAR form) with its parameters and BN statistics made
 * non-trivial by a few training steps, folded into the deploy form; evaluation-mode logits of both agree to
 * float rounding, with fewer parameters. */
static void check_repvgg_reparameterisation(void) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    const int B = 8, K = 10, C = 3, H = 32, W = 32;
    Model *train = build("repvgg_a0", &cfg, C, H, W, K, B);
    cfg.deploy = 1;
    Model *deploy = build("repvgg_a0", &cfg, C, H, W, K, B);
    if (!train || !deploy) return;
    Rng rng;
    rng_seed(&rng, 9);
    const size_t n = (size_t)C * H * W * B;
    real *x = malloc(n * sizeof(real));
    /* BN gammas and betas away from 1 and 0, and running statistics from training-mode passes */
    for (int i = 0; i < train->layer_count; i++) {
        const Layer *l = &train->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        for (size_t c = 0; c < l->weight_count; c++) {
            train->params[l->weight + c] = (real)(0.5 + rng_uniform(&rng));
            train->params[l->bias + c] = (real)(0.2 * rng_normal(&rng));
        }
    }
    for (int step = 0; step < 3; step++) {
        for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
        model_forward(train, x, B, true);
    }
    for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
    char err[ERR_LEN];
    CHECK_MSG(repvgg_reparameterise(train, deploy, err) == 0, "%s", err);
    const real *a = model_forward(train, x, B, false);
    real *ta = malloc((size_t)B * K * sizeof(real));
    memcpy(ta, a, (size_t)B * K * sizeof(real));
    const real *d = model_forward(deploy, x, B, false);
    double worst = 0, scale = 0;
    for (int i = 0; i < B * K; i++) scale = fmax(scale, fabs((double)ta[i]));
    for (int i = 0; i < B * K; i++) worst = fmax(worst, fabs((double)ta[i] - (double)d[i]) / scale);
    const double tol = sizeof(real) == sizeof(double) ? 1e-10 : 1e-4;
    CHECK_MSG(worst < tol, "repvgg_a0 deploy form: logits differ by %.2e of their scale", worst);
    CHECK_MSG(deploy->param_count == 7041194 && train->param_count == 7840778,
              "repvgg_a0 CIFAR: %zu training-time, %zu deploy parameters", train->param_count, deploy->param_count);
    printf("repvgg_a0 re-parameterised: %zu -> %zu parameters, evaluation logits equal to %.1e of their scale\n",
           train->param_count, deploy->param_count, worst);
    free(x), free(ta);
    model_free(train);
    model_free(deploy);
}

/* `cohort models` prints each model with its count, e.g. "resnet20            278,324  ...". */
static void expect_cli_line(const char *output, const char *model, size_t count, const char *args) {
    char digits[32], grouped[40];
    int len = snprintf(digits, sizeof digits, "%zu", count), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    bool found = false;
    for (const char *line = output; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        char name[64], number[64];
        if (sscanf(line, "%63s %63s", name, number) == 2 && !strcmp(name, model)) {
            CHECK_MSG(!strcmp(number, grouped), "cohort models %s: %s shows %s, expected %s", args, model, number,
                      grouped);
            found = true;
        }
    }
    CHECK_MSG(found, "cohort models %s: no line for %s", args, model);
}

static char *run_capture(const char *command) {
    FILE *p = popen(command, "r");
    if (!p) return NULL;
    size_t size = 0, cap = 1 << 14;
    char *out = malloc(cap);
    size_t got;
    while (out && (got = fread(out + size, 1, cap - size - 1, p)) > 0) {
        size += got;
        if (cap - size < 1024) out = realloc(out, cap *= 2);
    }
    int status = pclose(p);
    if (!out) return NULL;
    out[size] = '\0';
    CHECK_MSG(status == 0, "%s: exit status %d", command, status);
    return out;
}

/* The CIFAR ResNets (depth 6n+2) are the models whose count depends on `shortcut`. */
static bool has_shortcut_option(const char *model) {
    return !strcmp(model, "resnet20") || !strcmp(model, "resnet32") || !strcmp(model, "resnet44") ||
           !strcmp(model, "resnet56") || !strcmp(model, "resnet110");
}

static void check_cli(const char *cohort) {
    /* 100 classes, with the default shortcut and with option A (every run builds all the models: a few
     * seconds each; the 10-class counts are checked through model_create above) */
    const int classes[1] = {100};
    for (int c = 0; c < 1; c++) {
        for (int a = 0; a < 2; a++) {
            const char *shortcut = a ? "A" : NULL;
            char args[128], command[1024];
            snprintf(args, sizeof args, "--input 3x32x32 --classes %d%s", classes[c], a ? " --shortcut A" : "");
            snprintf(command, sizeof command, "'%s' models %s", cohort, args);
            char *out = run_capture(command);
            CHECK_MSG(out != NULL, "could not run %s", command);
            if (!out) continue;
            if (classes[c] == 100 && !a) printf("%s", out);
            for (int i = 0; i < COUNT_ROWS; i++) {
                const ExpectedCount *e = &COUNTS[i];
                /* The default run: the rows without a shortcut. With --shortcut A: the option-A rows of the
                 * CIFAR ResNets, and the default rows of the models without that option. */
                bool expected = shortcut ? (e->shortcut ? !strcmp(e->shortcut, shortcut) : !has_shortcut_option(e->model))
                                         : !e->shortcut;
                if (expected) expect_cli_line(out, e->model, classes[c] == 10 ? e->classes10 : e->classes100, args);
            }
            free(out);
        }
    }
}

/* Value k of the N a batch norm normalises together in channel (or feature) c: [C][N] spatial, [N][C] flat. */
static size_t bn_index(const TensorSlot *s, int c, size_t k, size_t N) {
    return s->flat ? k * (size_t)s->C + (size_t)c : (size_t)c * N + k;
}

/* After one training forward every BN layer's running stats are 0.9 x initial + 0.1 x batch statistics
 * (unbiased variance); evaluation then normalises with them: every BN output equals
 * gamma (x - running_mean) / sqrt(running_var + 1e-5) + beta of its evaluation-mode input, the logits differ
 * from training mode, and an image's logits do not depend on the rest of the batch. */
static void check_eval_mode(const char *name, double width, int bn, int C, int H, int W) {
    const double tol = sizeof(real) == sizeof(double) ? 1e-12 : 2e-5;
    TrainConfig cfg;
    train_config_defaults(&cfg);
    cfg.width = width;
    cfg.bn = bn;
    const int B = 4, classes = 5;
    /* the check reads every batch norm's input after forward: keep them all (a replayed one's region is reused) */
    strcpy(cfg.recompute, "none");
    Model *m = build(name, &cfg, C, H, W, classes, B);
    if (!m) return;
    Rng rng;
    rng_seed(&rng, 11);
    size_t n = (size_t)C * H * W * B;
    real *x = malloc(n * sizeof(real)), *x1 = malloc(n / B * sizeof(real));
    for (size_t i = 0; i < n; i++) x[i] = (real)(rng_normal(&rng) + 0.5); /* non-zero mean on purpose */
    for (int c = 0; c < C; c++) memcpy(x1 + (size_t)c * H * W, x + (size_t)c * B * H * W, (size_t)H * W * sizeof(real));
    /* non-trivial gamma and beta */
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        for (size_t c = 0; c < l->weight_count; c++) {
            m->params[l->weight + c] = (real)(0.5 + rng_uniform(&rng));
            m->params[l->bias + c] = (real)(0.3 * rng_normal(&rng));
        }
    }
    const real *logits = model_forward(m, x, B, true);
    real *train_logits = malloc((size_t)B * classes * sizeof(real));
    memcpy(train_logits, logits, (size_t)B * classes * sizeof(real));
    /* running statistics from the training-mode inputs of each BN layer */
    double worst_stats = 0;
    int bn_layers = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        bn_layers++;
        const TensorSlot *s = &m->slots[l->in];
        size_t N = (size_t)s->H * s->W * B;
        const real *in = m->acts + s->offset, *rm = m->buffers + l->buffer, *rv = rm + s->C;
        for (int c = 0; c < s->C; c++) {
            double sum = 0, sq = 0;
            for (size_t k = 0; k < N; k++) sum += in[bn_index(s, c, k, N)];
            double mean = sum / (double)N;
            for (size_t k = 0; k < N; k++) sq += (in[bn_index(s, c, k, N)] - mean) * (in[bn_index(s, c, k, N)] - mean);
            double var_unbiased = sq / (double)(N - 1);
            double e_mean = 0.1 * mean, e_var = 0.9 + 0.1 * var_unbiased;
            worst_stats = fmax(worst_stats, fabs(rm[c] - e_mean) / fmax(1, fabs(e_mean)));
            worst_stats = fmax(worst_stats, fabs(rv[c] - e_var) / fmax(1, fabs(e_var)));
        }
    }
    CHECK(bn_layers > 0);
    CHECK_MSG(worst_stats <= tol, "%s: running statistics off by %.3e", name, worst_stats);
    real *buffers = malloc(m->buffer_count * sizeof(real));
    memcpy(buffers, m->buffers, m->buffer_count * sizeof(real));

    logits = model_forward(m, x, B, false);
    double diff = 0;
    for (int k = 0; k < B * classes; k++) diff = fmax(diff, fabs(logits[k] - train_logits[k]));
    CHECK_MSG(diff > 1e-3, "%s: evaluation logits equal training logits (max diff %.3e)", name, diff);
    CHECK_MSG(memcmp(buffers, m->buffers, m->buffer_count * sizeof(real)) == 0, "%s: evaluation moved the running stats",
              name);
    double worst_bn = 0;
    real *eval_logits_all = malloc((size_t)B * classes * sizeof(real));
    memcpy(eval_logits_all, logits, (size_t)B * classes * sizeof(real));
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        /* each batch norm's input and output right after it ran: a later layer may reuse a region that no
         * backward reads (a residual branch's last batch norm output) */
        const real *out = model_forward_to(m, x, B, i);
        const TensorSlot *s = &m->slots[l->in];
        size_t N = (size_t)s->H * s->W * B;
        const real *in = m->acts + s->offset;
        const real *rm = m->buffers + l->buffer, *rv = rm + s->C;
        const bool rectified = l->relu_after; /* the ReLU fused into this step is applied in its result */
        for (int c = 0; c < s->C; c++) {
            double g = m->params[l->weight + c], b = m->params[l->bias + c];
            double inv = 1.0 / sqrt((double)rv[c] + 1e-5);
            for (size_t k = 0; k < N; k++) {
                double e = g * ((double)in[bn_index(s, c, k, N)] - rm[c]) * inv + b;
                if (rectified) e = fmax(e, 0.0);
                worst_bn = fmax(worst_bn, fabs(out[bn_index(s, c, k, N)] - e) / fmax(1, fabs(e)));
            }
        }
    }
    CHECK_MSG(worst_bn <= tol, "%s: evaluation BN output off the running-statistics formula by %.3e", name, worst_bn);
    real *eval_logits = malloc((size_t)classes * sizeof(real));
    memcpy(eval_logits, eval_logits_all, (size_t)classes * sizeof(real)); /* image 0 */
    free(eval_logits_all);
    logits = model_forward(m, x1, 1, false);
    double alone = 0;
    for (int k = 0; k < classes; k++) alone = fmax(alone, fabs(logits[k] - eval_logits[k]) / fmax(1, fabs(eval_logits[k])));
    CHECK_MSG(alone <= tol, "%s: image 0's evaluation logits depend on the batch (%.3e)", name, alone);
    printf("%s%s: eval mode: %d BN layers, stats err %.1e, formula err %.1e, batch independence %.1e, "
           "train/eval logit diff %.3f\n",
           name, bn == 1 ? " bn" : "", bn_layers, worst_stats, worst_bn, alone, diff);
    free(x);
    free(x1);
    free(train_logits);
    free(eval_logits);
    free(buffers);
    model_free(m);
}

/* ---- double build: finite differences through whole models ---- */

static double loss_of(Model *m, const real *x, const int32_t *labels, int B, int classes, real *probs) {
    const real *logits = model_forward(m, x, B, true);
    return softmax_xent_forward(probs, logits, labels, B, classes, 0);
}

/* Central differences at `samples` random positions of every parameter tensor (all of a smaller tensor).
 * A residual block's input feeds both the main path and the shortcut, so a wrong fan-out (a gradient
 * overwritten instead of added) shows in every parameter before the block. */
static void check_model_gradients(const char *name, const char *shortcut, double width, int bn, int C, int H, int W,
                                  int classes, int samples) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.shortcut, shortcut);
    cfg.width = width;
    cfg.bn = bn;
    const int B = 3;
    Model *m = build(name, &cfg, C, H, W, classes, B);
    if (!m) return;
    Rng rng;
    rng_seed(&rng, 5);
    size_t n = (size_t)C * H * W * B;
    real *x = malloc(n * sizeof(real)), *probs = malloc((size_t)B * classes * sizeof(real));
    int32_t labels[3] = {1, 0, 2};
    for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
    /* non-trivial BN affine parameters, so that their gradients are not a special case */
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        for (size_t c = 0; c < l->weight_count; c++) {
            m->params[l->weight + c] = (real)(0.5 + rng_uniform(&rng));
            m->params[l->bias + c] = (real)(0.2 * rng_normal(&rng));
        }
    }
    loss_of(m, x, labels, B, classes, probs);
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), probs, labels, B, classes, 0);
    model_backward(m, B);
    double worst = 0, worst_zero = 0;
    int checked = 0, zero_checked = 0;
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        /* The bias of a layer whose output goes straight into a batch norm (LeNet's with bn, as d2l's) has a zero
         * gradient: the batch mean takes any shift away. Its central differences are rounding noise (about
         * 1e-10 here), not a relative measure, so those entries are held to zero on an absolute scale instead. */
        bool before_bn = false;
        for (int i = 0; i < m->layer_count; i++) {
            const Layer *l = &m->layers[i];
            if (l->bias_count == 0 || l->bias != pt->offset) continue;
            for (int j = 0; j < m->layer_count; j++)
                before_bn |= m->layers[j].kind == LAYER_BATCHNORM && m->layers[j].in == l->out;
        }
        int k_max = (size_t)samples < pt->count ? samples : (int)pt->count;
        for (int k = 0; k < k_max; k++) {
            size_t i = pt->offset + ((size_t)samples < pt->count ? rng_below(&rng, (uint32_t)pt->count) : (size_t)k);
            real saved = m->params[i];
            const double eps = 1e-6;
            m->params[i] = saved + eps;
            double up = loss_of(m, x, labels, B, classes, probs);
            m->params[i] = saved - eps;
            double down = loss_of(m, x, labels, B, classes, probs);
            m->params[i] = saved;
            double numeric = (up - down) / (2 * eps), analytic = m->grads[i];
            if (before_bn) {
                worst_zero = fmax(worst_zero, fmax(fabs(numeric), fabs(analytic)));
                zero_checked++;
                continue;
            }
            double rel = fabs(numeric - analytic) / fmax(1e-6, fabs(numeric) + fabs(analytic));
            if (rel > worst) worst = rel;
            checked++;
        }
    }
    printf("%s%s (shortcut %s, width %g, %dx%dx%d): %d tensors, %d parameters checked, worst relative gradient "
           "error %.2e",
           name, bn == 1 ? " bn" : "", shortcut, width, C, H, W, m->tensor_count, checked, worst);
    if (zero_checked) printf("; %d biases before a batch norm, largest gradient %.1e", zero_checked, worst_zero);
    printf("\n");
    CHECK_MSG(worst < 1e-5, "%s (shortcut %s): worst relative gradient error %.3e", name, shortcut, worst);
    CHECK_MSG(worst_zero < 1e-8, "%s: a bias before a batch norm has gradient %.3e (expected 0)", name, worst_zero);
    free(x);
    free(probs);
    model_free(m);
}

/* Memory plan of resnet20 at batch 16: in-place ReLUs share their input's activation, and activation
 * gradients share regions over time, so the gradient arena is a small fraction of the activations (a
 * change that gave every slot its own region again would fail here; correctness is the gradient checks'). */
static void check_memory_plan(void) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    Model *m = build("resnet20", &cfg, 3, 32, 32, 10, 16);
    if (!m) return;
    size_t slot_total = 0;
    int relu_in_place = 0;
    for (int s = 0; s < m->slot_count; s++)
        slot_total += (size_t)m->slots[s].C * m->slots[s].H * m->slots[s].W * 16;
    for (int i = 0; i < m->layer_count; i++)
        relu_in_place += m->layers[i].kind == LAYER_RELU &&
                         m->slots[m->layers[i].in].offset == m->slots[m->layers[i].out].offset;
    CHECK_MSG(relu_in_place == 19, "resnet20: %d of 19 ReLUs run in place", relu_in_place);
    /* gradient regions handed on (grad_plan.c): every batch norm writes its input gradient over its output's,
     * every residual add + ReLU masks its output's gradient in place as one input's (the branch's: the
     * shortcut's cannot share it, the branch's batch norm rewrites it before the shortcut's producer reads) */
    int handed_over = 0, batchnorms = 0, batchnorms_in_place = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        const size_t out = m->slots[l->out].grad_offset;
        batchnorms += l->kind == LAYER_BATCHNORM;
        batchnorms_in_place += l->kind == LAYER_BATCHNORM && m->slots[l->in].grad_offset == out && !(l->zero_input_grads & 1);
        handed_over += l->kind == LAYER_ADD &&
                       (m->slots[l->in].grad_offset == out) + (m->slots[l->inputs[1]].grad_offset == out) == 1;
    }
    CHECK_MSG(batchnorms >= 19 && batchnorms_in_place == batchnorms, "resnet20: %d of %d batch norms work in place",
              batchnorms_in_place, batchnorms);
    CHECK_MSG(handed_over == 9, "resnet20: %d of 9 residual adds hand their gradient region on", handed_over);
    CHECK_MSG(m->act_count * 4 < slot_total * 3, "resnet20: activations %zu reals of %zu", m->act_count, slot_total);
    CHECK_MSG(m->act_grad_count * 5 < m->act_count, "resnet20: gradient arena %zu reals vs activations %zu",
              m->act_grad_count, m->act_count);
    printf("resnet20 batch 16: slots %zu reals, activations %zu, activation gradients %zu\n", slot_total, m->act_count,
           m->act_grad_count);
    model_free(m);
}

/* Replayed activations (act_plan.c): a batch norm + ReLU output that only backward reads again is recomputed
 * there instead of kept. Built with and without replays from the same seed, one training step must give the
 * same bits (loss, every parameter gradient, the running statistics), and the replaying plan a smaller arena
 * where the architecture has such outputs. */
static void check_replay(const char *name, const char *recompute, double width, int H, int B, int expected_replays,
                         double most_arena) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    cfg.width = width;
    const int classes = 10;
    Model *model[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        strcpy(cfg.recompute, k ? recompute : "none");
        model[k] = build(name, &cfg, 3, H, H, classes, B);
    }
    if (!model[0] || !model[1]) {
        model_free(model[0]), model_free(model[1]);
        return;
    }
    int replays[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < model[k]->layer_count; i++)
            for (int p = model[k]->layers[i].replay_first; p >= 0; p = model[k]->layers[p].replay_next) replays[k]++;
    CHECK_MSG(replays[0] == 0 && replays[1] == expected_replays, "%s: %d replays without, %d with (expected %d)", name,
              replays[0], replays[1], expected_replays);
    const double ratio = (double)model[1]->act_count / (double)model[0]->act_count;
    CHECK_MSG(ratio <= most_arena, "%s: replaying arena %zu reals, keeping %zu (%.3f, at most %.3f)", name,
              model[1]->act_count, model[0]->act_count, ratio, most_arena);
    Rng rng;
    rng_seed(&rng, 11);
    const size_t n = (size_t)3 * H * H * B;
    real *x = malloc(n * sizeof(real)), *probs[2];
    int32_t *labels = malloc((size_t)B * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
    for (int b = 0; b < B; b++) labels[b] = b % classes;
    double loss[2], objective;
    for (int k = 0; k < 2; k++) {
        probs[k] = malloc((size_t)B * classes * sizeof(real));
        model_forward(model[k], x, B, true);
        loss[k] = model_loss(model[k], probs[k], labels, B, 0, &objective);
        model_loss_backward(model[k], probs[k], labels, B, 0);
    }
    CHECK_MSG(model[0]->param_count == model[1]->param_count && loss[0] == loss[1], "%s: loss %.9g vs %.9g", name,
              loss[0], loss[1]);
    size_t differing = 0;
    for (size_t i = 0; i < model[0]->param_count; i++)
        differing += memcmp(&model[0]->grads[i], &model[1]->grads[i], sizeof(real)) != 0;
    CHECK_MSG(differing == 0, "%s: %zu of %zu parameter gradients differ with replays", name, differing,
              model[0]->param_count);
    CHECK_MSG(memcmp(model[0]->buffers, model[1]->buffers, model[0]->buffer_count * sizeof(real)) == 0,
              "%s: running statistics differ with replays", name);
    printf("%s batch %d, recompute %s: %d replayed outputs, activations %zu -> %zu reals (%.3f), gradients "
           "identical\n", name, B, recompute, replays[1], model[0]->act_count, model[1]->act_count, ratio);
    free(x), free(labels), free(probs[0]), free(probs[1]);
    model_free(model[0]), model_free(model[1]);
}

int main(int argc, char **argv) {
    if (sizeof(real) == sizeof(float)) { /* the same code in double: no need to build every model twice */
        check_counts();
        check_densenet();
        check_efficient();
        check_repvgg_reparameterisation();
        check_lenet_bn();
        check_names();
        check_memory_plan();
        /* every batch norm + ReLU (the stem's, each block's first); vgg11's eight; DenseNet-BC's two per layer,
         * the transitions' and the last; GoogLeNet's inside the Inception branches and the stem */
        check_replay("resnet20", "pointwise", 1, 32, 8, 10, 0.82); /* its 1x1 convolutions are strided */
        check_replay("vgg11", "pointwise", 0.25, 32, 4, 8, 0.76);
        check_replay("densenet_bc", "norm", 1, 16, 2, 99, 0.75);
        check_replay("densenet_bc", "pointwise", 1, 16, 2, 147, 0.63);
        check_replay("googlenet", "pointwise", 0.25, 32, 2, 94, 0.60);
        /* chains: 1x1 conv -> batch norm + ReLU -> grouped conv -> batch norm + ReLU -> 1x1 conv -> batch norm */
        check_replay("resnext29_2x4d", "norm", 1, 16, 4, 19, 0.97);
        check_replay("resnext29_2x4d", "pointwise", 1, 16, 4, 38, 0.57);
        check_replay("mobilenet_v2", "pointwise", 0.25, 32, 2, 39, 0.76);
        if (argc > 1) check_cli(argv[1]);
    }
    check_eval_mode("resnet8", 1, -1, 3, 8, 8);
    check_eval_mode("vgg11", 0.0625, -1, 3, 32, 32);
    check_eval_mode("lenet", 1, 1, 1, 32, 32); /* BatchNorm2d and BatchNorm1d layers */
    if (sizeof(real) == sizeof(double)) {
        check_model_gradients("resnet8", "A", 1, -1, 3, 8, 8, 4, 6);
        check_model_gradients("resnet8", "B", 1, -1, 3, 8, 8, 4, 6);
        check_model_gradients("vgg11", "B", 0.0625, -1, 3, 32, 32, 4, 6);
        check_model_gradients("lenet", "B", 1, 1, 1, 32, 32, 4, 6);
    }
    return check_report(sizeof(real) == sizeof(double) ? "test_models_f64" : "test_models");
}

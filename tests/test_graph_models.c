/* Models with branches, built as graphs: an Inception-style network (four branches of different widths
 * concatenated, twice) and a DenseNet-style dense block (every layer reads the concatenation of all earlier
 * features). The double build checks every parameter gradient of both against central differences; the float
 * build trains both on the synthetic dataset and requires them to learn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data.h"
#include "gradcheck.h"
#include "graph_check.h"
#include "model_builder.h"
#include "ops.h"

#define CLASSES 10
#define DENSE_LAYERS 4
#define DENSE_GROWTH 4

/* GoogLeNet's block: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 (torchvision's "5x5" branch) | 3x3 max pool -> 1x1 */
static int inception_block(ModelBuilder *mb, int x, int c1, int c3_reduce, int c3, int c5_reduce, int c5,
                           int pool_proj) {
    const int branches[] = {
        builder_conv_bn_relu(mb, x, c1, 1, 1, 0),
        builder_conv_bn_relu(mb, builder_conv_bn_relu(mb, x, c3_reduce, 1, 1, 0), c3, 3, 1, 1),
        builder_conv_bn_relu(mb, builder_conv_bn_relu(mb, x, c5_reduce, 1, 1, 0), c5, 3, 1, 1),
        builder_conv_bn_relu(mb, builder_maxpool(mb, x, 3, 1, 1), pool_proj, 1, 1, 0),
    };
    return builder_concat(mb, branches, 4);
}

static int build_inception_net(ModelBuilder *mb, int classes) {
    int x = builder_conv_bn_relu(mb, builder_input(mb), 8, 3, 1, 1);
    x = inception_block(mb, x, 4, 3, 6, 2, 3, 3);
    x = builder_maxpool(mb, x, 2, 2, 0);
    x = inception_block(mb, x, 6, 4, 8, 2, 4, 4);
    return builder_linear(mb, builder_global_avgpool(mb, x), classes, true);
}

/* DenseNet's layer: BN -> ReLU -> 3x3 convolution to `growth` channels, on the concatenation of its inputs */
static int build_dense_net(ModelBuilder *mb, int classes) {
    int features[DENSE_LAYERS + 1];
    int count = 0;
    features[count++] = builder_conv(mb, builder_input(mb), 6, 3, 1, 1, false);
    for (int i = 0; i < DENSE_LAYERS; i++) {
        const int x = builder_concat(mb, features, count);
        features[count++] = builder_conv(mb, builder_relu(mb, builder_batchnorm(mb, x)), DENSE_GROWTH, 3, 1, 1, false);
    }
    const int block = builder_relu(mb, builder_batchnorm(mb, builder_concat(mb, features, count)));
    return builder_linear(mb, builder_global_avgpool(mb, block), classes, true);
}

typedef struct {
    const char *name;
    int (*build)(ModelBuilder *mb, int classes);
    int concats; /* concatenation layers the graph must have */
} GraphModel;

static const GraphModel MODELS[] = {
    {"inception", build_inception_net, 2},
    {"dense block", build_dense_net, DENSE_LAYERS + 1},
};

static Model *build(const GraphModel *g, int C, int H, int W, int batch) {
    Model *m = calloc(1, sizeof *m);
    if (!m) abort();
    snprintf(m->name, sizeof m->name, "%s", g->name);
    ModelBuilder mb;
    builder_start(&mb, m, C, H, W);
    const int logits = g->build(&mb, CLASSES);
    char err[ERR_LEN];
    CHECK_MSG(builder_finish(&mb, logits, batch, 3, err) == 0, "%s: %s", g->name, err);
    int concats = 0;
    for (int i = 0; i < m->layer_count; i++) concats += m->layers[i].kind == LAYER_CONCAT;
    CHECK_MSG(concats == g->concats, "%s: %d concatenations, expected %d", g->name, concats, g->concats);
    return m;
}

static void check_gradients(const GraphModel *g) {
    Model *m = build(g, 3, 6, 6, 3);
    const double worst = graph_gradient_error(m, 3, 3, 6, 6, CLASSES, 6, 21);
    printf("%-12s %3d layers: worst relative gradient error %.2e\n", g->name, m->layer_count, worst);
    CHECK_MSG(worst < 1e-6, "%s: worst relative gradient error %.3e", g->name, worst);
    model_free(m);
}

/* SGD with momentum 0.9 on the synthetic dataset, shuffled each epoch; returns the test top-1 (%) and the first
 * and last epochs' mean loss */
static double train(const GraphModel *g, const DataSplits *data, double *first_loss, double *last_loss) {
    enum { BATCH = 32, EPOCHS = 3 };
    const Dataset *d = &data->train;
    Model *m = build(g, d->channels, d->height, d->width, BATCH);
    const size_t image = (size_t)d->channels * d->height * d->width;
    real *x = test_alloc(image * BATCH, sizeof(real)), *probs = test_alloc((size_t)BATCH * CLASSES, sizeof(real));
    real *velocity = test_alloc(m->param_count, sizeof(real));
    int32_t labels[BATCH], order[BATCH], *shuffled = test_alloc((size_t)d->count, sizeof(int32_t));
    Rng rng;
    rng_seed(&rng, 5);
    const real lr = (real)0.05;
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
        for (int i = 0; i < d->count; i++) shuffled[i] = i;
        for (int i = d->count - 1; i > 0; i--) {
            const int j = (int)rng_below(&rng, (uint32_t)i + 1), tmp = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = tmp;
        }
        double loss = 0;
        int steps = 0;
        for (int start = 0; start + BATCH <= d->count; start += BATCH) {
            data_fill_batch(d, shuffled + start, BATCH, x, labels, NULL, NULL);
            const real *logits = model_forward(m, x, BATCH, true);
            loss += softmax_xent_forward(probs, logits, labels, BATCH, CLASSES, 0);
            model_zero_grads(m);
            softmax_xent_backward(model_logits_grad(m), probs, labels, BATCH, CLASSES, 0);
            model_backward(m, BATCH);
            for (size_t i = 0; i < m->param_count; i++) {
                velocity[i] = (real)0.9 * velocity[i] + m->grads[i];
                m->params[i] -= lr * velocity[i];
            }
            steps++;
        }
        if (epoch == 0) *first_loss = loss / steps;
        *last_loss = loss / steps;
    }
    const Dataset *t = &data->test;
    int correct = 0, seen = 0;
    for (int start = 0; start + BATCH <= t->count; start += BATCH) {
        for (int b = 0; b < BATCH; b++) order[b] = start + b;
        data_fill_batch(t, order, BATCH, x, labels, NULL, NULL);
        const real *logits = model_forward(m, x, BATCH, false);
        for (int b = 0; b < BATCH; b++) {
            int best = 0;
            for (int k = 1; k < CLASSES; k++)
                if (logits[b * CLASSES + k] > logits[b * CLASSES + best]) best = k;
            correct += best == labels[b];
            seen++;
        }
    }
    free(x), free(probs), free(velocity), free(shuffled);
    model_free(m);
    return 100.0 * correct / seen;
}

int main(void) {
    for (size_t i = 0; i < sizeof MODELS / sizeof MODELS[0]; i++) {
        if (sizeof(real) == sizeof(double)) {
            check_gradients(&MODELS[i]);
            continue;
        }
        TrainConfig cfg;
        train_config_defaults(&cfg);
        char err[ERR_LEN];
        CHECK_MSG(train_config_set(&cfg, "dataset", "synthetic", err) == 0, "%s", err);
        strcpy(cfg.input_shape, "3x16x16");
        cfg.synthetic_train = 1024;
        cfg.synthetic_test = 256;
        DataSplits data;
        CHECK_MSG(data_load(&data, &cfg, err) == 0, "%s", err);
        double first = 0, last = 0;
        const double top1 = train(&MODELS[i], &data, &first, &last);
        printf("%-12s trained 3 epochs on synthetic 3x16x16: loss %.3f -> %.3f, test top-1 %.1f%%\n", MODELS[i].name,
               first, last, top1);
        CHECK_MSG(last < 0.8 * first, "%s: loss %.3f -> %.3f", MODELS[i].name, first, last);
        CHECK_MSG(top1 > 35.0, "%s: test top-1 %.1f%% (chance is 10%%)", MODELS[i].name, top1);
        data_free(&data);
    }
    return check_report("test_graph_models");
}

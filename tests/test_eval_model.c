/* The forward-only evaluation form (trainer/eval_model.h), for every model in the registry:
 *   - its logits equal the trained model's evaluation-mode forward to float rounding, after training-mode
 *     forwards moved the batch-norm statistics and with every batch norm's scale and shift set off 1 and 0 (so
 *     that folding has something to fold), and again after eval_model_refresh follows a change of parameters;
 *   - it leaves the trained model untouched (its own evaluation forward gives the same bits after);
 *   - its arena is smaller than the trained model's activations, gradients and saved state together;
 *   - batch norms after convolutions, grouped and depthwise ones included, are folded (resnet20: 21, vgg11: 8,
 *     mobilenet_v2: 52);
 *   - its logits are bit-identical on 1 and 2 threads;
 *   - the borrowing form (in the trained model's gradient and activation memory) gives the same bits, and the
 *     trained model's own evaluation afterwards too.
 * Each model runs at the smallest of a few input sizes it accepts, batch 3, small widths where it has them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "eval_model.h"
#include "model.h"
#include "rng.h"
#include "threads.h"

#define BATCH 3

static Model *build(const char *name, int *C, int *side, int classes) {
    static const int SIDES[] = {32, 64, 80};
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    if (!strcmp(name, "resnet1202") || !strncmp(name, "resnet1", 7) || !strcmp(name, "resnet50") ||
        !strcmp(name, "resnet34") || !strncmp(name, "vgg", 3) || !strncmp(name, "densenet", 8))
        train_config_set(&cfg, "width", "0.25", err); /* the widths that exist; an error leaves it unchanged */
    for (int k = 0; k < (int)(sizeof SIDES / sizeof SIDES[0]); k++) {
        for (int channels = 3; channels >= 1; channels -= 2) {
            Model *m = NULL;
            if (model_create(&m, name, &cfg, channels, SIDES[k], SIDES[k], classes, BATCH, 11, err) == 0) {
                *C = channels, *side = SIDES[k];
                return m;
            }
        }
    }
    CHECK_MSG(0, "%s: no input size of 32, 64 or 80 pixels builds: %s", name, err);
    return NULL;
}

/* Every batch norm's scale and shift moved off 1 and 0, so that the folded weights differ from the plain ones. */
static void perturb_batchnorms(Model *m, Rng *rng) {
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM) continue;
        for (size_t c = 0; c < l->weight_count; c++) {
            m->params[l->weight + c] = (real)(0.5 + rng_uniform(rng));
            m->params[l->bias + c] = (real)(0.2 * rng_normal(rng));
        }
    }
}

static double max_abs(const real *a, size_t n) {
    double v = 0;
    for (size_t i = 0; i < n; i++) v = fmax(v, fabs((double)a[i]));
    return v;
}

/* |eval - reference| <= 1e-4 of the reference's largest logit, or 1e-4 absolute when they are all tiny */
static void check_logits(const char *name, const char *when, const real *eval, const real *reference, size_t n) {
    const double scale = fmax(1.0, max_abs(reference, n));
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)eval[i] - (double)reference[i]));
    CHECK_MSG(worst <= 1e-4 * scale, "%s %s: largest difference %.3g against logits up to %.3g", name, when, worst,
              scale);
}

static void check_model(const char *name) {
    int C = 0, side = 0;
    const int classes = 10;
    Model *m = build(name, &C, &side, classes);
    if (!m) return;
    Rng rng;
    rng_seed(&rng, 5);
    const size_t inputs = (size_t)C * side * side * BATCH, logits = (size_t)BATCH * classes;
    real *x = malloc(inputs * sizeof(real)), *reference = malloc(logits * sizeof(real));
    real *again = malloc(logits * sizeof(real)), *one_thread = malloc(logits * sizeof(real));
    for (size_t i = 0; i < inputs; i++) x[i] = (real)rng_normal(&rng);
    perturb_batchnorms(m, &rng);
    for (int step = 0; step < 3; step++) model_forward(m, x, BATCH, true); /* running statistics move */
    memcpy(reference, model_forward(m, x, BATCH, false), logits * sizeof(real));

    char err[ERR_LEN];
    EvalModel *e = NULL;
    engine_set_threads(2);
    CHECK_MSG(eval_model_create(&e, m, BATCH, err) == 0, "%s: %s", name, err);
    if (e) {
        check_logits(name, "after create", eval_model_forward(e, x, BATCH), reference, logits);
        memcpy(again, model_forward(m, x, BATCH, false), logits * sizeof(real));
        CHECK_MSG(!memcmp(again, reference, logits * sizeof(real)), "%s: the trained model's forward changed", name);
        const EvalModelStats stats = eval_model_stats(e);
        CHECK_MSG(stats.arena_reals < stats.trained_reals, "%s: evaluation arena %zu reals, trained %zu", name,
                  stats.arena_reals, stats.trained_reals);
        if (!strcmp(name, "resnet20")) /* 19 convolutions each with its BN, plus 2 projection shortcuts' */
            CHECK_MSG(stats.folded_batchnorms == 21, "resnet20: %d batch norms folded", stats.folded_batchnorms);
        if (!strcmp(name, "vgg11")) CHECK_MSG(stats.folded_batchnorms == 8, "vgg11: %d folded", stats.folded_batchnorms);
        /* grouped and depthwise convolutions fold too: MobileNet V2's 52 convolutions each have their BN */
        if (!strcmp(name, "mobilenet_v2"))
            CHECK_MSG(stats.folded_batchnorms == 52, "mobilenet_v2: %d folded", stats.folded_batchnorms);

        /* a change of parameters, then refresh */
        perturb_batchnorms(m, &rng);
        model_forward(m, x, BATCH, true);
        memcpy(reference, model_forward(m, x, BATCH, false), logits * sizeof(real));
        eval_model_refresh(e);
        const real *refreshed = eval_model_forward(e, x, BATCH);
        check_logits(name, "after refresh", refreshed, reference, logits);
        memcpy(again, refreshed, logits * sizeof(real));
        eval_model_free(e);

        /* borrowing the trained model's gradient and activation memory: the same logits, and the trained model's
         * own evaluation (its parameters and buffers) untouched */
        EvalModel *borrowing = NULL;
        CHECK_MSG(eval_model_create_borrowing(&borrowing, m, BATCH, err) == 0, "%s: %s", name, err);
        if (borrowing) {
            eval_model_refresh(borrowing);
            const real *borrowed = eval_model_forward(borrowing, x, BATCH);
            CHECK_MSG(!memcmp(borrowed, again, logits * sizeof(real)), "%s: borrowing gives other logits", name);
            CHECK_MSG(borrowed >= m->acts && borrowed < m->acts + m->act_count + m->act_grad_count + m->saved_count +
                                                            m->workspace_count,
                      "%s: the borrowing plan's logits are not in the trained model's memory", name);
            eval_model_free(borrowing);
            CHECK_MSG(!memcmp(model_forward(m, x, BATCH, false), reference, logits * sizeof(real)),
                      "%s: the trained model's forward changed after a borrowing evaluation", name);
        }

        engine_set_threads(1);
        EvalModel *single = NULL;
        CHECK_MSG(eval_model_create(&single, m, BATCH, err) == 0, "%s: %s", name, err);
        if (single) {
            memcpy(one_thread, eval_model_forward(single, x, BATCH), logits * sizeof(real));
            CHECK_MSG(!memcmp(one_thread, again, logits * sizeof(real)), "%s: 1 and 2 threads differ", name);
            eval_model_free(single);
        }
        engine_set_threads(2);
    }
    model_free(m);
    free(x), free(reference), free(again), free(one_thread);
}

int main(int argc, char **argv) {
    for (int i = 0; i < model_registry_count(); i++) {
        const char *name = model_registry_name(i);
        if (argc > 1 && strcmp(argv[1], name)) continue;
        if (!strcmp(name, "resnet1202") || !strcmp(name, "resnet152") || !strcmp(name, "resnet101") ||
            !strcmp(name, "densenet201") || !strcmp(name, "densenet169") || !strcmp(name, "resnext101_32x8d"))
            continue; /* deeper copies of resnet50 / densenet121 / resnext50's layer kinds: the same plan, longer */
        check_model(name);
    }
    return check_report("eval_model");
}

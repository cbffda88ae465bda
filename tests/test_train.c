/* The training engine as a whole: parameter counts, the model graph's gradients (double precision,
 * finite differences through model_forward/model_backward), SGD and schedules against hand
 * computations, and LeNet (with and without batch norm) learning the synthetic set well above chance,
 * deterministically. */
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

static double loss_of(Model *m, const real *x, const int32_t *labels, int B, int classes, real *probs) {
    const real *logits = model_forward(m, x, B, true);
    return softmax_xent_forward(probs, logits, labels, B, classes, 0);
}

/* Finite differences over a sample of every parameter tensor of a model built in double precision. */
static void check_model_gradients(const char *name, int C, int H, int W, int classes) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.hidden, "7,5");
    const int B = 3;
    char err[ERR_LEN];
    Model *m;
    CHECK(model_create(&m, name, &cfg, C, H, W, classes, B, 42, err) == 0);
    Rng rng;
    rng_seed(&rng, 7);
    size_t n = (size_t)C * H * W * B;
    real *x = malloc(n * sizeof(real));
    real *probs = malloc((size_t)B * classes * sizeof(real));
    int32_t labels[3] = {1, 0, 2};
    for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
    loss_of(m, x, labels, B, classes, probs);
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), probs, labels, B, classes, 0);
    model_backward(m, B);
    double worst = 0;
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        for (int k = 0; k < 5; k++) {
            size_t i = pt->offset + rng_below(&rng, (uint32_t)pt->count);
            real saved = m->params[i];
            const double eps = 1e-6;
            m->params[i] = saved + eps;
            double up = loss_of(m, x, labels, B, classes, probs);
            m->params[i] = saved - eps;
            double down = loss_of(m, x, labels, B, classes, probs);
            m->params[i] = saved;
            double numeric = (up - down) / (2 * eps), analytic = m->grads[i];
            double rel = fabs(numeric - analytic) / fmax(1e-6, fabs(numeric) + fabs(analytic));
            if (rel > worst) worst = rel;
        }
    }
    printf("%s: worst relative gradient error %.2e\n", name, worst);
    CHECK_MSG(worst < 1e-5, "%s: worst relative gradient error %.3e", name, worst);
    free(x);
    free(probs);
    model_free(m);
}

static void check_parameter_counts(void) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    Model *m;
    CHECK(model_create(&m, "lenet", &cfg, 1, 32, 32, 10, 4, 0, err) == 0);
    CHECK(model_parameter_count(m) == 61706);
    model_free(m);
    strcpy(cfg.hidden, "256,128");
    CHECK(model_create(&m, "mlp", &cfg, 1, 28, 28, 10, 4, 0, err) == 0);
    CHECK(model_parameter_count(m) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
    model_free(m);
    CHECK(model_create(&m, "nonesuch", &cfg, 1, 28, 28, 10, 4, 0, err) != 0);
    CHECK(strstr(err, "nonesuch") != NULL);
}

static void check_sgd_and_schedules(void) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.hidden, "2");
    char err[ERR_LEN];
    Model *m;
    CHECK(model_create(&m, "mlp", &cfg, 1, 1, 2, 2, 1, 0, err) == 0);
    /* One weight by hand: w = 1, grad = 0.5, wd 0.1, momentum 0.9, lr 0.1, two steps. */
    m->params[0] = 1;
    real *velocity = calloc(m->param_count, sizeof(real));
    m->grads[0] = 0.5;
    sgd_update(m->params, m->grads, velocity, 1, 0.1, 0.9, 0.1, false); /* g = 0.6, v = 0.6, w = 0.94 */
    CHECK_CLOSE(m->params[0], 0.94, 1e-6);
    sgd_update(m->params, m->grads, velocity, 1, 0.1, 0.9, 0.1, false); /* g = 0.594, v = 1.134, w = 0.8266 */
    CHECK_CLOSE(m->params[0], 0.8266, 1e-6);
    m->params[0] = 1;
    memset(velocity, 0, m->param_count * sizeof(real));
    sgd_update(m->params, m->grads, velocity, 1, 0.1, 0.9, 0.1, true); /* nesterov: v = 0.6, step g + 0.9 v = 1.14 */
    CHECK_CLOSE(m->params[0], 1 - 0.114, 1e-6);
    free(velocity);
    model_free(m);

    cfg.lr = 0.1;
    cfg.epochs = 10;
    strcpy(cfg.schedule, "constant");
    CHECK_CLOSE(schedule_lr(&cfg, 55, 10), 0.1, 1e-12);
    strcpy(cfg.schedule, "step");
    cfg.step_size = 3;
    cfg.gamma = 0.5;
    CHECK_CLOSE(schedule_lr(&cfg, 29, 10), 0.1, 1e-12);
    CHECK_CLOSE(schedule_lr(&cfg, 30, 10), 0.05, 1e-12);
    CHECK_CLOSE(schedule_lr(&cfg, 65, 10), 0.025, 1e-12);
    strcpy(cfg.schedule, "cosine");
    CHECK_CLOSE(schedule_lr(&cfg, 0, 10), 0.1, 1e-12);
    CHECK_CLOSE(schedule_lr(&cfg, 50, 10), 0.05, 1e-12);
    CHECK_CLOSE(schedule_lr(&cfg, 99, 10), 0.1 * 0.5 * (1 + cos(M_PI * 0.99)), 1e-12);
    cfg.warmup_epochs = 2;
    CHECK_CLOSE(schedule_lr(&cfg, 0, 10), 0.1 / 20, 1e-12);
    CHECK_CLOSE(schedule_lr(&cfg, 19, 10), 0.1, 1e-12);
    CHECK_CLOSE(schedule_lr(&cfg, 60, 10), 0.1 * 0.5 * (1 + cos(M_PI * 0.5)), 1e-12);
}

typedef struct {
    EpochMetrics last;
    int epochs;
    double losses[8];
} Recorder;

static int record(const EpochMetrics *m, void *user) {
    Recorder *r = user;
    r->last = *m;
    r->losses[r->epochs++ % 8] = m->train_loss;
    return 0;
}

/* A run of `model` on the synthetic dataset: defaults, then these sizes, epochs, batch and learning rate */
static void synthetic_run(TrainConfig *cfg, const char *model, int train_images, int test_images, int epochs,
                          int batch, double lr) {
    train_config_defaults(cfg);
    char err[ERR_LEN];
    CHECK_MSG(train_config_set(cfg, "dataset", "synthetic", err) == 0, "%s", err);
    strcpy(cfg->model, model);
    cfg->synthetic_train = train_images;
    cfg->synthetic_test = test_images;
    cfg->epochs = epochs;
    cfg->batch_size = batch;
    cfg->lr = lr;
}

/* top-1/top-5 ranks: ties go to the lower class index, as argmax; NaN is never right */
static void check_class_rank(void) {
    const real zeros[4] = {0, 0, 0, 0}, scores[4] = {1, 3, 3, 2}, with_nan[4] = {1, NAN, 0, 2};
    CHECK(true_class_rank(zeros, 0, 4) == 0);
    CHECK_MSG(true_class_rank(zeros, 3, 4) == 3, "all-equal logits: class 3 ranks %d", true_class_rank(zeros, 3, 4));
    CHECK(true_class_rank(scores, 1, 4) == 0 && true_class_rank(scores, 2, 4) == 1);
    CHECK(true_class_rank(scores, 3, 4) == 2 && true_class_rank(scores, 0, 4) == 3);
    CHECK(true_class_rank(with_nan, 1, 4) == 4 && true_class_rank(with_nan, 3, 4) == 1);
}

static void check_learning(void) {
    TrainConfig cfg;
    char err[ERR_LEN];
    synthetic_run(&cfg, "lenet", 1024, 512, 3, 32, 0.02);
    cfg.threads = 1;
    DataSplits data;
    CHECK(data_load(&data, &cfg, err) == 0);
    Recorder a = {0}, b = {0}, c = {0};
    TrainHooks hooks = {.on_epoch = record, .user = &a};
    TrainResult result;
    CHECK(train_run(&cfg, &data, &hooks, &result, err) == 0);
    CHECK(result.outcome == TRAIN_FINISHED && result.epochs_done == 3 && result.param_count == 61706);
    printf("lenet on synthetic: test top-1 %.2f%%, train loss %.4f -> %.4f\n", a.last.test_top1, a.losses[0],
           a.losses[2]);
    CHECK_MSG(a.last.test_top1 > 60.0, "test top-1 %.2f%% (chance is 10%%)", a.last.test_top1);
    CHECK(a.losses[2] < a.losses[0]);
    CHECK(a.last.test_top5 >= a.last.test_top1 && a.last.test_top5 <= 100.0);
    CHECK(isnan(a.last.val_top1));
    /* Same seed: bit-identical; another seed: different. */
    hooks.user = &b;
    CHECK(train_run(&cfg, &data, &hooks, &result, err) == 0);
    CHECK(memcmp(&a.losses, &b.losses, sizeof a.losses) == 0 && a.last.test_loss == b.last.test_loss);
    cfg.seed = 99;
    hooks.user = &c;
    CHECK(train_run(&cfg, &data, &hooks, &result, err) == 0);
    CHECK(c.last.test_loss != a.last.test_loss);
    /* A learning rate that blows up is reported as diverged. */
    cfg.lr = 1e6;
    CHECK(train_run(&cfg, &data, NULL, &result, err) != 0);
    CHECK_MSG(result.outcome == TRAIN_DIVERGED, "outcome %d: %s", result.outcome, err);
    data_free(&data);
}

/* LeNet with batch norm (two BatchNorm2d, two BatchNorm1d fused with their ReLU) on the synthetic set: learns
 * well above chance, and its test accuracy is measured in evaluation mode (running statistics). */
static void check_learning_bn(void) {
    TrainConfig cfg;
    char err[ERR_LEN];
    synthetic_run(&cfg, "lenet", 1024, 512, 3, 32, 0.05);
    cfg.bn = 1;
    cfg.threads = 1;
    DataSplits data;
    CHECK(data_load(&data, &cfg, err) == 0);
    Recorder a = {0};
    TrainHooks hooks = {.on_epoch = record, .user = &a};
    TrainResult result;
    CHECK_MSG(train_run(&cfg, &data, &hooks, &result, err) == 0, "%s", err);
    CHECK(result.outcome == TRAIN_FINISHED && result.epochs_done == 3 && result.param_count == 62158);
    printf("lenet bn on synthetic: test top-1 %.2f%%, train loss %.4f -> %.4f\n", a.last.test_top1, a.losses[0],
           a.losses[2]);
    CHECK_MSG(a.last.test_top1 > 60.0, "lenet bn: test top-1 %.2f%% (chance is 10%%)", a.last.test_top1);
    CHECK(a.losses[2] < a.losses[0]);
    data_free(&data);
}

int main(void) {
    check_parameter_counts();
    if (sizeof(real) == sizeof(double)) { /* finite differences need double precision */
        check_model_gradients("lenet", 1, 32, 32, 4);
        check_model_gradients("mlp", 2, 3, 4, 3);
    } else {
        check_sgd_and_schedules();
        check_class_rank();
        check_learning();
        check_learning_bn();
    }
    return check_report("test_train");
}

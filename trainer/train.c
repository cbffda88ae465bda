/* The training loop: shuffle, assemble each mini-batch, forward, loss, backward, SGD step; evaluate after
 * every epoch. Everything the loop touches is allocated before the first step. */
#include "train.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "ops.h"
#include "optim.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Buffers for one mini-batch, sized for the largest batch. */
typedef struct {
    real *x;          /* [C][B][H][W] */
    int32_t *labels;  /* [B] */
    real *probs;      /* [B][classes] */
    int32_t *order;   /* [max(train, eval) count] image indices */
} BatchBuffers;

/* Rank of the true class among the logits: how many classes score strictly higher. */
static int true_class_rank(const real *logits, int label, int classes) {
    int rank = 0;
    for (int k = 0; k < classes; k++)
        if (logits[k] > logits[label]) rank++;
    return rank;
}

static EvalResult evaluate(Model *model, const Dataset *d, BatchBuffers *buf, int batch, int classes,
                           double smoothing) {
    EvalResult r = {0, 0, 0};
    if (d->count == 0) return (EvalResult){NAN, NAN, NAN};
    double loss_sum = 0;
    long top1 = 0, top5 = 0;
    for (int i = 0; i < d->count; i++) buf->order[i] = i;
    for (int start = 0; start < d->count; start += batch) {
        int B = d->count - start < batch ? d->count - start : batch;
        data_fill_batch(d, buf->order + start, B, buf->x, buf->labels, NULL, NULL);
        const real *logits = model_forward(model, buf->x, B, false);
        loss_sum += softmax_xent_forward(buf->probs, logits, buf->labels, B, classes, (real)smoothing) * B;
        for (int b = 0; b < B; b++) {
            int rank = true_class_rank(logits + (size_t)b * classes, buf->labels[b], classes);
            top1 += rank < 1;
            top5 += rank < 5;
        }
    }
    r.loss = loss_sum / d->count;
    r.top1 = 100.0 * (double)top1 / d->count;
    r.top5 = 100.0 * (double)top5 / d->count;
    return r;
}

static Augment augmentation_for(const TrainConfig *cfg) {
    int on = cfg->augment;
    if (on < 0) on = !strncmp(cfg->dataset, "cifar", 5); /* CIFAR trains with crop+flip by default */
    return on ? (Augment){.crop_pad = 4, .hflip = 1} : (Augment){0, 0};
}

int train_run(const TrainConfig *cfg, const DataSplits *data, const TrainHooks *hooks, TrainResult *result,
              char err[ERR_LEN]) {
    memset(result, 0, sizeof *result);
    result->outcome = TRAIN_FAILED;
    const Dataset *train = &data->train;
    if (train->count == 0) return err_set(err, "dataset %s: no training images", train->name);
    if (cfg->threads > 0) openblas_set_num_threads(cfg->threads);

    const int batch = cfg->batch_size < train->count ? cfg->batch_size : train->count;
    const int classes = train->classes;
    Model *model = NULL;
    if (model_create(&model, cfg->model, cfg, train->channels, train->height, train->width, classes, batch, cfg->seed,
                     err))
        return -1;
    result->param_count = (int64_t)model_parameter_count(model);
    if (hooks && hooks->on_start) hooks->on_start(result->param_count, hooks->user);

    int most = train->count;
    if (data->test.count > most) most = data->test.count;
    if (data->val.count > most) most = data->val.count;
    BatchBuffers buf = {
        .x = malloc(sizeof(real) * (size_t)train->channels * train->height * train->width * batch),
        .labels = malloc(sizeof(int32_t) * (size_t)batch),
        .probs = malloc(sizeof(real) * (size_t)batch * classes),
        .order = malloc(sizeof(int32_t) * (size_t)most),
    };
    Optimizer opt = {0};
    if (optimizer_init(&opt, cfg, model, err)) goto done;
    if (!buf.x || !buf.labels || !buf.probs || !buf.order) {
        err_set(err, "out of memory for the training buffers");
        goto done;
    }

    Rng shuffle_rng, augment_rng;
    rng_seed_stream(&shuffle_rng, cfg->seed, 2);
    rng_seed_stream(&augment_rng, cfg->seed, 3);
    const Augment aug = augmentation_for(cfg);
    const long steps_per_epoch = (train->count + batch - 1) / batch;
    const real smoothing = (real)cfg->label_smoothing;
    long step = 0;
    result->outcome = TRAIN_FINISHED;

    for (int epoch = 1; epoch <= cfg->epochs; epoch++) {
        double t0 = now_seconds();
        for (int i = 0; i < train->count; i++) buf.order[i] = i;
        rng_shuffle(&shuffle_rng, buf.order, train->count);
        double loss_sum = 0, lr = cfg->lr;
        long correct = 0;
        for (int start = 0; start < train->count; start += batch, step++) {
            int B = train->count - start < batch ? train->count - start : batch;
            data_fill_batch(train, buf.order + start, B, buf.x, buf.labels, aug.crop_pad || aug.hflip ? &aug : NULL,
                            &augment_rng);
            const real *logits = model_forward(model, buf.x, B, true);
            double loss = softmax_xent_forward(buf.probs, logits, buf.labels, B, classes, smoothing);
            if (!isfinite(loss)) {
                result->outcome = TRAIN_DIVERGED;
                err_set(err, "diverged: loss is %g at epoch %d, step %ld (lr %g)", loss, epoch, step, lr);
                goto done;
            }
            loss_sum += loss * B;
            for (int b = 0; b < B; b++) correct += true_class_rank(logits + (size_t)b * classes, buf.labels[b], classes) == 0;
            model_zero_grads(model);
            softmax_xent_backward(model_logits_grad(model), buf.probs, buf.labels, B, classes, smoothing);
            model_backward(model, B);
            lr = schedule_lr(cfg, step, steps_per_epoch);
            optimizer_step(&opt, model, lr);
        }
        double train_seconds = now_seconds() - t0;
        EpochMetrics m = {.epoch = epoch,
                          .train_loss = loss_sum / train->count,
                          .train_top1 = 100.0 * (double)correct / train->count,
                          .lr = lr,
                          .images_per_sec = train->count / train_seconds};
        EvalResult val = evaluate(model, &data->val, &buf, batch, classes, smoothing);
        EvalResult test = evaluate(model, &data->test, &buf, batch, classes, smoothing);
        m.val_loss = val.loss;
        m.val_top1 = val.top1;
        m.test_loss = test.loss;
        m.test_top1 = test.top1;
        m.test_top5 = test.top5;
        m.wall_seconds = now_seconds() - t0;
        result->epochs_done = epoch;
        if (hooks && hooks->on_epoch && hooks->on_epoch(&m, hooks->user)) {
            result->outcome = TRAIN_STOPPED;
            break;
        }
    }

done:
    free(buf.x);
    free(buf.labels);
    free(buf.probs);
    free(buf.order);
    optimizer_free(&opt);
    model_free(model);
    return result->outcome == TRAIN_FINISHED || result->outcome == TRAIN_STOPPED ? 0 : -1;
}

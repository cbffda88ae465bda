/* The training loop: shuffle, assemble each mini-batch, forward, loss, backward, SGD step; evaluate after
 * every epoch. Everything the loop touches is allocated before the first step. */
#include "train.h"
#include "data_parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eval_model.h"
#include "model.h"
#include "ops.h"
#include "optim.h"
#include "checkpoint.h"
#include "threads.h"

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
int true_class_rank(const real *logits, int label, int classes) {
    if (isnan(logits[label])) return classes;
    int rank = 0;
    for (int k = 0; k < classes; k++)
        if (logits[k] > logits[label] || (logits[k] == logits[label] && k < label) || isnan(logits[k])) rank++;
    return rank;
}

static EvalResult evaluate(EvalModel *eval, const Dataset *d, BatchBuffers *buf, int batch, int classes,
                           double smoothing) {
    EvalResult r = {0, 0, 0};
    if (d->count == 0) return (EvalResult){NAN, NAN, NAN};
    double loss_sum = 0;
    long top1 = 0, top5 = 0;
    for (int i = 0; i < d->count; i++) buf->order[i] = i;
    for (int start = 0; start < d->count; start += batch) {
        int B = d->count - start < batch ? d->count - start : batch;
        data_fill_batch(d, buf->order + start, B, buf->x, buf->labels, NULL, NULL);
        const real *logits = eval_model_forward(eval, buf->x, B);
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
    const int folder = !strcmp(cfg->dataset, "imagefolder");
    if (on < 0) on = !strncmp(cfg->dataset, "cifar", 5) || folder; /* their standard recipes augment */
    if (on && folder) return (Augment){.hflip = 1, .resized_crop = 1, .seed = cfg->seed};
    return on ? (Augment){.crop_pad = 4, .hflip = 1} : (Augment){0};
}

/* Writes a checkpoint; a failure to write is a failed run (the promise is that nothing is lost). */
static int save_checkpoint(const TrainHooks *hooks, const TrainConfig *cfg, const Model *model, const Optimizer *opt,
                           const TrainState *st, char err[ERR_LEN]) {
    if (!hooks || !hooks->checkpoint_path) return 0;
    return checkpoint_save(hooks->checkpoint_path, model, opt, st, train_config_fingerprint(cfg), err);
}

/* Loads the checkpoint when asked to resume and it exists. 1 = resumed, 0 = fresh start, -1 = refused. */
static int maybe_resume(const TrainHooks *hooks, const TrainConfig *cfg, Model *model, Optimizer *opt, TrainState *st,
                        char err[ERR_LEN]) {
    if (!hooks || !hooks->resume || !hooks->checkpoint_path || access(hooks->checkpoint_path, F_OK) != 0) return 0;
    if (checkpoint_load(hooks->checkpoint_path, model, opt, st, train_config_fingerprint(cfg), err)) return -1;
    model->dropout_rng = st->dropout;
    return 1;
}

/* Rank 0's start to every rank of a data-parallel group: whether it resumed (1), starts afresh (0) or failed
 * (-1), and when it resumed the whole state a checkpoint holds. Non-zero: the group broke. */
static int share_start(DataParallel *dp, Model *model, Optimizer *opt, TrainState *st, int *resumed,
                       char err[ERR_LEN]) {
    char why[ERR_LEN];
    int32_t status[2] = {*resumed, st->epochs_done};
    if (dp_broadcast(dp, status, sizeof status, why)) return err_set(err, "%s", why);
    *resumed = status[0];
    if (*resumed < 0 && dp_rank(dp) > 0) err_set(err, "rank 0 of the data-parallel group could not start");
    if (*resumed != 1) return 0;
    st->epochs_done = status[1];
    /* the history array of every rank has room for the run's epochs; rank 0 checked the count */
    EpochMetrics *history = st->history;
    TrainState scalars = *st;
    if (dp_broadcast(dp, model->params, sizeof(real) * model->param_count, why) ||
        dp_broadcast(dp, model->buffers, sizeof(real) * model->buffer_count, why) ||
        dp_broadcast(dp, opt->state, sizeof(real) * opt->state_count, why) ||
        dp_broadcast(dp, &opt->step, sizeof opt->step, why) || dp_broadcast(dp, &scalars, sizeof scalars, why) ||
        dp_broadcast(dp, history, sizeof(EpochMetrics) * (size_t)st->epochs_done, why))
        return err_set(err, "%s", why);
    const TrainConfig *config = st->config; /* a pointer: rank 0's means nothing here */
    *st = scalars;
    st->history = history;
    st->config = config;
    return 0;
}

int train_run(const TrainConfig *cfg, const DataSplits *data, const TrainHooks *hooks, TrainResult *result,
              char err[ERR_LEN]) {
    memset(result, 0, sizeof *result);
    result->outcome = TRAIN_FAILED;
    const Dataset *train = &data->train;
    if (train->count == 0) return err_set(err, "dataset %s: no training images", train->name);
    engine_set_threads(cfg->threads);

    const int batch = cfg->batch_size < train->count ? cfg->batch_size : train->count;
    const int classes = train->classes;
    /* data parallel: the model holds one micro-batch; a batch is several passes (data_parallel.h) */
    const int micro = cfg->micro_batch > 0 && cfg->micro_batch < batch ? cfg->micro_batch : batch;
    Model *model = NULL;
    DataParallel *dp = NULL;
    EvalModel *eval = NULL;
    if (model_create(&model, cfg->model, cfg, train->channels, train->height, train->width, classes,
                     cfg->micro_batch > 0 ? micro : batch, cfg->seed, err))
        return -1;
    result->param_count = (int64_t)model_parameter_count(model);
    result->forward_flops = model_forward_flops(model, 1);

    int most = train->count;
    if (data->test.count > most) most = data->test.count;
    if (data->val.count > most) most = data->val.count;
    BatchBuffers buf = {
        .x = malloc(sizeof(real) * (size_t)train->channels * train->height * train->width * batch),
        .labels = malloc(sizeof(int32_t) * (size_t)batch),
        .probs = malloc(sizeof(real) * (size_t)batch * classes),
        .order = malloc(sizeof(int32_t) * (size_t)most),
    };
    TrainState st = {.next_epoch = 1, .history = calloc((size_t)cfg->epochs + 1, sizeof(EpochMetrics)), .config = cfg};
    Optimizer opt = {0};
    if (optimizer_init(&opt, cfg, model, err)) goto done;
    if (cfg->micro_batch > 0) {
        TrainConfig shard_cfg = *cfg;
        shard_cfg.micro_batch = micro;
        if (dp_create(&dp, model, &shard_cfg, batch, hooks ? hooks->collectives : NULL, err)) goto done;
    }
    /* Evaluation runs the forward-only form (batch norms folded) in the model's own gradient and activation
     * memory, which the next step recomputes: eval_model.h. */
    if (eval_model_create_borrowing(&eval, model, cfg->micro_batch > 0 ? micro : batch, err)) goto done;
    const bool leader = !dp || dp_rank(dp) == 0;
    if (!buf.x || !buf.labels || !buf.probs || !buf.order || !st.history) {
        err_set(err, "out of memory for the training buffers");
        goto done;
    }
    rng_seed_stream(&st.shuffle_at_epoch_start, cfg->seed, 2);
    rng_seed_stream(&st.augment, cfg->seed, 3);
    EpochMetrics *history = st.history; /* room for the whole run's epochs */
    int resumed = leader ? maybe_resume(hooks, cfg, model, &opt, &st, err) : 0;
    if (resumed == 1) {
        /* checkpoint_load gave us its own history array: move it into ours. */
        int ok = st.epochs_done <= cfg->epochs;
        if (ok) memcpy(history, st.history, (size_t)st.epochs_done * sizeof(EpochMetrics));
        free(st.history);
        st.history = history;
        if (!ok) {
            err_set(err, "%s: checkpoint has %d epochs, more than the run's %d", hooks->checkpoint_path,
                    st.epochs_done, cfg->epochs);
            resumed = -1;
        }
    }
    /* the other ranks of a data-parallel group start from rank 0's state, whatever their own disks hold */
    if (dp && dp_size(dp) > 1 && share_start(dp, model, &opt, &st, &resumed, err)) {
        result->outcome = TRAIN_LOST;
        goto done;
    }
    if (resumed == 1) {
        result->epochs_done = st.epochs_done;
        if (leader && hooks->on_resume) hooks->on_resume(st.epochs_done, st.history, hooks->user);
    } else if (resumed < 0) {
        goto done;
    }
    if (hooks && hooks->on_start) hooks->on_start(result->param_count, hooks->user);

    Augment aug = augmentation_for(cfg);
    const long steps_per_epoch = (train->count + batch - 1) / batch;
    const real smoothing = (real)cfg->label_smoothing;
    result->outcome = TRAIN_FINISHED;
    bool group_stop = false; /* data parallel: the group agreed to stop (a rank was asked to) */

    for (int epoch = st.next_epoch; epoch <= cfg->epochs; epoch++) {
        double t0 = now_seconds() - st.epoch_train_seconds;
        aug.epoch = epoch;
        /* The permutation is replayed from the RNG state at the epoch's start, so a run resumed mid-epoch
         * sees the same order. */
        Rng shuffle_rng = st.shuffle_at_epoch_start;
        for (int i = 0; i < train->count; i++) buf.order[i] = i;
        rng_shuffle(&shuffle_rng, buf.order, train->count);
        double lr = schedule_lr(cfg, st.step > 0 ? st.step - 1 : 0, steps_per_epoch);
        for (int start = st.position; start < train->count; start += batch, st.step++) {
            /* one group decides: a data-parallel rank stops when the group agreed to in the last step */
            const bool stop_now = dp ? group_stop : hooks && hooks->preempt && *hooks->preempt;
            if (stop_now && start > 0) {
                st.position = start;
                st.epoch_train_seconds = now_seconds() - t0;
                st.dropout = model->dropout_rng;
                if (leader && save_checkpoint(hooks, cfg, model, &opt, &st, err)) {
                    result->outcome = TRAIN_FAILED;
                    goto done;
                }
                result->outcome = TRAIN_PREEMPTED;
                goto done;
            }
            int B = train->count - start < batch ? train->count - start : batch;
            data_fill_batch(train, buf.order + start, B, buf.x, buf.labels, aug.crop_pad || aug.hflip ? &aug : NULL,
                            &st.augment);
            double loss, objective;
            long correct = 0;
            if (dp) {
                DpStep out;
                const int wish = hooks && hooks->preempt && *hooks->preempt;
                if (dp_train_step(dp, model, buf.x, buf.labels, B, smoothing, st.step, wish, &out, err)) {
                    result->outcome = TRAIN_LOST;
                    goto done;
                }
                group_stop = group_stop || out.stop;
                loss = out.loss_sum / B;
                objective = out.finite ? out.objective_sum / B : NAN;
                correct = out.correct;
            } else {
                const real *logits = model_forward(model, buf.x, B, true);
                loss = model_loss(model, buf.probs, buf.labels, B, smoothing, &objective);
                for (int b = 0; b < B; b++)
                    correct += true_class_rank(logits + (size_t)b * classes, buf.labels[b], classes) == 0;
            }
            if (!isfinite(objective)) {
                result->outcome = TRAIN_DIVERGED;
                err_set(err, "diverged: loss is %g at epoch %d, step %ld (lr %g)", objective, epoch, st.step, lr);
                goto done;
            }
            st.epoch_loss_sum += loss * B;
            st.epoch_objective_sum += objective * B;
            st.epoch_correct += correct;
            if (!dp) model_loss_backward(model, buf.probs, buf.labels, B, smoothing);
            lr = schedule_lr(cfg, st.step, steps_per_epoch);
            optimizer_step(&opt, model, lr);
            if (hooks && hooks->on_step) hooks->on_step(hooks->user);
        }
        double train_seconds = now_seconds() - t0;
        EpochMetrics m = {.epoch = epoch,
                          .train_loss = st.epoch_loss_sum / train->count,
                          .train_objective = model->aux_count ? st.epoch_objective_sum / train->count : NAN,
                          .train_top1 = 100.0 * (double)st.epoch_correct / train->count,
                          .lr = lr,
                          .images_per_sec = train->count / train_seconds};
        EvalResult val, test;
        eval_model_refresh(eval);
        if (dp) {
            if (dp_evaluate(dp, eval, &data->val, buf.order, buf.x, buf.labels, buf.probs, smoothing, &val.loss,
                            &val.top1, &val.top5, err) ||
                dp_evaluate(dp, eval, &data->test, buf.order, buf.x, buf.labels, buf.probs, smoothing, &test.loss,
                            &test.top1, &test.top5, err)) {
                result->outcome = TRAIN_LOST;
                goto done;
            }
        } else {
            val = evaluate(eval, &data->val, &buf, batch, classes, smoothing);
            test = evaluate(eval, &data->test, &buf, batch, classes, smoothing);
        }
        m.val_loss = val.loss;
        m.val_top1 = val.top1;
        m.test_loss = test.loss;
        m.test_top1 = test.top1;
        m.test_top5 = test.top5;
        m.wall_seconds = now_seconds() - t0;
        /* The next epoch starts here: checkpoint before reporting, so a reported epoch is never lost. */
        st.history[st.epochs_done++] = m;
        st.next_epoch = epoch + 1;
        st.position = 0;
        st.epoch_loss_sum = 0;
        st.epoch_objective_sum = 0;
        st.epoch_correct = 0;
        st.epoch_train_seconds = 0;
        st.shuffle_at_epoch_start = shuffle_rng;
        st.dropout = model->dropout_rng;
        if (leader && save_checkpoint(hooks, cfg, model, &opt, &st, err)) {
            result->outcome = TRAIN_FAILED;
            goto done;
        }
        result->epochs_done = epoch;
        int stop = leader && hooks && hooks->on_epoch && hooks->on_epoch(&m, hooks->user);
        if (dp && dp_agree(dp, &stop, err)) { /* rank 0's verdict (early stopping) holds for the group */
            result->outcome = TRAIN_LOST;
            goto done;
        }
        if (stop) {
            result->outcome = TRAIN_STOPPED;
            break;
        }
    }

done:
    eval_model_free(eval);
    dp_free(dp);
    free(buf.x);
    free(buf.labels);
    free(buf.probs);
    free(buf.order);
    free(st.history);
    optimizer_free(&opt);
    model_free(model);
    return result->outcome == TRAIN_FAILED || result->outcome == TRAIN_DIVERGED || result->outcome == TRAIN_LOST ? -1
                                                                                                               : 0;
}

/* Data-parallel steps whose results do not depend on the number of ranks (see data_parallel.h). */
#include "data_parallel.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "train.h"

/* An exponent below every float's: marks a block that is zero in every shard. */
#define EXPONENT_NONE (INT32_MIN / 2)
/* Row of a shard in a step: loss x images, objective x images, correct count, then the BN buffers [Q],
 * each as the bits of a double (int64 sums with zeros move them exactly). */
#define STEP_ROW_HEAD 3
/* Dropout streams of shards: seed stream DROPOUT_STREAM_BASE + step * 2^17 + shard (batches are <= 65536). */
#define DROPOUT_STREAM_BASE 0x4450000000000000ull

struct DataParallel {
    const Collectives *coll;
    int rank, size;
    int micro, max_shards, max_local;
    uint64_t seed;
    size_t P, Q, blocks, row;
    real *shard_grads;   /* [max_local][P]: this rank's shards' scaled gradients of the step */
    int64_t *sum;        /* [P] fixed-point gradient sum */
    int32_t *exponents;  /* [blocks + 2]: per block, then "a value was not finite", then "stop" */
    int64_t *rows;       /* [max_shards][row] */
    real *start_buffers; /* [Q] BN running statistics before the step */
    real *shard_x;       /* [C][micro][H][W]: one shard's images */
    real *probs;         /* [micro][classes] */
};

static int64_t double_bits(double v) {
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

static double bits_double(int64_t bits) {
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static int coll_max(DataParallel *dp, int32_t *v, size_t n, char err[ERR_LEN]) {
    if (dp->size == 1) return 0;
    if (dp->coll->max_i32(v, n, dp->coll->user)) return err_set(err, "data-parallel group lost a rank");
    return 0;
}

static int coll_sum(DataParallel *dp, int64_t *v, size_t n, char err[ERR_LEN]) {
    if (dp->size == 1) return 0;
    if (dp->coll->sum_i64(v, n, dp->coll->user)) return err_set(err, "data-parallel group lost a rank");
    return 0;
}

int dp_create(DataParallel **out, const Model *model, const TrainConfig *cfg, int batch, const Collectives *coll,
              char err[ERR_LEN]) {
    *out = NULL;
    DataParallel *dp = calloc(1, sizeof *dp);
    if (!dp) return err_set(err, "out of memory for data-parallel state");
    dp->coll = coll;
    dp->rank = coll ? coll->rank : 0;
    dp->size = coll ? coll->size : 1;
    dp->micro = cfg->micro_batch;
    dp->max_shards = (batch + dp->micro - 1) / dp->micro;
    dp->max_local = (dp->max_shards + dp->size - 1) / dp->size;
    dp->seed = cfg->seed;
    dp->P = model->param_count;
    dp->Q = model->buffer_count;
    dp->blocks = (dp->P + GRAD_BLOCK - 1) / GRAD_BLOCK;
    dp->row = STEP_ROW_HEAD + dp->Q;
    dp->shard_grads = malloc(sizeof(real) * dp->P * (size_t)dp->max_local + 1);
    dp->sum = malloc(sizeof(int64_t) * dp->P + 1);
    dp->exponents = malloc(sizeof(int32_t) * (dp->blocks + 2));
    dp->rows = malloc(sizeof(int64_t) * dp->row * (size_t)dp->max_shards);
    dp->start_buffers = malloc(sizeof(real) * dp->Q + 1);
    const TensorSlot *in = &model->slots[model->input_slot];
    dp->shard_x = malloc(sizeof(real) * (size_t)in->C * in->H * in->W * (size_t)dp->micro);
    dp->probs = malloc(sizeof(real) * (size_t)model->slots[model->output_slot].C * (size_t)dp->micro);
    if (!dp->shard_grads || !dp->sum || !dp->exponents || !dp->rows || !dp->start_buffers || !dp->shard_x ||
        !dp->probs) {
        err_set(err, "out of memory for data-parallel state (%d shards of %zu gradients)", dp->max_local, dp->P);
        dp_free(dp);
        return -1;
    }
    *out = dp;
    return 0;
}

void dp_free(DataParallel *dp) {
    if (!dp) return;
    free(dp->shard_grads);
    free(dp->sum);
    free(dp->exponents);
    free(dp->rows);
    free(dp->start_buffers);
    free(dp->shard_x);
    free(dp->probs);
    free(dp);
}

int dp_rank(const DataParallel *dp) { return dp->rank; }
int dp_size(const DataParallel *dp) { return dp->size; }

/* ceil(log2(n)) for n >= 1: the headroom bits a sum of n terms needs. */
static int ceil_log2(int n) {
    int bits = 0;
    while ((1L << bits) < n) bits++;
    return bits;
}

/* Each block's exponent over this rank's shards: e with |g| < 2^e (frexp), EXPONENT_NONE when all zero.
 * Returns 0 when a value is NaN or infinite. */
static int local_exponents(DataParallel *dp, int local) {
    int finite = 1;
    for (size_t b = 0; b < dp->blocks; b++) {
        const size_t start = b * GRAD_BLOCK, end = start + GRAD_BLOCK < dp->P ? start + GRAD_BLOCK : dp->P;
        double largest = 0;
        for (int k = 0; k < local; k++) {
            const real *g = dp->shard_grads + (size_t)k * dp->P;
            for (size_t i = start; i < end; i++) {
                const double v = fabs((double)g[i]);
                if (!(v <= largest)) largest = v; /* NaN too, caught below */
            }
        }
        int e = EXPONENT_NONE;
        if (!isfinite(largest)) finite = 0;
        else if (largest > 0) frexp(largest, &e);
        dp->exponents[b] = e;
    }
    return finite;
}

/* this rank's shards' gradients summed in fixed point, per block scaled by 2^(61 - headroom - e) */
static void fixed_point_sum(DataParallel *dp, int local, int headroom) {
#pragma omp parallel for schedule(static) if (dp->P >= 1 << 16)
    for (long b = 0; b < (long)dp->blocks; b++) {
        const size_t start = (size_t)b * GRAD_BLOCK, end = start + GRAD_BLOCK < dp->P ? start + GRAD_BLOCK : dp->P;
        const int e = dp->exponents[b];
        if (e == EXPONENT_NONE) {
            for (size_t i = start; i < end; i++) dp->sum[i] = 0;
            continue;
        }
        const double scale = ldexp(1.0, 61 - headroom - e);
        for (size_t i = start; i < end; i++) {
            int64_t s = 0;
            for (int k = 0; k < local; k++) s += llrint((double)dp->shard_grads[(size_t)k * dp->P + i] * scale);
            dp->sum[i] = s;
        }
    }
}

static void fixed_point_to_grads(const DataParallel *dp, int headroom, real *grads) {
#pragma omp parallel for schedule(static) if (dp->P >= 1 << 16)
    for (long b = 0; b < (long)dp->blocks; b++) {
        const size_t start = (size_t)b * GRAD_BLOCK, end = start + GRAD_BLOCK < dp->P ? start + GRAD_BLOCK : dp->P;
        const int e = dp->exponents[b];
        const double unscale = e == EXPONENT_NONE ? 0 : ldexp(1.0, -(61 - headroom - e));
        for (size_t i = start; i < end; i++) grads[i] = (real)((double)dp->sum[i] * unscale);
    }
}

int dp_train_step(DataParallel *dp, Model *model, const real *x, const int32_t *labels, int B, real smoothing,
                  long step, int stop_local, DpStep *out, char err[ERR_LEN]) {
    const int shards = (B + dp->micro - 1) / dp->micro;
    const int classes = model->slots[model->output_slot].C;
    const size_t image = (size_t)model->slots[model->input_slot].C * model->slots[model->input_slot].H *
                         model->slots[model->input_slot].W;
    memcpy(dp->start_buffers, model->buffers, sizeof(real) * dp->Q);
    memset(dp->rows, 0, sizeof(int64_t) * dp->row * (size_t)shards);
    /* x is [C][B][H][W]: a shard's images are not contiguous, so each is gathered into the model's input. */
    int local = 0;
    for (int s = dp->rank; s < shards; s += dp->size, local++) {
        const int first = s * dp->micro, n = B - first < dp->micro ? B - first : dp->micro;
        memcpy(model->buffers, dp->start_buffers, sizeof(real) * dp->Q);
        rng_seed_stream(&model->dropout_rng, dp->seed, DROPOUT_STREAM_BASE + ((uint64_t)step << 17) + (uint64_t)s);
        const int C = model->slots[model->input_slot].C;
        const size_t plane = image / (size_t)C;
        for (int c = 0; c < C; c++)
            memcpy(dp->shard_x + (size_t)c * n * plane, x + ((size_t)c * B + first) * plane,
                   sizeof(real) * n * plane);
        const real *logits = model_forward(model, dp->shard_x, n, true);
        double objective;
        real *probs = dp->probs;
        const double loss = model_loss(model, probs, labels + first, n, smoothing, &objective);
        long correct = 0;
        for (int b = 0; b < n; b++)
            correct += true_class_rank(logits + (size_t)b * classes, labels[first + b], classes) == 0;
        int64_t *row = dp->rows + (size_t)s * dp->row;
        row[0] = double_bits(loss * n);
        row[1] = double_bits(objective * n);
        row[2] = correct;
        for (size_t j = 0; j < dp->Q; j++) row[STEP_ROW_HEAD + j] = double_bits((double)model->buffers[j]);
        model_loss_backward(model, probs, labels + first, n, smoothing);
        /* this shard's share of the mean over the B images */
        const real share = (real)n / (real)B;
        real *mine = dp->shard_grads + (size_t)local * dp->P;
        for (size_t i = 0; i < dp->P; i++) mine[i] = model->grads[i] * share;
    }
    const int finite = local_exponents(dp, local);
    dp->exponents[dp->blocks] = !finite;
    dp->exponents[dp->blocks + 1] = stop_local != 0;
    if (coll_max(dp, dp->exponents, dp->blocks + 2, err)) return -1;
    out->stop = dp->exponents[dp->blocks + 1];
    out->finite = !dp->exponents[dp->blocks];
    if (coll_sum(dp, dp->rows, dp->row * (size_t)shards, err)) return -1;
    out->loss_sum = out->objective_sum = 0;
    out->correct = 0;
    for (int s = 0; s < shards; s++) {
        const int64_t *row = dp->rows + (size_t)s * dp->row;
        out->loss_sum += bits_double(row[0]);
        out->objective_sum += bits_double(row[1]);
        out->correct += row[2];
    }
    if (!isfinite(out->objective_sum)) out->finite = 0;
    if (!out->finite) return 0; /* the caller stops; no update from non-finite gradients */
    const int headroom = ceil_log2(shards);
    fixed_point_sum(dp, local, headroom);
    if (coll_sum(dp, dp->sum, dp->P, err)) return -1;
    fixed_point_to_grads(dp, headroom, model->grads);
    for (size_t j = 0; j < dp->Q; j++) {
        double mean = 0;
        for (int s = 0; s < shards; s++) mean += bits_double(dp->rows[(size_t)s * dp->row + STEP_ROW_HEAD + j]);
        model->buffers[j] = (real)(mean / shards);
    }
    return 0;
}

int dp_evaluate(DataParallel *dp, EvalModel *eval, const Dataset *d, int32_t *order, real *x, int32_t *labels,
                real *probs, real smoothing, double *loss, double *top1, double *top5, char err[ERR_LEN]) {
    if (d->count == 0) {
        *loss = *top1 = *top5 = NAN;
        return 0;
    }
    const Model *model = eval_model_model(eval);
    const int classes = model->slots[model->output_slot].C;
    const int batches = (d->count + dp->micro - 1) / dp->micro;
    int64_t *rows = calloc((size_t)batches * 3, sizeof *rows); /* loss sum bits, top-1, top-5 per batch */
    if (!rows) return err_set(err, "out of memory for evaluation rows");
    for (int i = 0; i < d->count; i++) order[i] = i;
    for (int k = dp->rank; k < batches; k += dp->size) {
        const int first = k * dp->micro, n = d->count - first < dp->micro ? d->count - first : dp->micro;
        data_fill_batch(d, order + first, n, x, labels, NULL, NULL);
        const real *logits = eval_model_forward(eval, x, n);
        rows[(size_t)k * 3] = double_bits(softmax_xent_forward(probs, logits, labels, n, classes, smoothing) * n);
        for (int b = 0; b < n; b++) {
            const int rank = true_class_rank(logits + (size_t)b * classes, labels[b], classes);
            rows[(size_t)k * 3 + 1] += rank < 1;
            rows[(size_t)k * 3 + 2] += rank < 5;
        }
    }
    if (coll_sum(dp, rows, (size_t)batches * 3, err)) {
        free(rows);
        return -1;
    }
    double loss_sum = 0;
    long right1 = 0, right5 = 0;
    for (int k = 0; k < batches; k++) {
        loss_sum += bits_double(rows[(size_t)k * 3]);
        right1 += rows[(size_t)k * 3 + 1];
        right5 += rows[(size_t)k * 3 + 2];
    }
    free(rows);
    *loss = loss_sum / d->count;
    *top1 = 100.0 * (double)right1 / d->count;
    *top5 = 100.0 * (double)right5 / d->count;
    return 0;
}

int dp_agree(DataParallel *dp, int *flag, char err[ERR_LEN]) {
    int32_t v = *flag != 0;
    if (coll_max(dp, &v, 1, err)) return -1;
    *flag = v;
    return 0;
}

int dp_broadcast(DataParallel *dp, void *bytes, size_t n, char err[ERR_LEN]) {
    if (dp->size == 1) return 0;
    const size_t words = (n + 7) / 8;
    int64_t *w = calloc(words + 1, sizeof *w);
    if (!w) return err_set(err, "out of memory for a broadcast of %zu bytes", n);
    if (dp->rank == 0) memcpy(w, bytes, n);
    int rc = coll_sum(dp, w, words, err);
    if (!rc) memcpy(bytes, w, n);
    free(w);
    return rc;
}

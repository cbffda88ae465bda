/* Checkpoints: a run stopped at an epoch boundary or preempted mid-epoch and resumed ends bit-identical
 * to one never stopped; corrupt, truncated and mismatched checkpoints are refused with a clear message,
 * and checkpoint_verify finds the same faults without a model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "checkpoint.h"
#include "data.h"
#include "memory_cap.h"
#include "train.h"

#define EPOCHS 4

typedef struct {
    EpochMetrics seen[EPOCHS + 1];
    int count;
    int stop_after;                 /* on_epoch returns 1 after this epoch (0 = never) */
    int preempt_after;              /* set the preempt flag after this epoch (0 = never) */
    volatile sig_atomic_t *preempt;
} Log;

static int on_epoch(const EpochMetrics *m, void *user) {
    Log *log = user;
    log->seen[m->epoch] = *m;
    log->count++;
    if (log->preempt_after && m->epoch == log->preempt_after) *log->preempt = 1;
    return log->stop_after && m->epoch == log->stop_after;
}

static void on_resume(int done, const EpochMetrics *history, void *user) {
    Log *log = user;
    for (int i = 0; i < done; i++) log->seen[history[i].epoch] = history[i];
}

/* Metrics that must match bit for bit (timings are not results). */
static int same_results(const EpochMetrics *a, const EpochMetrics *b) {
    return a->epoch == b->epoch && a->train_loss == b->train_loss && a->train_top1 == b->train_top1 &&
           a->test_loss == b->test_loss && a->test_top1 == b->test_top1 && a->test_top5 == b->test_top5 &&
           a->lr == b->lr;
}

static TrainResult run(const TrainConfig *cfg, const DataSplits *data, Log *log, const char *path, bool resume,
                       volatile sig_atomic_t *preempt, char err[ERR_LEN]) {
    TrainHooks hooks = {.on_epoch = on_epoch, .on_resume = on_resume, .user = log, .checkpoint_path = path,
                        .resume = resume, .preempt = preempt};
    log->preempt = preempt;
    TrainResult result;
    if (train_run(cfg, data, &hooks, &result, err)) fprintf(stderr, "train_run: %s\n", err);
    return result;
}

/* A resume from a checkpoint whose header is corrupt but self-consistent enough to reach the payload. */
typedef struct {
    const TrainConfig *cfg;
    const DataSplits *data;
    const char *path;
} ResumeArgs;

/* Resuming must say "truncated" (run with a memory cap: the header's epoch count must not be allocated
 * before the file is known to hold that many epochs). */
static int resume_says_truncated(void *arg) {
    const ResumeArgs *a = arg;
    volatile sig_atomic_t preempt = 0;
    Log log = {0};
    char err[ERR_LEN] = "";
    TrainResult r = run(a->cfg, a->data, &log, a->path, true, &preempt, err);
    if (r.outcome == TRAIN_FAILED && strstr(err, "truncated") && strstr(err, a->path)) return 0;
    fprintf(stderr, "resume from a checkpoint claiming 10^7 epochs: %s\n", err);
    return 1;
}

static void write_int32(const char *path, long offset, int32_t value) {
    FILE *f = fopen(path, "r+b");
    fseek(f, offset, SEEK_SET);
    fwrite(&value, sizeof value, 1, f);
    fclose(f);
}

static void flip_byte(const char *path, long offset) {
    FILE *f = fopen(path, "r+b");
    fseek(f, offset, SEEK_SET);
    int c = fgetc(f);
    fseek(f, offset, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

int main(void) {
    char dir[] = "/tmp/cohort-ckpt-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], copy[300], cmd[700];
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    snprintf(copy, sizeof copy, "%s/copy.ckpt", dir);

    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    CHECK(train_config_set(&cfg, "dataset", "synthetic", err) == 0);
    cfg.synthetic_train = 600; /* 19 batches of 32, the last one partial */
    cfg.synthetic_test = 200;
    cfg.epochs = EPOCHS;
    cfg.batch_size = 32;
    cfg.lr = 0.05;
    cfg.threads = 1;
    cfg.augment = 1; /* exercise the augmentation RNG too */
    strcpy(cfg.schedule, "cosine");
    DataSplits data;
    CHECK(data_load(&data, &cfg, err) == 0);
    volatile sig_atomic_t preempt = 0;

    /* The reference: never stopped. */
    Log reference = {0};
    TrainResult r = run(&cfg, &data, &reference, NULL, false, &preempt, err);
    CHECK(r.outcome == TRAIN_FINISHED && reference.count == EPOCHS);

    /* Stopped after epoch 2 at the boundary, then resumed. */
    Log a = {.stop_after = 2};
    r = run(&cfg, &data, &a, path, false, &preempt, err);
    CHECK(r.outcome == TRAIN_STOPPED && r.epochs_done == 2);
    snprintf(cmd, sizeof cmd, "cp %s %s", path, copy);
    CHECK(system(cmd) == 0);
    Log a2 = {0};
    r = run(&cfg, &data, &a2, path, true, &preempt, err);
    CHECK(r.outcome == TRAIN_FINISHED && r.epochs_done == EPOCHS);
    CHECK_MSG(a2.count == EPOCHS - 2, "resumed run trained %d epochs, expected 2", a2.count);
    for (int e = 1; e <= EPOCHS; e++)
        CHECK_MSG(same_results(&a2.seen[e], &reference.seen[e]), "boundary resume: epoch %d differs", e);

    /* Preempted mid-epoch 1 (after its first batch), resumed, preempted again mid-epoch 3, resumed. */
    unlink(path);
    preempt = 1;
    Log b = {0};
    r = run(&cfg, &data, &b, path, false, &preempt, err);
    CHECK(r.outcome == TRAIN_PREEMPTED && r.epochs_done == 0 && b.count == 0);
    preempt = 0;
    Log b2 = {.preempt_after = 2};
    r = run(&cfg, &data, &b2, path, true, &preempt, err);
    CHECK(r.outcome == TRAIN_PREEMPTED && r.epochs_done == 2);
    preempt = 0;
    Log b3 = {0};
    r = run(&cfg, &data, &b3, path, true, &preempt, err);
    CHECK(r.outcome == TRAIN_FINISHED && b3.count == 2);
    for (int e = 1; e <= EPOCHS; e++) {
        CHECK_MSG(same_results(&b3.seen[e], &reference.seen[e]), "mid-epoch resume: epoch %d differs", e);
    }

    /* Refusals: corrupt payload, truncated file, other settings, other model. */
    snprintf(cmd, sizeof cmd, "cp %s %s", copy, path);
    CHECK(system(cmd) == 0);
    flip_byte(path, 4000);
    Log c = {0};
    r = run(&cfg, &data, &c, path, true, &preempt, err);
    CHECK(r.outcome == TRAIN_FAILED && strstr(err, "checksum") && strstr(err, path));
    snprintf(cmd, sizeof cmd, "head -c 3000 %s > %s", copy, path);
    CHECK(system(cmd) == 0);
    r = run(&cfg, &data, &c, path, true, &preempt, err);
    CHECK_MSG(r.outcome == TRAIN_FAILED && strstr(err, "truncated"), "%s", err);
    snprintf(cmd, sizeof cmd, "cp %s %s", copy, path);
    CHECK(system(cmd) == 0);
    TrainConfig other = cfg;
    other.lr = 0.1;
    r = run(&other, &data, &c, path, true, &preempt, err);
    CHECK_MSG(r.outcome == TRAIN_FAILED && strstr(err, "different settings"), "%s", err);
    other = cfg;
    strcpy(other.model, "mlp");
    r = run(&other, &data, &c, path, true, &preempt, err);
    CHECK_MSG(r.outcome == TRAIN_FAILED && strstr(err, "model lenet"), "%s", err);
    flip_byte(path, 0);
    r = run(&cfg, &data, &c, path, true, &preempt, err);
    CHECK_MSG(r.outcome == TRAIN_FAILED && strstr(err, "not a Cohort checkpoint"), "%s", err);
    /* epochs_done (int32 at byte 96 of the header) claiming 10^7 epochs, 880 MB of history, in a file of a
     * few hundred KB: refused as truncated within 256 MiB of memory. */
    snprintf(cmd, sizeof cmd, "cp %s %s", copy, path);
    CHECK(system(cmd) == 0);
    write_int32(path, 96, 10000000);
    ResumeArgs resume = {&cfg, &data, path};
    CHECK_MSG(run_with_memory_cap((unsigned long long)256 << 20, resume_says_truncated, &resume) == 0,
              "a corrupt epoch count in a short checkpoint was not refused as truncated within 256 MiB");

    /* checkpoint_verify, without a model: the good file passes; every single-byte change anywhere in it, a
     * truncation, an extra byte and other settings are caught, each with its own message. */
    uint64_t fingerprint = train_config_fingerprint(&cfg);
    CHECK_MSG(checkpoint_verify(copy, fingerprint, err) == 0, "%s", err);
    FILE *f = fopen(copy, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    int caught = 0, flips = 0;
    for (long offset = 0; offset < size; offset += 4099, flips++) {
        snprintf(cmd, sizeof cmd, "cp %s %s", copy, path);
        CHECK(system(cmd) == 0);
        flip_byte(path, offset);
        caught += checkpoint_verify(path, fingerprint, err) != 0;
    }
    CHECK_MSG(caught == flips && flips > 50, "%d of %d flipped bytes caught", caught, flips);
    snprintf(cmd, sizeof cmd, "cp %s %s", copy, path);
    CHECK(system(cmd) == 0);
    flip_byte(path, size / 2);
    CHECK_MSG(checkpoint_verify(path, fingerprint, err) != 0 && strstr(err, "checksum mismatch") && strstr(err, path),
              "%s", err);
    snprintf(cmd, sizeof cmd, "head -c %ld %s > %s", size - 1, copy, path);
    CHECK(system(cmd) == 0);
    CHECK_MSG(checkpoint_verify(path, fingerprint, err) != 0 && strstr(err, "truncated"), "%s", err);
    snprintf(cmd, sizeof cmd, "cp %s %s", copy, path);
    CHECK(system(cmd) == 0);
    f = fopen(path, "ab");
    CHECK(f != NULL && fputc('x', f) == 'x');
    fclose(f);
    CHECK_MSG(checkpoint_verify(path, fingerprint, err) != 0 && strstr(err, "checksum mismatch"), "%s", err);
    CHECK_MSG(checkpoint_verify(copy, train_config_fingerprint(&other), err) != 0 && strstr(err, "different settings"),
              "%s", err);
    snprintf(cmd, sizeof cmd, "%s/missing.ckpt", dir);
    CHECK_MSG(checkpoint_verify(cmd, fingerprint, err) != 0 && strstr(err, "cannot open"), "%s", err);

    data_free(&data);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_report("test_checkpoint");
}

/* Data-parallel training (trainer/data_parallel.h) over real MPI collectives: run under mpirun with K ranks,
 * every case trains one trial on all K and rank 0 prints, per epoch, the exact bits of every metric and, at
 * the end, a hash of the final parameters, BN running statistics and optimiser state. The CTest script runs
 * K = 1, 2, 3 and 4 and requires the outputs to be byte-identical: a trial's results do not depend on K.
 *
 * Cases: a ResNet (batch norm: per-shard statistics and the running-statistics combination) and a ViT with
 * dropout and attention dropout (per-shard random streams), both with a last batch that is not a whole number
 * of micro-batches; and the ResNet again stopped mid-epoch by a request on the last rank only, then resumed
 * from rank 0's checkpoint (the whole group stops at one step; the other ranks take rank 0's state), which must
 * end exactly as the uninterrupted run.
 *   mpirun -np K test_data_parallel WORK_DIR */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "checkpoint.h"
#include "collectives_mpi.h"
#include "config.h"
#include "data.h"
#include "fnv.h"
#include "model.h"
#include "optim.h"
#include "train.h"

static int world_rank;

typedef struct {
    const char *name;
    long stop_at_step;          /* the last rank asks to stop after this many steps (0 = never) */
    volatile sig_atomic_t stop; /* this rank's preempt flag */
    long steps;
} CaseState;

static int print_epoch(const EpochMetrics *m, void *user) {
    const CaseState *cs = user;
    /* bits, not decimals: equal output means equal results */
    printf("%s epoch %d train_loss %a train_top1 %a test_loss %a test_top1 %a test_top5 %a lr %a\n", cs->name,
           m->epoch, m->train_loss, m->train_top1, m->test_loss, m->test_top1, m->test_top5, m->lr);
    fflush(stdout);
    return 0;
}

static void count_step(void *user) {
    CaseState *cs = user;
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (++cs->steps == cs->stop_at_step && world_rank == size - 1) cs->stop = 1;
}

/* Hash of the state in a checkpoint: parameters, running statistics, optimiser state, position. */
static uint64_t checkpoint_hash(const TrainConfig *cfg, const DataSplits *data, const char *path) {
    Model *m = NULL;
    char err[ERR_LEN];
    const Dataset *t = &data->train;
    if (model_create(&m, cfg->model, cfg, t->channels, t->height, t->width, t->classes, cfg->micro_batch, cfg->seed,
                     err)) {
        fprintf(stderr, "%s\n", err);
        return 0;
    }
    Optimizer opt = {0};
    TrainState st = {0};
    uint64_t h = 0;
    if (!optimizer_init(&opt, cfg, m, err) && !checkpoint_load(path, m, &opt, &st, train_config_fingerprint(cfg), err)) {
        h = FNV64_OFFSET_BASIS;
        h = fnv64_bytes(h, m->params, sizeof(real) * m->param_count);
        h = fnv64_bytes(h, m->buffers, sizeof(real) * m->buffer_count);
        h = fnv64_bytes(h, opt.state, sizeof(real) * opt.state_count);
        h = fnv64_bytes(h, &st.step, sizeof st.step);
        h = fnv64_bytes(h, &st.epochs_done, sizeof st.epochs_done);
    } else {
        fprintf(stderr, "%s\n", err);
    }
    free(st.history);
    optimizer_free(&opt);
    model_free(m);
    return h;
}

/* Trains cfg on every rank; rank 0 writes the checkpoint. Returns the outcome. */
static TrainOutcome train_once(const TrainConfig *cfg, const DataSplits *data, CaseState *cs, const char *ckpt,
                               const Collectives *coll) {
    TrainHooks hooks = {.on_epoch = print_epoch, .on_step = count_step, .user = cs, .resume = true,
                        .checkpoint_path = world_rank == 0 ? ckpt : NULL, .preempt = &cs->stop,
                        .collectives = coll};
    TrainResult result;
    char err[ERR_LEN] = "";
    if (train_run(cfg, data, &hooks, &result, err)) fprintf(stderr, "rank %d: %s: %s\n", world_rank, cs->name, err);
    return result.outcome;
}

static void run_case(const char *name, TrainConfig *cfg, const char *work, const Collectives *coll, long stop_at) {
    DataSplits data;
    char err[ERR_LEN];
    CHECK_MSG(data_load(&data, cfg, err) == 0, "%s", err);
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s/%s.ckpt", work, name);
    if (world_rank == 0) unlink(ckpt);
    MPI_Barrier(MPI_COMM_WORLD);
    CaseState cs = {.name = name, .stop_at_step = stop_at};
    TrainOutcome first = train_once(cfg, &data, &cs, ckpt, coll);
    if (stop_at) {
        /* every rank stops at the same step, though only the last was asked */
        CHECK_MSG(first == TRAIN_PREEMPTED, "rank %d: %s: outcome %d, expected preempted", world_rank, name, first);
        MPI_Barrier(MPI_COMM_WORLD);
        CaseState again = {.name = name};
        CHECK(train_once(cfg, &data, &again, ckpt, coll) == TRAIN_FINISHED);
    } else {
        CHECK_MSG(first == TRAIN_FINISHED, "rank %d: %s: outcome %d", world_rank, name, first);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank == 0) {
        printf("%s final %016llx\n", name, (unsigned long long)checkpoint_hash(cfg, &data, ckpt));
        fflush(stdout);
    }
    data_free(&data);
}

static void synthetic(TrainConfig *cfg, const char *model, const char *shape) {
    train_config_defaults(cfg);
    char err[ERR_LEN];
    const char *settings[][2] = {{"model", model}, {"dataset", "synthetic"}, {"input_shape", shape},
                                 {"synthetic_train", "200"}, {"synthetic_test", "70"}, {"epochs", "2"},
                                 {"batch_size", "64"}, {"micro_batch", "16"}, {"lr", "0.05"}, {"threads", "1"},
                                 {"seed", "11"}};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        CHECK_MSG(train_config_set(cfg, settings[i][0], settings[i][1], err) == 0, "%s", err);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    if (argc != 2) {
        fprintf(stderr, "usage: mpirun -np K %s WORK_DIR\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    MpiCollectives mc;
    mpi_collectives_init(&mc, MPI_COMM_WORLD, 300);
    char err[ERR_LEN];
    TrainConfig cfg;

    synthetic(&cfg, "resnet8", "3x16x16");
    run_case("resnet8", &cfg, argv[1], &mc.collectives, 0);
    run_case("resnet8_stopped", &cfg, argv[1], &mc.collectives, 5);

    synthetic(&cfg, "vit", "3x16x16");
    const char *vit[][2] = {{"dim", "32"}, {"depth", "2"}, {"heads", "2"}, {"mlp_dim", "64"}, {"patch", "4"},
                            {"dropout", "0.1"}, {"attn_dropout", "0.1"}, {"optimizer", "adamw"}, {"lr", "0.002"}};
    for (size_t i = 0; i < sizeof vit / sizeof vit[0]; i++)
        CHECK_MSG(train_config_set(&cfg, vit[i][0], vit[i][1], err) == 0, "%s", err);
    run_case("vit_dropout", &cfg, argv[1], &mc.collectives, 0);

    int failures = check_failures, any = 0;
    MPI_Allreduce(&failures, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    if (any) fprintf(stderr, "rank %d: %d of %d checks failed here\n", world_rank, check_failures, check_count);
    return any ? 1 : 0;
}

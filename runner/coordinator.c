/* The coordinator: the only writer of the database. It hands trials to free workers one at a time,
 * commits every epoch a worker reports before acknowledging it, and records how each run ended.
 * While it waits it sleeps between non-blocking probes, so it does not keep a core busy (a blocking
 * MPI_Recv in Open MPI spins). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "sweep_run.h"
#include "trial.h"

typedef struct {
    Store *store;
    PendingTrial *trials;
    int trial_count, next, done;
    int verbose;
    SweepTally *tally;
    int64_t *run_of_rank;  /* [world_size] run each worker is training, or 0 */
} Coordinator;

static const PendingTrial *trial_of_run(const Coordinator *c, int64_t run_id) {
    for (int i = 0; i < c->trial_count; i++)
        if (c->trials[i].run_id == run_id) return &c->trials[i];
    return NULL;
}

static void report_store_error(const char *what, const char *err) {
    fprintf(stderr, "cohort: database: %s: %s\n", what, err);
}

static void log_epoch(const Coordinator *c, int64_t run_id, int rank, const EpochMetrics *m) {
    const PendingTrial *t = trial_of_run(c, run_id);
    printf("[run %lld %s] epoch %d: train loss %.4f top-1 %.2f%% | test loss %.4f top-1 %.2f%% top-5 %.2f%% | lr %.4g"
           " | %.0f img/s, %.1f s (rank %d)\n",
           (long long)run_id, t ? t->label : "", m->epoch, m->train_loss, m->train_top1, m->test_loss, m->test_top1,
           m->test_top5, m->lr, m->images_per_sec, m->wall_seconds, rank);
    fflush(stdout);
}

static void record_start(Coordinator *c, int64_t run_id, int rank, const char *host, int64_t params) {
    char err[ERR_LEN];
    if (store_run_started(c->store, run_id, rank, host, params, err)) report_store_error("run start", err);
}

static int record_epoch(Coordinator *c, int64_t run_id, int rank, const EpochMetrics *m) {
    char err[ERR_LEN];
    int rc = store_record_epoch(c->store, run_id, m, err);
    if (rc) report_store_error("epoch", err);
    log_epoch(c, run_id, rank, m);
    return rc;
}

static void record_end(Coordinator *c, int64_t run_id, int ending, const char *error) {
    char err[ERR_LEN];
    const char *status = ending == ENDED_FINISHED || ending == ENDED_STOPPED ? RUN_FINISHED : RUN_FAILED;
    if (store_run_ended(c->store, run_id, status, error, err)) report_store_error("run end", err);
    const PendingTrial *t = trial_of_run(c, run_id);
    if (!strcmp(status, RUN_FINISHED)) c->tally->finished++;
    else c->tally->failed++;
    c->done++;
    printf("[run %lld %s] %s%s%s (%d/%d trials done)\n", (long long)run_id, t ? t->label : "",
           ending == ENDED_DIVERGED ? "diverged" : status, error ? ": " : "", error ? error : "", c->done,
           c->trial_count);
    fflush(stdout);
}

/* ---- one rank: the coordinator trains the trials itself ---- */

typedef struct {
    Coordinator *c;
    int64_t run_id;
} LocalRun;

static void local_on_start(int64_t params, void *user) {
    LocalRun *r = user;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    record_start(r->c, r->run_id, 0, host, params);
}

static int local_on_epoch(const EpochMetrics *m, void *user) {
    LocalRun *r = user;
    return record_epoch(r->c, r->run_id, 0, m);
}

static void run_locally(Coordinator *c, int local_training_ranks) {
    DataCache cache = {0};
    for (; c->next < c->trial_count; c->next++) {
        PendingTrial *t = &c->trials[c->next];
        TrainConfig cfg;
        train_config_defaults(&cfg);
        char err[ERR_LEN] = "";
        const DataSplits *splits = NULL;
        TrainResult result = {.outcome = TRAIN_FAILED};
        int rc = trial_config_from_text(t->config_json, &cfg, err);
        if (!rc) rc = data_cache_get(&cache, &cfg, &splits, err);
        if (!rc) {
            cfg.threads = trial_threads(&cfg, local_training_ranks);
            LocalRun run = {c, t->run_id};
            TrainHooks hooks = {.on_start = local_on_start, .on_epoch = local_on_epoch, .user = &run};
            rc = train_run(&cfg, splits, &hooks, &result, err);
        }
        int ending = rc == 0 ? ENDED_FINISHED : result.outcome == TRAIN_DIVERGED ? ENDED_DIVERGED : ENDED_FAILED;
        record_end(c, t->run_id, ending, rc ? err : NULL);
    }
    data_cache_free(&cache);
}

/* ---- several ranks ---- */

static void hand_out(Coordinator *c, int rank) {
    if (c->next < c->trial_count) {
        PendingTrial *t = &c->trials[c->next++];
        Message m = {.run_id = t->run_id};
        c->run_of_rank[rank] = t->run_id;
        message_send(rank, TAG_TRIAL, &m, t->config_json);
        if (c->verbose) fprintf(stderr, "coordinator: run %lld -> rank %d\n", (long long)t->run_id, rank);
    } else {
        c->run_of_rank[rank] = 0;
        message_send(rank, TAG_SHUTDOWN, NULL, NULL);
    }
}

/* Waits for the next message without spinning: probe, and sleep a little longer each time nothing came
 * (1 ms up to 20 ms), which keeps the coordinator's CPU use negligible and adds at most 20 ms per message. */
static void wait_for_message(MPI_Status *status) {
    long sleep_us = 1000;
    for (;;) {
        int ready = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, status);
        if (ready) return;
        struct timespec ts = {0, sleep_us * 1000};
        nanosleep(&ts, NULL);
        if (sleep_us < 20000) sleep_us += sleep_us / 2;
    }
}

static void run_distributed(Coordinator *c, int world_size) {
    int active = world_size - 1; /* workers not yet shut down */
    while (active > 0) {
        MPI_Status status;
        wait_for_message(&status);
        Message m;
        char *text = NULL;
        message_receive(&status, &m, &text);
        int rank = status.MPI_SOURCE;
        switch (status.MPI_TAG) {
        case TAG_READY:
            hand_out(c, rank);
            if (c->run_of_rank[rank] == 0) active--;
            break;
        case TAG_STARTED: record_start(c, m.run_id, rank, text ? text : "", m.value); break;
        case TAG_EPOCH: {
            record_epoch(c, m.run_id, rank, &m.metrics);
            Message ack = {.run_id = m.run_id, .value = 0};
            message_send(rank, TAG_EPOCH_ACK, &ack, NULL);
            break;
        }
        case TAG_ENDED:
            record_end(c, m.run_id, (int)m.value, text);
            hand_out(c, rank);
            if (c->run_of_rank[rank] == 0) active--;
            break;
        default: fprintf(stderr, "cohort: coordinator: unexpected message tag %d from rank %d\n", status.MPI_TAG, rank);
        }
        free(text);
    }
}

int coordinator_run(Store *store, PendingTrial *trials, int trial_count, int world_size, int local_training_ranks,
                    int verbose, SweepTally *tally) {
    Coordinator c = {.store = store, .trials = trials, .trial_count = trial_count, .verbose = verbose, .tally = tally};
    c.run_of_rank = calloc((size_t)world_size, sizeof(int64_t));
    if (world_size == 1) run_locally(&c, local_training_ranks);
    else run_distributed(&c, world_size);
    free(c.run_of_rank);
    return tally->failed ? 1 : 0;
}

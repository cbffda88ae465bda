/* The coordinator's transport to worker ranks 1..P-1 over MPI (protocol.h). While it waits it sleeps
 * between non-blocking probes, so that the coordinator does not keep a core busy (a blocking MPI_Recv in
 * Open MPI spins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "transport.h"

typedef struct {
    Transport base; /* first: a Transport * is a MpiTransport * */
    const SweepOptions *opt;
    int sleep_ms;   /* the next idle pause: 1 ms after a report, growing to 20 ms while nothing comes */
} MpiTransport;

/* A data-parallel trial: each of the k workers gets "GROUP r1,...,rK\n" + the config and, in value, the tag
 * of the group's communicator; the first reports the trial. */
static void send_group_trial(MpiTransport *t, const int *workers, int k, int group_tag, const SweepTrialState *trial) {
    size_t size = strlen(GROUP_PREFIX) + (size_t)k * 12 + strlen(trial->config_json) + 2;
    char *text = malloc(size);
    if (!text) MPI_Abort(MPI_COMM_WORLD, 1);
    size_t at = (size_t)snprintf(text, size, "%s", GROUP_PREFIX);
    for (int i = 0; i < k; i++) at += (size_t)snprintf(text + at, size - at, "%s%d", i ? "," : "", workers[i]);
    snprintf(text + at, size - at, "\n%s", trial->config_json);
    Message m = {.run_id = trial->run_id, .value = group_tag};
    for (int i = 0; i < k; i++) message_send(workers[i], TAG_TRIAL, &m, text);
    if (t->opt->verbose)
        fprintf(stderr, "coordinator: run %lld -> ranks %s\n", (long long)trial->run_id, text + strlen(GROUP_PREFIX));
    free(text);
}

static void mpi_send_trial(Transport *base, const int *workers, int k, int group_tag, const SweepTrialState *trial) {
    MpiTransport *t = (MpiTransport *)base;
    if (k > 1) {
        send_group_trial(t, workers, k, group_tag, trial);
        return;
    }
    if (t->opt->verbose) fprintf(stderr, "coordinator: run %lld -> rank %d\n", (long long)trial->run_id, workers[0]);
    Message m = {.run_id = trial->run_id};
    message_send(workers[0], TAG_TRIAL, &m, trial->config_json);
}

static void mpi_send_ack(Transport *base, int worker, int64_t run_id, int verdict) {
    (void)base;
    Message ack = {.run_id = run_id, .value = verdict};
    message_send(worker, TAG_EPOCH_ACK, &ack, NULL);
}

static void mpi_send_preempt(Transport *base, int worker) {
    (void)base;
    message_send(worker, TAG_PREEMPT, NULL, NULL);
}

static void mpi_send_abort_group(Transport *base, int worker, int64_t run_id) {
    (void)base;
    Message m = {.run_id = run_id};
    message_send(worker, TAG_ABORT_GROUP, &m, NULL);
}

static void mpi_send_shutdown(Transport *base, int worker) {
    (void)base;
    message_send(worker, TAG_SHUTDOWN, NULL, NULL);
}

/* Worker ranks watch their own trainers. */
static void mpi_watch(Transport *base) { (void)base; }

static int mpi_poll(Transport *base, int max, TransportHandler handler, void *user) {
    (void)base;
    int handled = 0;
    while (handled < max) {
        int ready = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &status);
        if (!ready) break;
        Message m;
        char *text = NULL;
        message_receive(&status, &m, &text);
        /* A worker's first TAG_READY needs no answer of its own: every worker starts idle and is fed. */
        handler(user, status.MPI_SOURCE, status.MPI_TAG, &m, text);
        free(text);
        handled++;
    }
    return handled;
}

static void mpi_idle(Transport *base, int handled) {
    MpiTransport *t = (MpiTransport *)base;
    if (handled) {
        t->sleep_ms = 1;
        return;
    }
    struct timespec ts = {0, (long)t->sleep_ms * 1000000L};
    nanosleep(&ts, NULL);
    if (t->sleep_ms < 20) t->sleep_ms += 1 + t->sleep_ms / 2;
}

static void mpi_close(Transport *base) { free(base); }

Transport *transport_mpi_open(const SweepOptions *opt) {
    MpiTransport *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base = (Transport){.first_worker = 1, .end_worker = opt->world_size, .send_trial = mpi_send_trial,
                          .send_ack = mpi_send_ack, .send_preempt = mpi_send_preempt,
                          .send_abort_group = mpi_send_abort_group, .send_shutdown = mpi_send_shutdown,
                          .watch = mpi_watch, .poll = mpi_poll, .idle = mpi_idle, .close = mpi_close};
    t->opt = opt;
    t->sleep_ms = 1;
    return &t->base;
}

/* The coordinator's transport when it is the only rank: worker 0 is a trainer forked from the coordinator
 * (trial_process.h), fed and read directly, with no MPI between them. A trial that cannot start (bad config
 * or data, no fork) is reported like a worker's failure, through poll. */
#include <stdio.h>
#include <stdlib.h>

#include "transport.h"
#include "trial_process.h"

typedef struct {
    Transport base; /* first: a Transport * is a LocalTransport * */
    const SweepOptions *opt;
    TrialProcess trainer;
    DataCache cache;          /* datasets kept between trials that read the same data */
    int failed;               /* the trial could not start: report it as failed */
    char failure[ERR_LEN];
    int note;                 /* the trial's start left a note (trainer.note) to report */
} LocalTransport;

/* How long poll waits on the trainer's pipe for a first record, in ms. */
#define LOCAL_POLL_MS 20

static void local_send_trial(Transport *base, const int *workers, int k, int group_tag, const SweepTrialState *trial) {
    LocalTransport *t = (LocalTransport *)base;
    (void)k, (void)group_tag; /* one worker: never a data-parallel group */
    if (t->opt->verbose) fprintf(stderr, "coordinator: run %lld -> rank %d\n", (long long)trial->run_id, workers[0]);
    char path[4096], err[ERR_LEN] = "";
    checkpoint_path_for(t->opt, trial->run_id, path, sizeof path);
    if (trial_process_start(&t->trainer, trial->run_id, &trial->identity, path, &t->cache, t->opt->local_training_ranks,
                            err)) {
        t->trainer.running = false;
        t->trainer.run_id = trial->run_id;
        snprintf(t->failure, sizeof t->failure, "%s", err);
        t->failed = 1;
    } else {
        if (t->trainer.note[0]) t->note = 1;
        if (t->opt->verbose)
            fprintf(stderr, "coordinator: run %lld in process %d\n", (long long)trial->run_id, (int)t->trainer.pid);
    }
}

static void local_send_ack(Transport *base, int worker, int64_t run_id, int verdict) {
    (void)worker, (void)run_id;
    trial_process_ack(&((LocalTransport *)base)->trainer, verdict);
}

static void local_send_preempt(Transport *base, int worker) {
    (void)worker;
    trial_process_preempt(&((LocalTransport *)base)->trainer);
}

/* Never called: a group needs two workers. */
static void local_send_abort_group(Transport *base, int worker, int64_t run_id) { (void)base, (void)worker, (void)run_id; }

/* Nothing to tell: the trainer is started per trial. */
static void local_send_shutdown(Transport *base, int worker) { (void)base, (void)worker; }

static void local_watch(Transport *base) {
    LocalTransport *t = (LocalTransport *)base;
    if (trial_process_watch(&t->trainer, t->opt->stall_timeout, t->opt->grace_period) && t->opt->verbose)
        fprintf(stderr, "coordinator: run %lld: %s\n", (long long)t->trainer.run_id, t->trainer.kill_reason);
}

static int local_poll(Transport *base, int max, TransportHandler handler, void *user) {
    LocalTransport *t = (LocalTransport *)base;
    int handled = 0;
    if (t->failed) {
        Message end = {.run_id = t->trainer.run_id, .value = ENDED_FAILED};
        t->failed = 0;
        handler(user, 0, TAG_ENDED, &end, t->failure);
        return 1;
    }
    if (t->note) {
        Message note = {.run_id = t->trainer.run_id};
        t->note = 0;
        handler(user, 0, TAG_NOTE, &note, t->trainer.note);
        handled++;
    }
    ChildRecord r;
    while (handled < max && trial_process_read(&t->trainer, &r, handled ? 0 : LOCAL_POLL_MS)) {
        handler(user, 0, r.tag, &r.msg, r.text[0] ? r.text : NULL);
        if (r.tag == TAG_ENDED) trial_process_finish(&t->trainer);
        handled++;
    }
    return handled;
}

/* poll already waited on the pipe. */
static void local_idle(Transport *base, int handled) { (void)base, (void)handled; }

static void local_close(Transport *base) {
    LocalTransport *t = (LocalTransport *)base;
    data_cache_free(&t->cache);
    free(t);
}

Transport *transport_local_open(const SweepOptions *opt) {
    LocalTransport *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base = (Transport){.first_worker = 0, .end_worker = 1, .send_trial = local_send_trial,
                          .send_ack = local_send_ack, .send_preempt = local_send_preempt,
                          .send_abort_group = local_send_abort_group, .send_shutdown = local_send_shutdown,
                          .watch = local_watch, .poll = local_poll, .idle = local_idle, .close = local_close};
    t->opt = opt;
    return &t->base;
}

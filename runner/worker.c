/* A worker rank: runs each trial the coordinator hands it in a child process (trial_process.h), relays
 * the child's records to the coordinator and the coordinator's acknowledgements back, and survives the
 * child's death. It never blocks in MPI while waiting: it polls the child's pipe and probes MPI. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "sweep_run.h"
#include "trial_process.h"

volatile sig_atomic_t sweep_stop_requested = 0;
static void on_stop_signal(int sig) {
    (void)sig;
    sweep_stop_requested = 1;
}

void sweep_install_signal_handlers(void) {
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void checkpoint_path_for(const SweepOptions *options, int64_t run_id, char *out, size_t size) {
    snprintf(out, size, "%s/run-%lld.ckpt", options->checkpoint_dir, (long long)run_id);
}

void delete_unkept_checkpoints(const SweepOptions *options, int64_t run_id) {
    char path[4096], best[4200];
    checkpoint_path_for(options, run_id, path, sizeof path);
    kept_checkpoint_path(path, "best", 0, best, sizeof best);
    /* already gone when the directory is shared and another rank was first */
    if (!(options->keep_checkpoints & SWEEP_KEEP_LAST)) unlink(path);
    if (!(options->keep_checkpoints & SWEEP_KEEP_BEST)) unlink(best);
}

/* What the coordinator hears of the child: everything from a trial's only or first rank; from the other ranks
 * of a data-parallel group only that they are done with it. */
static void relay_record(const TrialProcess *tp, const ChildRecord *r) {
    if (tp->group_rank == 0) message_send(0, r->tag, &r->msg, r->text[0] ? r->text : NULL);
    else if (r->tag == TAG_ENDED) message_send(0, TAG_MEMBER_ENDED, &r->msg, r->text[0] ? r->text : NULL);
}

/* Polled while a collective waits: has the coordinator said that this trial's group lost a rank? */
static int group_aborted(void *user) {
    const TrialProcess *tp = user;
    int ready = 0;
    MPI_Status status;
    MPI_Iprobe(0, TAG_ABORT_GROUP, MPI_COMM_WORLD, &ready, &status);
    if (!ready) return 0;
    Message m;
    message_receive(&status, &m, NULL);
    return m.run_id == tp->run_id;
}

/* A TAG_TRIAL text "GROUP r1,...,rK\n{json}": the ranks (into ranks, at most max) and where the JSON starts.
 * Returns K, 0 for a plain trial (json = text), -1 when malformed. */
static int parse_group(const char *text, int *ranks, int max, const char **json) {
    *json = text;
    if (strncmp(text, GROUP_PREFIX, strlen(GROUP_PREFIX)) != 0) return 0;
    const char *p = text + strlen(GROUP_PREFIX);
    int k = 0;
    for (;;) {
        char *end;
        long r = strtol(p, &end, 10);
        if (end == p || r < 0 || k >= max) return -1;
        ranks[k++] = (int)r;
        if (*end == ',') p = end + 1;
        else if (*end == '\n') {
            *json = end + 1;
            return k;
        } else return -1;
    }
}

/* A finished, pruned or diverged run's checkpoints that keep_checkpoints does not keep are deleted once its
 * ending is committed. The coordinator deletes them in its own checkpoint directory, which is not this node's
 * when the directory is node-local, so the worker that wrote them deletes them too: when the coordinator's
 * next message for this worker arrives (a trial or the shutdown), which it sends only after committing the
 * batch that held the ending. Until then (a job killed before the commit) they stay for the resume.
 * `*pending` holds the run's id, or 0. */
static void remember_ended_checkpoint(int64_t *pending, const TrialProcess *tp, const ChildRecord *ended) {
    const int ending = (int)ended->msg.value;
    *pending = 0;
    if (tp->group_rank != 0) return; /* only a group's first rank writes them */
    if (ending == ENDED_FINISHED || ending == ENDED_STOPPED || ending == ENDED_DIVERGED) *pending = tp->run_id;
}

static void delete_ended_checkpoint(int64_t *pending, const SweepOptions *options) {
    if (*pending) delete_unkept_checkpoints(options, *pending);
    *pending = 0;
}

/* The communicator of a data-parallel group: every member calls this with the same ranks and tag. */
static MPI_Comm group_communicator(const int *ranks, int k, int tag) {
    MPI_Group world, group;
    MPI_Comm comm = MPI_COMM_NULL;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    MPI_Group_incl(world, k, ranks, &group);
    MPI_Comm_create_group(MPI_COMM_WORLD, group, tag, &comm);
    MPI_Group_free(&group);
    MPI_Group_free(&world);
    return comm;
}

void worker_run(const SweepOptions *options) {
    DataCache cache = {0};
    TrialProcess trial = {0};
    int preempt_sent = 0;
    long idle_sleep_us = 1000;
    int64_t ended_checkpoint = 0; /* remember_ended_checkpoint */
    mkdir(options->checkpoint_dir, 0777); /* node-local directories may not exist yet */
    message_send(0, TAG_READY, NULL, NULL);
    for (;;) {
        if (trial.running && trial_process_watch(&trial, options->stall_timeout, options->grace_period) &&
            options->verbose)
            fprintf(stderr, "worker: run %lld: %s\n", (long long)trial.run_id, trial.kill_reason);
        if (sweep_stop_requested && trial.running && !preempt_sent) {
            trial_process_preempt(&trial);
            preempt_sent = 1;
        }
        if (trial.running) {
            ChildRecord record;
            if (trial_process_read(&trial, &record, 10)) {
                if (record.tag == CHILD_COLLECTIVE) {
                    trial_process_collective(&trial, &record, options->stall_timeout, group_aborted, &trial);
                    continue;
                }
                relay_record(&trial, &record);
                if (record.tag == TAG_ENDED) {
                    remember_ended_checkpoint(&ended_checkpoint, &trial, &record);
                    trial_process_finish(&trial);
                }
                continue; /* more records may be waiting */
            }
        }
        int ready = 0;
        MPI_Status status;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &status);
        if (!ready) {
            if (!trial.running) {
                struct timespec ts = {0, idle_sleep_us * 1000};
                nanosleep(&ts, NULL);
                if (idle_sleep_us < 20000) idle_sleep_us += idle_sleep_us / 2;
            }
            continue;
        }
        idle_sleep_us = 1000;
        Message m;
        char *text = NULL;
        message_receive(&status, &m, &text);
        if (status.MPI_TAG == TAG_TRIAL || status.MPI_TAG == TAG_SHUTDOWN) delete_ended_checkpoint(&ended_checkpoint, options);
        if (status.MPI_TAG == TAG_SHUTDOWN) {
            free(text);
            break;
        }
        switch (status.MPI_TAG) {
        case TAG_TRIAL: {
            char path[4096], err[ERR_LEN] = "";
            if (trial.running) { /* a protocol error: never abandon a running trainer */
                fprintf(stderr, "cohort: worker: run %lld handed out while run %lld runs; refused\n",
                        (long long)m.run_id, (long long)trial.run_id);
                Message end = {.run_id = m.run_id, .value = ENDED_FAILED};
                message_send(0, TAG_ENDED, &end, "internal error: worker busy");
                break;
            }
            checkpoint_path_for(options, m.run_id, path, sizeof path);
            preempt_sent = 0;
            int ranks[4096];
            const char *json;
            const int k = parse_group(text ? text : "", ranks, 4096, &json);
            MPI_Comm group = k > 1 ? group_communicator(ranks, k, (int)m.value) : MPI_COMM_NULL;
            int world_rank;
            MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
            const int first = k <= 1 || ranks[0] == world_rank;
            if (k < 0) {
                err_set(err, "malformed data-parallel trial message");
            }
            TrialIdentity identity; /* the config, read once for this trial */
            trial_identity_from_text(&identity, k < 0 ? NULL : json);
            if (k < 0 || trial_process_start_in_group(&trial, m.run_id, &identity, path, &cache,
                                                      options->local_training_ranks, group, err)) {
                Message end = {.run_id = m.run_id, .value = ENDED_FAILED};
                message_send(0, first ? TAG_ENDED : TAG_MEMBER_ENDED, &end, err);
                if (group != MPI_COMM_NULL) MPI_Comm_free(&group);
            } else {
                if (trial.note[0]) {
                    Message note = {.run_id = m.run_id};
                    message_send(0, TAG_NOTE, &note, trial.note);
                }
                if (options->verbose) {
                    fprintf(stderr, "worker: run %lld in process %d\n", (long long)m.run_id, (int)trial.pid);
                    /* a line of its own: tests read the one above to its end */
                    fprintf(stderr, "worker: run %lld trains with %d threads\n", (long long)m.run_id, trial.threads);
                }
            }
            trial_identity_free(&identity); /* the trainer has its own copy */
            break;
        }
        case TAG_EPOCH_ACK: trial_process_ack(&trial, (int)m.value); break;
        case TAG_ABORT_GROUP:
            if (trial.running && trial.run_id == m.run_id)
                trial_process_abort(&trial, "another rank of its data-parallel group was lost; trainer killed");
            break;
        case TAG_PREEMPT:
            if (trial.running && !preempt_sent) {
                trial_process_preempt(&trial);
                preempt_sent = 1;
            }
            break;
        default: fprintf(stderr, "cohort: worker: unexpected message tag %d\n", status.MPI_TAG);
        }
        free(text);
    }
    data_cache_free(&cache);
}

int training_ranks_on_node(void) {
    MPI_Comm node;
    int world_rank, world_size, node_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &node_size);
    /* Is the coordinator (which sleeps while it waits) on this node? */
    int has_coordinator = world_rank == 0, any = 0;
    MPI_Allreduce(&has_coordinator, &any, 1, MPI_INT, MPI_MAX, node);
    MPI_Comm_free(&node);
    if (world_size == 1) return 1;
    return any ? node_size - 1 : node_size;
}

/* The coordinator: the only writer of the database. It hands trials to free workers one at a time,
 * commits what workers report in batched transactions and acknowledges an epoch only once it is
 * committed, records how each run ended, re-queues failed and lost runs up to max_retries, and drains
 * (checkpoint, commit, exit 3) on SIGTERM/SIGUSR1/SIGINT or before the time limit.
 * It reaches the workers through a transport (transport.h), chosen once at the start: MPI worker ranks, or,
 * with one rank, a child process of its own. */
#include <math.h>
#include <signal.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "job_hosts.h"
#include "monotonic_clock.h"
#include "progress.h"
#include "protocol.h"
#include "sweep_run.h"
#include "search.h"
#include "transport.h"

#define MAX_BATCH 64        /* messages committed in one transaction at most */
/* Seconds after the grace period that the coordinator still waits for workers to report a stop: the
 * workers kill their trainers at the grace period themselves, so only a worker rank that is itself frozen
 * or gone makes it give up (MPI_Abort; everything committed stays). */
#define DRAIN_MARGIN 60.0
#define EXIT_PREEMPTED_CODE 3 /* as cli.h EXIT_PREEMPTED */

/* Failpoints for the resilience tests: COHORT_FAULT="commit:N" kills this process (SIGKILL) inside the
 * N-th transaction that holds writes, before its COMMIT; "ended:N" right after the N-th run ending is
 * committed. Unset in normal use. ("freeze:R:E" is the trainer's failpoint, in trial_process.c.) */
typedef struct {
    char kind[16];
    int at, seen;
} Failpoint;

static Failpoint failpoint_from_env(void) {
    Failpoint f = {"", 0, 0};
    const char *spec = getenv("COHORT_FAULT");
    if (spec && sscanf(spec, "%15[a-z]:%d", f.kind, &f.at) != 2) f.kind[0] = '\0';
    return f;
}

static void failpoint_hit(Failpoint *f, const char *kind) {
    if (f->kind[0] && !strcmp(f->kind, kind) && ++f->seen == f->at) {
        fprintf(stderr, "cohort: COHORT_FAULT %s:%d: killing the coordinator\n", kind, f->at);
        fflush(NULL);
        raise(SIGKILL);
    }
}

typedef struct {
    int trial;              /* index into trials, -1 when idle */
    int shut_down;
} WorkerSlot;

typedef struct {
    int rank;
    int64_t run_id;
    int verdict; /* 1 = stop (early termination) */
} PendingAck;

typedef struct {
    Store *store;
    SweepTrialState *trials;
    int trial_count;
    const SweepOptions *opt;
    SweepTally *tally;
    Transport *transport;
    WorkerSlot *workers;    /* [transport->end_worker]; slots below transport->first_worker are not workers */
    PendingAck acks[MAX_BATCH];
    int64_t unlink_runs[MAX_BATCH]; /* checkpoints to delete once the batch is committed */
    int unlink_count;
    int ack_count;
    int draining;
    double start, drain_start;
    Progress progress;
    Failpoint fault;
    int endings_in_batch;
    int group_serial;       /* numbers the data-parallel groups formed (their MPI_Comm_create_group tag) */
} Coordinator;

static int trial_of_run(const Coordinator *c, int64_t run_id) {
    for (int i = 0; i < c->trial_count; i++)
        if (c->trials[i].run_id == run_id) return i;
    return -1;
}

static void store_error(const char *what, const char *err) { fprintf(stderr, "cohort: database: %s: %s\n", what, err); }

static int next_queued(const Coordinator *c) {
    for (int i = 0; i < c->trial_count; i++)
        if (c->trials[i].state == TRIAL_QUEUED) return i;
    return -1;
}

static int count_state(const Coordinator *c, int state) {
    int n = 0;
    for (int i = 0; i < c->trial_count; i++) n += (int)c->trials[i].state == state;
    return n;
}

/* ---- handing out trials (through the transport) ---- */

static void handle(Coordinator *c, int rank, int tag, const Message *m, const char *text);

/* The ranks a trial trains on: its config's ranks_per_trial (1 when absent). */
static int trial_ranks(const SweepTrialState *trial) { return trial->identity.ranks; }

/* Hands trial t to the k workers in workers[] (k > 1: a data-parallel group). */
static void send_trial(Coordinator *c, const int *workers, int k, int t) {
    SweepTrialState *trial = &c->trials[t];
    trial->state = TRIAL_RUNNING;
    int group_tag = 0;
    if (k > 1) { /* numbers the groups formed: their MPI_Comm_create_group tag */
        c->group_serial = c->group_serial % 30000 + 1;
        group_tag = c->group_serial;
    }
    for (int i = 0; i < k; i++) c->workers[workers[i]].trial = t;
    c->transport->send_trial(c->transport, workers, k, group_tag, trial);
}

/* A new trial from the random/bayes search, registered in the database: its index, or -1. */
static int propose(Coordinator *c) {
    if (!c->opt->search || c->trial_count >= c->opt->trial_capacity) return -1;
    SweepTrial proposal = {0};
    char err[ERR_LEN] = "";
    int r = search_next(c->opt->search, &proposal, err);
    if (r <= 0) {
        if (r < 0) progress_note(&c->progress, "cohort: search: %s", err);
        return -1;
    }
    TrialIdentity identity;
    trial_identity_from_json(&identity, sweep_run_config(c->opt->sweep, proposal.config)); /* the search checked it */
    char *json = cJSON_PrintUnformatted(identity.config);
    char status[16];
    int64_t run_id;
    if (store_upsert_run(c->store, c->opt->sweep_id, proposal.key, c->trial_count, json, identity.model,
                         identity.dataset, identity.seed, &run_id, status, err)) {
        store_error("new trial", err);
        cJSON_free(json);
        trial_identity_free(&identity);
        sweep_trial_clear(&proposal);
        return -1;
    }
    SweepTrialState *t = &c->trials[c->trial_count];
    memset(t, 0, sizeof *t);
    t->run_id = run_id;
    t->trial_index = c->trial_count;
    t->config_json = strdup(json);
    t->identity = identity;
    t->state = TRIAL_QUEUED;
    t->best = t->last_value = t->kept_best = NAN;
    snprintf(t->key, sizeof t->key, "%s", proposal.key);
    char *shown = cJSON_PrintUnformatted(proposal.config);
    snprintf(t->label, sizeof t->label, "%s", shown ? shown : "");
    free(shown);
    cJSON_free(json);
    sweep_trial_clear(&proposal);
    progress_set_count(&c->progress, c->trial_count + 1);
    return c->trial_count++;
}

/* Hands queued trials to idle workers, first come first served, each trial to as many idle workers as its
 * ranks_per_trial asks; a trial that does not fit yet waits while later ones that fit go ahead, so no worker
 * idles while something it could run is queued. Workers are shut down once nothing is left to do. */
static void assign(Coordinator *c) {
    const Transport *tr = c->transport;
    int idle[4096], n_idle = 0;
    for (int r = tr->first_worker; r < tr->end_worker && n_idle < 4096; r++)
        if (!c->workers[r].shut_down && c->workers[r].trial < 0) idle[n_idle++] = r;
    if (!n_idle) return;
    const int training_ranks = tr->end_worker - tr->first_worker;
    int waiting = 0; /* queued trials that need more ranks than are idle now */
    if (!c->draining) {
        for (int t = 0; t < c->trial_count && n_idle > 0; t++) {
            if (c->trials[t].state != TRIAL_QUEUED) continue;
            const int k = trial_ranks(&c->trials[t]);
            if (k > training_ranks) { /* never fits: said before the sweep starts; a search may propose it */
                char why[160];
                snprintf(why, sizeof why, "ranks_per_trial %d is more than the sweep's %d training ranks", k,
                         training_ranks);
                c->workers[idle[0]].trial = t;
                c->trials[t].state = TRIAL_RUNNING;
                Message end = {.run_id = c->trials[t].run_id, .value = ENDED_FAILED};
                c->trials[t].failures = c->opt->max_retries; /* no retry can help */
                handle(c, idle[0], TAG_ENDED, &end, why);
                return;
            }
            if (k > n_idle) {
                waiting++;
                continue;
            }
            send_trial(c, idle, k, t);
            memmove(idle, idle + k, sizeof(int) * (size_t)(n_idle - k));
            n_idle -= k;
        }
        /* a search proposes new trials while workers are free (one rank each, or as their config says) */
        while (n_idle > 0 && !waiting) {
            int t = propose(c);
            if (t < 0) break;
            const int k = trial_ranks(&c->trials[t]);
            if (k > n_idle) {
                waiting++;
                break;
            }
            send_trial(c, idle, k, t);
            memmove(idle, idle + k, sizeof(int) * (size_t)(n_idle - k));
            n_idle -= k;
        }
    }
    /* Keep idle workers while trials run (a lost one may be re-queued) or wait for ranks. */
    if (c->draining || (!waiting && count_state(c, TRIAL_RUNNING) == 0 && next_queued(c) < 0)) {
        for (int i = 0; i < n_idle; i++) {
            c->transport->send_shutdown(c->transport, idle[i]);
            c->workers[idle[i]].shut_down = 1;
        }
    }
}

/* ---- handling what workers report (inside the batch's transaction) ---- */

/* A note from the trial's start (a bad checkpoint set aside): on standard error now, and in the run's
 * error text from its start to its end. */
static void on_note(Coordinator *c, const Message *m, const char *text) {
    int t = trial_of_run(c, m->run_id);
    if (t < 0 || !text) return;
    SweepTrialState *trial = &c->trials[t];
    snprintf(trial->note, sizeof trial->note, "%s", text);
    progress_warn(&c->progress, "[run %lld %s] %s", (long long)m->run_id, trial->label, text);
    char err[ERR_LEN];
    if (store_run_note(c->store, m->run_id, text, err)) store_error("run note", err);
}

/* Where a data-parallel trial runs: each host of its ranks once, in rank order, joined by ',' ("h1,h3"). */
static void group_place(const Coordinator *c, int t, char *place, size_t size) {
    char seen[1024] = ""; /* the hosts so far, one per line, for job_hosts_has */
    size_t used = 0, seen_used = 0;
    place[0] = '\0';
    for (int r = c->transport->first_worker; r < c->transport->end_worker; r++) {
        char host[256];
        if (c->workers[r].trial != t || job_hosts_of_rank(c->opt->rank_hosts, r, host, sizeof host)) continue;
        if (job_hosts_has(seen, host) || used + strlen(host) + 2 > size || seen_used + strlen(host) + 2 > sizeof seen)
            continue;
        used += (size_t)snprintf(place + used, size - used, "%s%s", used ? "," : "", host);
        seen_used += (size_t)snprintf(seen + seen_used, sizeof seen - seen_used, "%s\n", host);
    }
}

static void on_started(Coordinator *c, int rank, const Message *m, const char *host) {
    char err[ERR_LEN];
    int resumed = m->metrics.epoch;
    int t = trial_of_run(c, m->run_id);
    char place[1024];
    if (t >= 0 && trial_ranks(&c->trials[t]) > 1 && c->opt->rank_hosts) {
        group_place(c, t, place, sizeof place);
        if (place[0]) host = place;
    }
    /* A run that starts over (resumed == 0) loses its committed epochs here, in the same transaction: its
     * epochs are always those of one line of training, re-trained ones replacing the old. */
    if (store_run_started(c->store, m->run_id, rank, host ? host : "", m->value, resumed, err))
        store_error("run start", err);
    if (t >= 0 && c->trials[t].note[0] && store_run_note(c->store, m->run_id, c->trials[t].note, err))
        store_error("run note", err);
    if (t >= 0) c->trials[t].epochs_done = resumed;
    if (t >= 0 && resumed == 0) c->trials[t].kept_best = NAN; /* the trainer deleted any earlier best copy */
    if (m->flops > 0 && store_run_flops(c->store, m->run_id, m->flops, err)) store_error("run FLOPs", err);
    if (resumed > 0) progress_note(&c->progress, "[run %lld %s] resumed after epoch %d from its checkpoint",
                                   (long long)m->run_id, t >= 0 ? c->trials[t].label : "", resumed);
}

static void on_epoch(Coordinator *c, int rank, const Message *m) {
    char err[ERR_LEN];
    if (store_record_epoch(c->store, m->run_id, &m->metrics, err)) store_error("epoch", err);
    int t = trial_of_run(c, m->run_id);
    if (t >= 0) {
        SweepTrialState *trial = &c->trials[t];
        if (m->metrics.epoch > trial->epochs_done) trial->epochs_done = m->metrics.epoch;
        double v = m->metrics.test_top1;
        if (isnan(trial->best) || v > trial->best) trial->best = v;
        if (m->value == 0) progress_epoch(&c->progress, trial, rank, &m->metrics); /* replays were shown before */
    }
    int verdict = 0;
    if (t >= 0 && c->opt->sweep) {
        SweepTrialState *trial = &c->trials[t];
        double value = sweep_epoch_metric(c->opt->sweep, &m->metrics);
        trial->last_value = value;
        /* The best epoch by the sweep's metric (the first of equals): its checkpoint is copied once committed.
         * Replayed epochs count too, so a resumed run compares with what its best copy holds. */
        if (!isnan(value) && (isnan(trial->kept_best) || sweep_better(c->opt->sweep, value, trial->kept_best))) {
            trial->kept_best = value;
            if (m->value == 0 && (c->opt->keep_checkpoints & SWEEP_KEEP_BEST)) verdict |= ACK_KEEP_BEST;
        }
        if (m->value == 0 && (c->opt->keep_checkpoints & SWEEP_KEEP_EPOCHS)) verdict |= ACK_KEEP_EPOCH;
        if (c->opt->stopper) {
            if (m->value != 0) stopper_record(c->opt->stopper, trial->key, m->metrics.epoch, value);
            else if (m->metrics.epoch < trial->identity.epochs &&
                     stopper_should_stop(c->opt->stopper, trial->key, m->metrics.epoch, value, trial->stop_reason))
                verdict |= ACK_STOP;
        }
    }
    if (m->value == 0 && c->ack_count < MAX_BATCH) c->acks[c->ack_count++] = (PendingAck){rank, m->run_id, verdict};
}

static const char *status_of(int ending) {
    switch (ending) {
    case ENDED_FINISHED: return RUN_FINISHED;
    case ENDED_STOPPED: return RUN_PRUNED;
    case ENDED_DIVERGED: return RUN_DIVERGED;
    case ENDED_LOST: return RUN_LOST;
    default: return RUN_FAILED;
    }
}

/* The others of a data-parallel group cannot go on without this rank: when a rank ends the trial without a
 * result (lost, failed), or the group's first rank ends it at all, the ranks still on it are told to stop. */
static void abort_group(Coordinator *c, int rank, int t, int ending, int first) {
    if (t < 0 || (!first && ending != ENDED_LOST && ending != ENDED_FAILED)) return;
    for (int r = c->transport->first_worker; r < c->transport->end_worker; r++)
        if (r != rank && c->workers[r].trial == t) c->transport->send_abort_group(c->transport, r, c->trials[t].run_id);
}

/* A rank of a data-parallel group, not its first, is done with the trial. */
static void on_member_ended(Coordinator *c, int rank, const Message *m, const char *text) {
    int t = trial_of_run(c, m->run_id);
    if (c->workers[rank].trial == t) {
        abort_group(c, rank, t, (int)m->value, 0);
        c->workers[rank].trial = -1;
    }
    if (t >= 0 && c->trials[t].state == TRIAL_RUNNING && (m->value == ENDED_LOST || m->value == ENDED_FAILED))
        progress_note(&c->progress, "[run %lld %s] rank %d of its group: %s", (long long)m->run_id,
                      c->trials[t].label, rank, text ? text : "ended without a result");
}

static void on_ended(Coordinator *c, int rank, const Message *m, const char *text) {
    char err[ERR_LEN];
    int t = trial_of_run(c, m->run_id);
    if (c->workers[rank].trial == t) abort_group(c, rank, t, (int)m->value, 1);
    c->workers[rank].trial = -1;
    if (t < 0) return;
    SweepTrialState *trial = &c->trials[t];
    int ending = (int)m->value;
    if (ending == ENDED_PREEMPTED) {
        trial->state = TRIAL_QUEUED;
        char note[ERR_LEN + 64];
        if (text) /* killed at the end of the grace period: the trainer's own checkpoint may be older */
            snprintf(note, sizeof note, "preempted during epoch %d: %s", trial->epochs_done + 1, text);
        else
            snprintf(note, sizeof note, "preempted during epoch %d; resumes from its checkpoint", trial->epochs_done + 1);
        if (store_run_requeued(c->store, m->run_id, note, err)) store_error("preempted run", err);
        c->tally->interrupted++;
        progress_note(&c->progress, "[run %lld %s] %s", (long long)m->run_id, trial->label, note);
        return;
    }
    const char *status = status_of(ending);
    c->endings_in_batch++;
    if (ending == ENDED_STOPPED && trial->stop_reason[0]) text = trial->stop_reason;
    char with_note[2 * ERR_LEN + 8];
    if (trial->note[0]) { /* the note stays in the run's record, after the ending's own text */
        snprintf(with_note, sizeof with_note, "%s%s%s", text ? text : "", text ? "; " : "", trial->note);
        text = with_note;
    }
    if (store_run_ended(c->store, m->run_id, status, text, err)) store_error("run end", err);
    if (c->opt->search) {
        SearchStatus s = ending == ENDED_FINISHED   ? SEARCH_FINISHED
                         : ending == ENDED_STOPPED  ? SEARCH_PRUNED
                         : ending == ENDED_DIVERGED ? SEARCH_DIVERGED
                                                    : SEARCH_FAILED;
        int retry = (ending == ENDED_FAILED || ending == ENDED_LOST) && trial->failures + 1 <= c->opt->max_retries;
        search_report(c->opt->search, trial->key, retry ? SEARCH_RUNNING : s, trial->epochs_done, trial->last_value);
    }
    if (ending == ENDED_FAILED || ending == ENDED_LOST) {
        trial->failures++;
        if (ending == ENDED_FAILED) c->tally->failed++;
        else c->tally->lost++;
        if (trial->failures <= c->opt->max_retries && !c->draining) {
            trial->state = TRIAL_QUEUED; /* retried, from its checkpoint when it has one */
            c->tally->retried++;
            progress_note(&c->progress, "[run %lld %s] %s: %s (retry %d of %d)", (long long)m->run_id, trial->label,
                          status, text ? text : "", trial->failures, c->opt->max_retries);
            return;
        }
    } else {
        if (ending == ENDED_FINISHED) c->tally->finished++;
        else if (ending == ENDED_STOPPED) c->tally->pruned++;
        else c->tally->diverged++;
        /* Deleted only after the ending is committed: a kill before the commit resumes from it. */
        if (c->unlink_count < MAX_BATCH) c->unlink_runs[c->unlink_count++] = m->run_id;
    }
    trial->state = TRIAL_DONE;
    progress_ended(&c->progress, trial, status, text);
}

/* A checkpoint the run leaves behind ("KIND PATH"), reported just before its ending: recorded when
 * keep_checkpoints keeps that kind (the others are deleted once the ending is committed). */
static void on_kept(Coordinator *c, const Message *m, const char *text) {
    char kind[16] = "";
    int at = 0;
    if (!text || sscanf(text, "%15s %n", kind, &at) != 1 || !text[at]) return;
    const int keep = c->opt->keep_checkpoints;
    const int kept = !strcmp(kind, "best") ? keep & SWEEP_KEEP_BEST
                     : !strcmp(kind, "last") ? keep & SWEEP_KEEP_LAST
                                             : keep & SWEEP_KEEP_EPOCHS;
    if (!kept) return;
    char err[ERR_LEN];
    const char *metric = c->opt->sweep ? c->opt->sweep->metric : "test_top1";
    if (store_record_checkpoint(c->store, m->run_id, kind, m->metrics.epoch, metric, text + at, m->value, err))
        store_error("kept checkpoint", err);
}

static void handle(Coordinator *c, int rank, int tag, const Message *m, const char *text) {
    switch (tag) {
    case TAG_READY: break;
    case TAG_STARTED: on_started(c, rank, m, text); break;
    case TAG_EPOCH: on_epoch(c, rank, m); break;
    case TAG_ENDED: on_ended(c, rank, m, text); break;
    case TAG_NOTE: on_note(c, m, text); break;
    case TAG_KEPT: on_kept(c, m, text); break;
    case TAG_MEMBER_ENDED: on_member_ended(c, rank, m, text); break;
    default: fprintf(stderr, "cohort: coordinator: unexpected message tag %d from rank %d\n", tag, rank);
    }
}

static void handle_report(void *user, int worker, int tag, const Message *m, const char *text) {
    handle(user, worker, tag, m, text);
}

static void start_draining(Coordinator *c, const char *why) {
    if (c->draining) return;
    c->draining = 1;
    c->drain_start = monotonic_seconds();
    progress_note(&c->progress, "cohort: %s: checkpointing running trials and stopping", why);
    for (int r = c->transport->first_worker; r < c->transport->end_worker; r++)
        if (c->workers[r].trial >= 0) c->transport->send_preempt(c->transport, r);
}

/* Runs that a job before this one left running on a host this job does not have (SweepTrialState.lost_host)
 * were lost with that node: each ends lost as if its worker had reported it, so it is retried within
 * max_retries, counted and shown like any lost trial. */
static void record_lost_hosts(Coordinator *c) {
    char err[ERR_LEN];
    int any = 0;
    for (int t = 0; t < c->trial_count; t++) any |= c->trials[t].lost_host[0] != '\0';
    if (!any) return;
    if (store_begin(c->store, err)) store_error("begin", err);
    for (int t = 0; t < c->trial_count; t++) {
        SweepTrialState *trial = &c->trials[t];
        if (!trial->lost_host[0] || trial->state != TRIAL_QUEUED) continue;
        char why[400];
        snprintf(why, sizeof why, "lost with its host %s: the job before this one was interrupted while the run was "
                 "there, and this job does not have %s", trial->lost_host, trial->lost_host);
        trial->state = TRIAL_RUNNING;
        Message end = {.run_id = trial->run_id, .value = ENDED_LOST};
        on_ended(c, 0, &end, why); /* slot 0 runs nothing here (rank 0 only coordinates, or its trainer is idle) */
    }
    if (store_commit(c->store, err)) {
        store_error("commit", err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

static int all_shut_down(const Coordinator *c) {
    for (int r = c->transport->first_worker; r < c->transport->end_worker; r++)
        if (!c->workers[r].shut_down) return 0;
    return 1;
}

int coordinator_run(Store *store, SweepTrialState *trials, int *trial_count, const SweepOptions *opt,
                    SweepTally *tally) {
    Coordinator c = {.store = store, .trials = trials, .trial_count = *trial_count, .opt = opt, .tally = tally};
    c.transport = opt->world_size > 1 ? transport_mpi_open(opt) : transport_local_open(opt);
    c.workers = c.transport ? calloc((size_t)c.transport->end_worker, sizeof(WorkerSlot)) : NULL;
    if (!c.workers) {
        fprintf(stderr, "cohort: coordinator: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int r = 0; r < c.transport->end_worker; r++) {
        c.workers[r].trial = -1;
        c.workers[r].shut_down = r < c.transport->first_worker; /* rank 0 only coordinates */
    }
    mkdir(opt->checkpoint_dir, 0777);
    c.start = monotonic_seconds();
    c.fault = failpoint_from_env();
    progress_init(&c.progress, trials, *trial_count, c.start, opt->progress);
    record_lost_hosts(&c);
    while (!all_shut_down(&c)) {
        if (sweep_stop_requested) start_draining(&c, "stop signal received");
        if (opt->time_limit > 0 && !c.draining) {
            double grace = fmin(300.0, fmax(10.0, 0.05 * opt->time_limit));
            if (monotonic_seconds() - c.start > opt->time_limit - grace) start_draining(&c, "time limit near");
        }
        if (c.draining && monotonic_seconds() - c.drain_start > opt->grace_period + DRAIN_MARGIN) {
            fprintf(stderr, "cohort: workers did not stop within %.0f s; aborting (their last epoch checkpoints remain)\n",
                    opt->grace_period + DRAIN_MARGIN);
            MPI_Abort(MPI_COMM_WORLD, EXIT_PREEMPTED_CODE);
        }
        c.transport->watch(c.transport);
        char err[ERR_LEN];
        if (store_begin(store, err)) store_error("begin", err);
        c.endings_in_batch = 0;
        int handled = c.transport->poll(c.transport, MAX_BATCH, handle_report, &c);
        if (handled) failpoint_hit(&c.fault, "commit");
        if (store_commit(store, err)) {
            store_error("commit", err);
            MPI_Abort(MPI_COMM_WORLD, 1); /* an unacknowledged epoch is retrained on resume; nothing is lost */
        }
        for (int i = 0; i < c.unlink_count; i++) delete_unkept_checkpoints(opt, c.unlink_runs[i]);
        c.unlink_count = 0;
        for (int i = 0; i < c.endings_in_batch; i++) failpoint_hit(&c.fault, "ended");
        for (int i = 0; i < c.ack_count; i++)
            c.transport->send_ack(c.transport, c.acks[i].rank, c.acks[i].run_id, c.acks[i].verdict);
        c.ack_count = 0;
        assign(&c);
        progress_update(&c.progress, monotonic_seconds());
        c.transport->idle(c.transport, handled);
    }
    progress_finish(&c.progress, monotonic_seconds());
    c.transport->close(c.transport);
    free(c.workers);
    *trial_count = c.trial_count; /* the search appended proposals; the caller frees them all */
    tally->interrupted = count_state(&c, TRIAL_QUEUED) + count_state(&c, TRIAL_RUNNING);
    if (c.draining && tally->interrupted) return EXIT_PREEMPTED_CODE;
    return tally->failed || tally->lost ? 1 : 0;
}

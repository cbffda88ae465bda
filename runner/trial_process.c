#define _GNU_SOURCE /* memfd_create */
#include "trial_process.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <stdlib.h>

#include "checkpoint.h"
#include "collectives_mpi.h"
#include "data_parallel.h"
#include "objective.h"

static double monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the child ---- */

static volatile sig_atomic_t child_preempt = 0;
static void on_preempt_signal(int sig) {
    (void)sig;
    child_preempt = 1;
}

typedef struct {
    int up, down;
    int64_t run_id;
    int resumed_epochs;
    int freeze_after_epoch; /* failpoint: stop this process after this epoch's acknowledgement (0 = never) */
    double last_beat;       /* when the last record went up (monotonic seconds) */
    /* data parallel: the buffer shared with the parent, which runs the collectives over MPI */
    int shared_fd;
    void *shared;
    size_t shared_bytes;
    Collectives collectives;
    const char *checkpoint_path; /* NULL: no checkpoints (objective trials, a group's other ranks) */
    const TrainResult *result;   /* the trainer's, for its FLOPs at the start */
} ChildLink;

/* Failpoint for the reliability tests: COHORT_FAULT="freeze:R:E" makes the trainer of run R stop itself
 * (SIGSTOP, as a frozen trainer would be) right after epoch E was committed and acknowledged, once: a
 * resumed trainer does not train epoch E again. Unset in normal use. */
static int freeze_epoch_for(int64_t run_id) {
    const char *spec = getenv("COHORT_FAULT");
    long long run = 0;
    int epoch = 0;
    if (spec && sscanf(spec, "freeze:%lld:%d", &run, &epoch) == 2 && run == run_id) return epoch;
    return 0;
}

static void send_record_full(ChildLink *link, int tag, const Message *msg, const char *text, uint64_t count) {
    ChildRecord r;
    memset(&r, 0, sizeof r);
    r.tag = tag;
    r.count = count;
    r.msg = *msg;
    r.msg.run_id = link->run_id;
    if (text) snprintf(r.text, sizeof r.text, "%s", text);
    const char *p = (const char *)&r;
    size_t left = sizeof r;
    link->last_beat = monotonic_seconds();
    while (left) {
        ssize_t n = write(link->up, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(3); /* parent gone */
        p += n;
        left -= (size_t)n;
    }
}

static void send_record(ChildLink *link, int tag, const Message *msg, const char *text) {
    send_record_full(link, tag, msg, text, 0);
}

static void send_record_counted(ChildLink *link, int tag, const Message *msg, uint64_t count) {
    send_record_full(link, tag, msg, NULL, count);
}

/* After every optimiser step: a progress record when the last record is a heartbeat interval old. */
static void child_on_step(void *user) {
    ChildLink *link = user;
    if (monotonic_seconds() - link->last_beat < TRIAL_HEARTBEAT_SECONDS) return;
    Message m = {0};
    send_record(link, CHILD_PROGRESS, &m, NULL);
}

static void child_on_resume(int epochs_done, const EpochMetrics *history, void *user) {
    ChildLink *link = user;
    link->resumed_epochs = epochs_done;
    for (int i = 0; i < epochs_done; i++) {
        Message m = {.value = 1, .metrics = history[i]};
        send_record(link, TAG_EPOCH, &m, NULL);
    }
}

static void child_on_start(int64_t params, void *user) {
    ChildLink *link = user;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    Message m = {.value = params, .metrics = {.epoch = link->resumed_epochs},
                 .flops = link->result ? link->result->forward_flops : 0};
    /* A run that starts over leaves no best copy of an earlier attempt behind to be taken for its own. */
    if (link->checkpoint_path && link->resumed_epochs == 0) {
        char best[4200];
        kept_checkpoint_path(link->checkpoint_path, "best", 0, best, sizeof best);
        unlink(best);
    }
    send_record(link, TAG_STARTED, &m, host);
}

/* Copies an epoch's checkpoint (src) to dst as checkpoints are written: dst.tmp, fsync'd, renamed over dst.
 * A failed copy is said on standard error and leaves dst as it was; the run goes on (its own checkpoint,
 * what resuming needs, is intact). */
static void copy_checkpoint(const char *src, const char *dst) {
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    FILE *in = fopen(src, "rb");
    FILE *out = in ? fopen(tmp, "wb") : NULL;
    int ok = in && out;
    char buf[1 << 16];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in) && fflush(out) == 0 && fsync(fileno(out)) == 0;
    const int e = errno;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    if (ok && rename(tmp, dst) == 0) return;
    fprintf(stderr, "cohort: keeping a copy of checkpoint %s as %s failed: %s\n", src, dst, strerror(e ? e : errno));
    unlink(tmp);
}

/* The checkpoints a finished, pruned or diverged run leaves behind, one TAG_KEPT record each ("KIND PATH",
 * size in value, the epoch its header holds in metrics.epoch); the coordinator keeps the ones its
 * keep_checkpoints asks for and deletes the others once the ending is committed. */
static void report_kept_checkpoints(ChildLink *link, int epochs) {
    if (!link->checkpoint_path) return;
    for (int e = -1; e <= epochs; e++) { /* -1: last, 0: best, then every epoch's */
        const char *kind = e < 0 ? "last" : e == 0 ? "best" : "epoch";
        char path[4200], real[4200], err[ERR_LEN], text[4300];
        if (e < 0) snprintf(path, sizeof path, "%s", link->checkpoint_path);
        else kept_checkpoint_path(link->checkpoint_path, kind, e, path, sizeof path);
        struct stat st;
        CheckpointInfo info;
        if (stat(path, &st) != 0 || checkpoint_info(path, &info, err) != 0 || info.epochs_done < 1) continue;
        if (!realpath(path, real)) snprintf(real, sizeof real, "%s", path);
        snprintf(text, sizeof text, "%s %s", kind, real);
        Message m = {.value = (int64_t)st.st_size, .metrics = {.epoch = info.epochs_done}};
        send_record(link, TAG_KEPT, &m, text);
    }
}

static int child_on_epoch(const EpochMetrics *metrics, void *user) {
    ChildLink *link = user;
    Message m = {.value = 0, .metrics = *metrics};
    send_record(link, TAG_EPOCH, &m, NULL);
    int32_t verdict = 0;
    for (;;) {
        ssize_t n = read(link->down, &verdict, sizeof verdict);
        if (n == sizeof verdict) break;
        if (n < 0 && errno == EINTR) continue;
        _exit(3); /* parent gone: nothing more can be recorded */
    }
    if (link->checkpoint_path && (verdict & (ACK_KEEP_BEST | ACK_KEEP_EPOCH))) {
        char copy[4200];
        if (verdict & ACK_KEEP_BEST) {
            kept_checkpoint_path(link->checkpoint_path, "best", 0, copy, sizeof copy);
            copy_checkpoint(link->checkpoint_path, copy);
        }
        if (verdict & ACK_KEEP_EPOCH) {
            kept_checkpoint_path(link->checkpoint_path, "epoch", metrics->epoch, copy, sizeof copy);
            copy_checkpoint(link->checkpoint_path, copy);
        }
    }
    if (link->freeze_after_epoch == metrics->epoch) raise(SIGSTOP);
    return (verdict & ACK_STOP) != 0;
}

/* A collective through the parent: the values go into the shared buffer, a CHILD_COLLECTIVE record asks for
 * the operation, and the parent answers 0 (the buffer holds the result) or -1 (the group broke). */
static int relay_collective(ChildLink *link, int op, void *values, size_t bytes, size_t count) {
    if (bytes > link->shared_bytes) {
        if (link->shared) munmap(link->shared, link->shared_bytes);
        link->shared = NULL;
        if (ftruncate(link->shared_fd, (off_t)bytes) != 0) return -1;
        void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, link->shared_fd, 0);
        if (map == MAP_FAILED) return -1;
        link->shared = map;
        link->shared_bytes = bytes;
    }
    memcpy(link->shared, values, bytes);
    Message m = {.value = op};
    send_record_counted(link, CHILD_COLLECTIVE, &m, count);
    int32_t answer = -1;
    for (;;) {
        ssize_t n = read(link->down, &answer, sizeof answer);
        if (n == sizeof answer) break;
        if (n < 0 && errno == EINTR) continue;
        _exit(3); /* parent gone */
    }
    if (answer != 0) return -1;
    memcpy(values, link->shared, bytes);
    return 0;
}

static int relay_max_i32(int32_t *values, size_t n, void *user) {
    return relay_collective(user, COLLECTIVE_MAX_I32, values, n * sizeof *values, n);
}

static int relay_sum_i64(int64_t *values, size_t n, void *user) {
    return relay_collective(user, COLLECTIVE_SUM_I64, values, n * sizeof *values, n);
}

static int ending_of(int rc, const TrainResult *r) {
    switch (r->outcome) {
    case TRAIN_FINISHED: return ENDED_FINISHED;
    case TRAIN_STOPPED: return ENDED_STOPPED;
    case TRAIN_PREEMPTED: return ENDED_PREEMPTED;
    case TRAIN_LOST: return ENDED_LOST;
    case TRAIN_DIVERGED: return ENDED_DIVERGED;
    default: return rc ? ENDED_FAILED : ENDED_FINISHED;
    }
}

static void run_child(ChildLink *link, TrainConfig *cfg, const DataSplits *data, const char *checkpoint_path) {
    struct sigaction sa = {.sa_handler = on_preempt_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the rank, which decides */
    TrainHooks hooks = {.on_start = child_on_start, .on_epoch = child_on_epoch, .on_resume = child_on_resume,
                        .on_step = child_on_step, .user = link, .checkpoint_path = checkpoint_path, .resume = checkpoint_path != NULL,
                        .preempt = &child_preempt, .collectives = link->collectives.size > 1 ? &link->collectives : NULL};
    TrainResult result = {0};
    char err[ERR_LEN] = "";
    link->checkpoint_path = checkpoint_path;
    link->result = &result;
    int rc = train_run(cfg, data, &hooks, &result, err);
    Message end = {.value = ending_of(rc, &result)};
    if (end.value == ENDED_FINISHED || end.value == ENDED_STOPPED || end.value == ENDED_DIVERGED)
        report_kept_checkpoints(link, result.epochs_done > cfg->epochs ? result.epochs_done : cfg->epochs);
    send_record(link, TAG_ENDED, &end, rc ? err : NULL);
    _exit(0);
}

/* An analytic objective (sweeps/objective.h) instead of training: one value per "epoch", reported and
 * acknowledged like a trainer's epochs, so search and early stopping run end to end in seconds. */
static void run_objective_child(ChildLink *link, const cJSON *config) {
    signal(SIGINT, SIG_IGN);
    int epochs = objective_epochs(config);
    Message start = {.value = 0};
    send_record(link, TAG_STARTED, &start, "");
    char err[ERR_LEN] = "";
    int ending = ENDED_FINISHED;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        double value;
        if (objective_evaluate(config, epoch, &value, err)) {
            ending = ENDED_FAILED;
            break;
        }
        EpochMetrics m;
        objective_epoch_metrics(epoch, value, &m);
        if (child_on_epoch(&m, link)) {
            ending = ENDED_STOPPED;
            break;
        }
    }
    Message end = {.value = ending};
    send_record(link, TAG_ENDED, &end, ending == ENDED_FAILED ? err : NULL);
    _exit(0);
}

/* ---- the parent ---- */

/* Open MPI binds each rank to one core when it starts at most two ranks per node (and to a socket above
 * that); a trainer's threads then share what its rank was bound to. Said once per rank, with the fix. */
static void warn_if_bound_tighter(int threads) {
    static int warned = 0;
    cpu_set_t set;
    if (warned || sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) >= threads) return;
    warned = 1;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    fprintf(stderr,
            "cohort: warning: a trainer on %s trains with %d threads but may run on %d CPU%s (its rank's binding): "
            "start mpirun with --bind-to none, or --map-by slot:PE=%d, to give each rank its cores\n",
            host, threads, CPU_COUNT(&set), CPU_COUNT(&set) > 1 ? "s" : "", threads);
}

/* A checkpoint that fails its check would fail every attempt to resume the run: rename it to
 * PATH.corrupt-N (the first unused N; kept for inspection) so that the run starts over. */
static void set_aside_bad_checkpoint(const char *path, uint64_t config_fingerprint, char note[ERR_LEN]) {
    char why[ERR_LEN], aside[4200];
    if (access(path, F_OK) != 0 || checkpoint_verify(path, config_fingerprint, why) == 0) return;
    for (int n = 1;; n++) {
        snprintf(aside, sizeof aside, "%s.corrupt-%d", path, n);
        if (access(aside, F_OK) != 0) break;
    }
    if (rename(path, aside) != 0)
        err_set(note, "%s; could not set it aside as %s: %s", why, aside, strerror(errno));
    else
        err_set(note, "%s; set aside as %s, the run restarts from its first epoch", why, aside);
}

int trial_process_start(TrialProcess *tp, int64_t run_id, const TrialIdentity *trial, const char *checkpoint_path,
                        DataCache *cache, int training_ranks_on_node, char err[ERR_LEN]) {
    return trial_process_start_in_group(tp, run_id, trial, checkpoint_path, cache, training_ranks_on_node,
                                        MPI_COMM_NULL, err);
}

int trial_process_start_in_group(TrialProcess *tp, int64_t run_id, const TrialIdentity *trial,
                                 const char *checkpoint_path, DataCache *cache, int training_ranks_on_node,
                                 MPI_Comm group, char err[ERR_LEN]) {
    memset(tp, 0, sizeof *tp);
    tp->run_id = run_id;
    tp->kill_ending = -1;
    tp->from_child = tp->to_child = -1;
    tp->shared_fd = -1;
    tp->group = group;
    tp->group_size = 1;
    if (group != MPI_COMM_NULL) {
        MPI_Comm_rank(group, &tp->group_rank);
        MPI_Comm_size(group, &tp->group_size);
        if (tp->group_rank > 0) checkpoint_path = NULL; /* the group's first rank keeps the checkpoint */
    }
    if (trial->error[0]) return err_set(err, "%s", trial->error);
    TrainConfig cfg = trial->train; /* its threads are this node's */
    const DataSplits *data = NULL;
    const int objective = trial->objective;
    if (!objective && data_cache_get(cache, &cfg, &data, err)) return -1;
    cfg.threads = trial_threads(&cfg, training_ranks_on_node);
    tp->threads = cfg.threads;
    warn_if_bound_tighter(cfg.threads);
    if (!objective && cfg.ranks_per_trial != tp->group_size)
        return err_set(err, "ranks_per_trial is %d but the trial was given %d ranks", cfg.ranks_per_trial,
                       tp->group_size);
    if (!objective && checkpoint_path) set_aside_bad_checkpoint(checkpoint_path, train_config_fingerprint(&cfg), tp->note);
    if (tp->group_size > 1 && (tp->shared_fd = memfd_create("cohort-collectives", MFD_CLOEXEC)) < 0)
        return err_set(err, "memfd_create: %s", strerror(errno));
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0)
        return err_set(err, "pipe: %s", strerror(errno)); /* out of descriptors: the run fails */
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(up[0]), close(up[1]), close(down[0]), close(down[1]);
        return err_set(err, "fork: %s", strerror(e));
    }
    if (pid == 0) {
        /* Die with the rank: an orphaned trainer must not go on writing checkpoints that a resumed sweep
         * is about to use. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(3);
        close(up[0]);
        close(down[1]);
        ChildLink link = {.up = up[1], .down = down[0], .run_id = run_id, .freeze_after_epoch = freeze_epoch_for(run_id),
                          .shared_fd = tp->shared_fd,
                          .collectives = {.rank = tp->group_rank, .size = tp->group_size, .max_i32 = relay_max_i32,
                                          .sum_i64 = relay_sum_i64}};
        link.collectives.user = &link;
        if (objective) run_objective_child(&link, trial->config);
        run_child(&link, &cfg, data, checkpoint_path);
    }
    close(up[1]);
    close(down[0]);
    tp->pid = pid;
    tp->from_child = up[0];
    tp->to_child = down[1];
    tp->running = true;
    tp->last_progress = monotonic_seconds();
    return 0;
}

/* Progress seen now: the gap since the last signal counts towards the slowest unless the child was waiting
 * for an acknowledgement (then the wait was the coordinator's, and the ack restarted the clock). */
static void note_progress(TrialProcess *tp) {
    double t = monotonic_seconds();
    if (!tp->awaiting_ack && t - tp->last_progress > tp->slowest_gap) tp->slowest_gap = t - tp->last_progress;
    tp->last_progress = t;
}

/* How the child ended, for a lost trial's message. Returns the signal that ended it, or 0. */
static int describe_exit(pid_t pid, char *out, size_t size) {
    int status = 0;
    pid_t r;
    do r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP) {
        snprintf(out, size, "trainer process hung up (its job is ending); resumes from its last checkpoint");
        return SIGHUP;
    }
    if (r < 0) snprintf(out, size, "trainer process vanished");
    else if (WIFSIGNALED(status))
        snprintf(out, size, "trainer process killed by signal %d (%s)%s", WTERMSIG(status), strsignal(WTERMSIG(status)),
                 WTERMSIG(status) == SIGKILL ? "; out of memory or killed" : "");
    else snprintf(out, size, "trainer process exited with code %d without reporting", WEXITSTATUS(status));
    return r >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int trial_process_read(TrialProcess *tp, ChildRecord *record, int timeout_ms) {
    if (!tp->running || tp->pid == 0) return 0;
    for (;;) {
        struct pollfd pfd = {.fd = tp->from_child, .events = POLLIN};
        int ready = poll(&pfd, 1, timeout_ms);
        if (ready <= 0) return 0;
        size_t got = 0;
        while (got < sizeof *record) {
            ssize_t n = read(tp->from_child, (char *)record + got, sizeof *record - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += (size_t)n;
        }
        if (got != sizeof *record) break;
        note_progress(tp);
        if (record->tag == CHILD_PROGRESS) {
            timeout_ms = 0; /* consumed here; return what else is waiting, if anything */
            continue;
        }
        if (record->tag == TAG_EPOCH && record->msg.value == 0) tp->awaiting_ack = true;
        return 1;
    }
    /* End of file before an ending: the child died, or was killed by trial_process_watch. */
    memset(record, 0, sizeof *record);
    record->tag = TAG_ENDED;
    record->msg.run_id = tp->run_id;
    record->msg.value = tp->kill_ending >= 0 ? tp->kill_ending : ENDED_LOST;
    if (tp->kill_ending >= 0) {
        snprintf(record->text, sizeof record->text, "%s", tp->kill_reason);
        int status;
        while (waitpid(tp->pid, &status, 0) < 0 && errno == EINTR) {
        }
    } else if (describe_exit(tp->pid, record->text, sizeof record->text) == SIGHUP) {
        /* The kernel hangs up a process group that loses its parent (mpirun killed) while a member is stopped:
         * the job is going away, the trial is not at fault. Ended like a stop: it resumes, not counted lost. */
        record->msg.value = ENDED_PREEMPTED;
    }
    tp->pid = 0;
    return 1;
}

void trial_process_ack(TrialProcess *tp, int verdict) {
    int32_t v = verdict;
    tp->awaiting_ack = false;
    tp->last_progress = monotonic_seconds();
    if (tp->running && write(tp->to_child, &v, sizeof v) != sizeof v) {
        /* the child is gone; its end of file will report it lost */
    }
}

void trial_process_preempt(TrialProcess *tp) {
    if (!tp->running || tp->pid <= 0) return;
    kill(tp->pid, SIGUSR1);
    if (tp->preempted_at == 0) tp->preempted_at = monotonic_seconds();
}

double trial_process_stall_limit(const TrialProcess *tp, double stall_timeout) {
    if (stall_timeout > 0) return stall_timeout;
    double derived = TRIAL_STALL_GAP_FACTOR * tp->slowest_gap;
    return derived > TRIAL_STALL_FLOOR_SECONDS ? derived : TRIAL_STALL_FLOOR_SECONDS;
}

int trial_process_watch(TrialProcess *tp, double stall_timeout, double grace_seconds) {
    if (!tp->running || tp->pid <= 0 || tp->kill_ending >= 0) return 0;
    double t = monotonic_seconds();
    if (tp->preempted_at > 0 && t - tp->preempted_at > grace_seconds) {
        tp->kill_ending = ENDED_PREEMPTED;
        snprintf(tp->kill_reason, sizeof tp->kill_reason,
                 "did not checkpoint within the %.0f s grace period after the stop; killed, resumes from its last "
                 "epoch checkpoint", grace_seconds);
    } else if (!tp->awaiting_ack && t - tp->last_progress > trial_process_stall_limit(tp, stall_timeout)) {
        tp->kill_ending = ENDED_LOST;
        snprintf(tp->kill_reason, sizeof tp->kill_reason,
                 "no progress for %.0f s (stall timeout %.0f s; slowest step or epoch gap seen %.1f s); trainer killed",
                 t - tp->last_progress, trial_process_stall_limit(tp, stall_timeout), tp->slowest_gap);
    } else {
        return 0;
    }
    /* A stopped process would take SIGKILL too; SIGCONT first so nothing waits on it in between. */
    kill(tp->pid, SIGCONT);
    kill(tp->pid, SIGKILL);
    return 1;
}

void trial_process_collective(TrialProcess *tp, const ChildRecord *record, double stall_timeout,
                              int (*abandon)(void *), void *user) {
    const int op = (int)record->msg.value;
    const size_t element = op == COLLECTIVE_MAX_I32 ? sizeof(int32_t) : sizeof(int64_t);
    const size_t bytes = (size_t)record->count * element;
    int32_t answer = -1;
    if (tp->group != MPI_COMM_NULL && !tp->group_broken && record->count <= (uint64_t)INT32_MAX) {
        if (bytes > tp->shared_bytes) {
            if (tp->shared) munmap(tp->shared, tp->shared_bytes);
            tp->shared = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, tp->shared_fd, 0);
            tp->shared_bytes = tp->shared == MAP_FAILED ? 0 : bytes;
            if (tp->shared == MAP_FAILED) tp->shared = NULL;
        }
        if (tp->shared) {
            answer = mpi_allreduce_polled(tp->shared, (int)record->count,
                                          op == COLLECTIVE_MAX_I32 ? MPI_INT32_T : MPI_INT64_T,
                                          op == COLLECTIVE_MAX_I32 ? MPI_MAX : MPI_SUM, tp->group,
                                          trial_process_stall_limit(tp, stall_timeout), abandon, user);
            if (answer) tp->group_broken = true;
        }
    }
    note_progress(tp); /* the wait was the group's, not a stall of this trainer */
    if (write(tp->to_child, &answer, sizeof answer) != sizeof answer) {
        /* the child is gone; its end of file reports it */
    }
}

void trial_process_abort(TrialProcess *tp, const char *reason) {
    if (!tp->running || tp->pid <= 0 || tp->kill_ending >= 0) return;
    tp->kill_ending = ENDED_LOST;
    snprintf(tp->kill_reason, sizeof tp->kill_reason, "%s", reason);
    kill(tp->pid, SIGCONT);
    kill(tp->pid, SIGKILL);
}

void trial_process_finish(TrialProcess *tp) {
    if (tp->pid > 0) {
        int status;
        while (waitpid(tp->pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    if (tp->from_child >= 0) close(tp->from_child);
    if (tp->to_child >= 0) close(tp->to_child);
    /* A collective left pending when the group broke (a lost rank) is abandoned, not cancelled (MPI cannot cancel
     * one): its buffer stays mapped, because the library may still write a partner's late data into it. One
     * buffer per broken group, for the life of the worker. */
    if (tp->shared && !tp->group_broken) munmap(tp->shared, tp->shared_bytes);
    if (tp->shared_fd >= 0) close(tp->shared_fd);
    tp->shared = NULL;
    tp->shared_fd = -1;
    /* its communicator, likewise, is abandoned, not freed */
    if (tp->group != MPI_COMM_NULL && !tp->group_broken) MPI_Comm_free(&tp->group);
    tp->group = MPI_COMM_NULL;
    tp->from_child = tp->to_child = -1;
    tp->pid = 0;
    tp->running = false;
}

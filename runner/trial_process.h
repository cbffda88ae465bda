/* A trial runs in a child process forked from its rank, so that a trial that crashes, is killed or runs
 * out of memory takes only itself down: the rank survives, reports the trial as `lost` and takes the
 * next one. The child inherits the rank's loaded datasets (copy-on-write) and talks to its parent over
 * two pipes: records (started, epochs, ended) up, epoch acknowledgements down. The child never calls MPI.
 *
 * Liveness: the trainer sends a progress record at most once a second from its training loop (one clock
 * read per mini-batch otherwise). The parent calls trial_process_watch regularly: a trainer that sent
 * nothing for the stall limit — not counting time it spends waiting for an epoch acknowledgement, which is
 * the coordinator's — is continued (SIGCONT, in case it is stopped) and killed (SIGKILL), and ends `lost`;
 * one asked to stop that has not ended within the grace period is killed the same way and ends preempted
 * (it resumes from its last epoch checkpoint). */
#ifndef COHORT_TRIAL_PROCESS_H
#define COHORT_TRIAL_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <mpi.h>

#include "protocol.h"
#include "trial.h"

/* ChildRecord.tag of a progress record: consumed by trial_process_read, never returned. */
#define CHILD_PROGRESS 1000
/* ChildRecord.tag of a data-parallel collective the child asks for (msg.value: COLLECTIVE_MAX_I32 or
 * COLLECTIVE_SUM_I64, count elements in the shared buffer); answered by trial_process_collective. */
#define CHILD_COLLECTIVE 1001
enum { COLLECTIVE_MAX_I32 = 1, COLLECTIVE_SUM_I64 = 2 };
/* At most one progress record per this many seconds. */
#define TRIAL_HEARTBEAT_SECONDS 1.0
/* The default stall limit: max(floor, factor × the longest gap seen so far between this trainer's progress
 * signals), so a trainer whose epochs end in a long evaluation is not mistaken for a stalled one. */
#define TRIAL_STALL_FLOOR_SECONDS 600.0
#define TRIAL_STALL_GAP_FACTOR 20.0

/* One record from the child. Small enough (< PIPE_BUF) to be written and read atomically. */
typedef struct {
    int tag;            /* TAG_STARTED, TAG_EPOCH, TAG_ENDED (or CHILD_PROGRESS, internal) */
    Message msg;        /* TAG_EPOCH: value 1 = replayed from a checkpoint (not to be acknowledged) */
    uint64_t count;     /* CHILD_COLLECTIVE: elements */
    char text[1536];    /* host name or error message */
} ChildRecord;

typedef struct {
    pid_t pid;
    int from_child, to_child;
    int64_t run_id;
    bool running;
    /* Liveness, in CLOCK_MONOTONIC seconds. */
    double last_progress;  /* last record from the child, or the last acknowledgement it was sent */
    double slowest_gap;    /* longest time between two progress signals so far */
    bool awaiting_ack;     /* the child reported an epoch and waits for its acknowledgement */
    double preempted_at;   /* when it was asked to stop; 0 = not asked */
    int kill_ending;       /* ENDED_LOST or ENDED_PREEMPTED once trial_process_watch killed it, else -1 */
    char kill_reason[512];
    /* What the start did that the run's record should say, or "": a checkpoint that failed its check was
     * renamed to PATH.corrupt-N and the run starts from its first epoch. */
    char note[ERR_LEN];
    /* A data-parallel trial: this rank's place in the group (0 = the one that reports), the group's
     * communicator, and the buffer shared with the child for its collectives (a memfd the child sizes). */
    int group_rank, group_size;
    MPI_Comm group;
    int shared_fd;
    void *shared;
    size_t shared_bytes;
    bool group_broken;  /* a collective failed: the communicator is not to be used or freed */
    int threads;        /* the trainer's engine threads: its config's, or the node's default (trial_threads) */
} TrialProcess;

/* Loads the trial's data (cached across trials) and forks the trainer (or the objective's evaluator).
 * checkpoint_path may be NULL. A checkpoint there that fails checkpoint_verify (corrupt, truncated, of another
 * version or made for other settings) is set aside first, so that it cannot fail every retry; tp->note says so.
 * Non-zero with err when the config (trial->error) or data is bad (nothing forked). */
int trial_process_start(TrialProcess *tp, int64_t run_id, const TrialIdentity *trial, const char *checkpoint_path,
                        DataCache *cache, int training_ranks_on_node, char err[ERR_LEN]);
/* The same for one rank of a data-parallel trial: group_rank of the ranks in `group` (MPI_COMM_NULL and 0
 * for a trial on one rank). Only group rank 0 reads or writes the checkpoint. */
int trial_process_start_in_group(TrialProcess *tp, int64_t run_id, const TrialIdentity *trial,
                                 const char *checkpoint_path, DataCache *cache, int training_ranks_on_node,
                                 MPI_Comm group, char err[ERR_LEN]);
/* Runs the collective a CHILD_COLLECTIVE record asks for over the group and answers the child. abandon is
 * polled while waiting (non-zero: give up, e.g. the coordinator says the group lost a rank); a collective
 * not done within the stall limit also fails. On failure the child is told, and its trial ends lost. */
void trial_process_collective(TrialProcess *tp, const ChildRecord *record, double stall_timeout,
                              int (*abandon)(void *), void *user);
/* Waits up to timeout_ms for a record. 1: a record; 0: nothing yet; when the child exits without saying
 * how it ended, a TAG_ENDED record with ENDED_LOST is synthesised and 1 returned. */
int trial_process_read(TrialProcess *tp, ChildRecord *record, int timeout_ms);
/* Answers an epoch: 0 go on, 1 stop. */
void trial_process_ack(TrialProcess *tp, int verdict);
/* Asks the child to checkpoint at the next batch boundary and end with ENDED_PREEMPTED. */
void trial_process_preempt(TrialProcess *tp);
/* The stall limit now: stall_timeout when > 0, else the default above. */
double trial_process_stall_limit(const TrialProcess *tp, double stall_timeout);
/* Kills a stalled trainer (no progress for the stall limit) or one asked to stop that has not ended within
 * grace_seconds; its ending (lost, or preempted) then comes through trial_process_read with the reason.
 * Returns 1 when it killed the trainer now. */
int trial_process_watch(TrialProcess *tp, double stall_timeout, double grace_seconds);
/* Kills the trainer now (another rank of its group was lost); it ends lost with `reason`. */
void trial_process_abort(TrialProcess *tp, const char *reason);
/* After the TAG_ENDED record: reaps the child and closes the pipes. */
void trial_process_finish(TrialProcess *tp);

#endif

/* A trial runs in a child process forked from its rank, so that a trial that crashes, is killed or runs
 * out of memory takes only itself down: the rank survives, reports the trial as `lost` and takes the
 * next one. The child inherits the rank's loaded datasets (copy-on-write) and talks to its parent over
 * two pipes: records (started, epochs, ended) up, epoch acknowledgements down. The child never calls MPI. */
#ifndef COHORT_TRIAL_PROCESS_H
#define COHORT_TRIAL_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"
#include "trial.h"

/* One record from the child. Small enough (< PIPE_BUF) to be written and read atomically. */
typedef struct {
    int tag;            /* TAG_STARTED, TAG_EPOCH or TAG_ENDED */
    Message msg;        /* TAG_EPOCH: value 1 = replayed from a checkpoint (not to be acknowledged) */
    char text[1536];    /* host name or error message */
} ChildRecord;

typedef struct {
    pid_t pid;
    int from_child, to_child;
    int64_t run_id;
    bool running;
    /* What the start did that the run's record should say, or "": a checkpoint that failed its check was
     * renamed to PATH.corrupt-N and the run starts from its first epoch. */
    char note[ERR_LEN];
} TrialProcess;

/* Parses the trial's config, loads its data (cached across trials) and forks the trainer.
 * checkpoint_path may be NULL. A checkpoint there that fails checkpoint_verify (corrupt, truncated, of another
 * version or made for other settings) is set aside first, so that it cannot fail every retry; tp->note says so.
 * Non-zero with err when the config or data is bad (nothing forked). */
int trial_process_start(TrialProcess *tp, int64_t run_id, const char *config_json, const char *checkpoint_path,
                        DataCache *cache, int training_ranks_on_node, char err[ERR_LEN]);
/* Waits up to timeout_ms for a record. 1: a record; 0: nothing yet; when the child exits without saying
 * how it ended, a TAG_ENDED record with ENDED_LOST is synthesised and 1 returned. */
int trial_process_read(TrialProcess *tp, ChildRecord *record, int timeout_ms);
/* Answers an epoch: 0 go on, 1 stop. */
void trial_process_ack(TrialProcess *tp, int verdict);
/* Asks the child to checkpoint at the next batch boundary and end with ENDED_PREEMPTED. */
void trial_process_preempt(TrialProcess *tp);
/* After the TAG_ENDED record: reaps the child and closes the pipes. */
void trial_process_finish(TrialProcess *tp);

#endif

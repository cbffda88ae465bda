/* The coordinator/worker protocol over MPI (rank 0 coordinates; ranks 1..P-1 train).
 *
 *   worker -> coordinator   TAG_READY     (no payload)          idle, send me a trial
 *   coordinator -> worker   TAG_TRIAL     run_id + config JSON   train this
 *   coordinator -> worker   TAG_SHUTDOWN  (no payload)          no more work: exit
 *   worker -> coordinator   TAG_STARTED   run_id, param_count, host
 *   worker -> coordinator   TAG_EPOCH     run_id + EpochMetrics  a finished epoch; the worker waits for
 *   coordinator -> worker   TAG_EPOCH_ACK verdict (0 go on, 1 stop) sent only after the epoch is committed
 *   worker -> coordinator   TAG_ENDED     run_id, ending, error text; also means "ready for the next trial"
 *   coordinator -> worker   TAG_PREEMPT   (no payload)          checkpoint at the next batch and end the trial
 *   worker -> coordinator   TAG_NOTE      run_id + text          something the run's record should say (a bad
 *                                                                checkpoint set aside); sent before TAG_STARTED
 *   worker -> coordinator   TAG_KEPT      run_id, size, epoch, "KIND PATH"   a checkpoint the run leaves behind,
 *                                                                sent just before TAG_ENDED of a finished, pruned
 *                                                                or diverged run (KIND best, last or epoch)
 *   worker -> coordinator   TAG_MEMBER_ENDED run_id, ending     a rank of a data-parallel group (not its first)
 *                                                                is done with the trial: ready for the next
 *   coordinator -> worker   TAG_ABORT_GROUP run_id              another rank of this trial's group was lost:
 *                                                                end the trial now (it ends lost, and is retried)
 *   A data-parallel trial (ranks_per_trial K > 1) goes to K idle workers at once: TAG_TRIAL's text is then
 *   "GROUP r1,r2,...,rK\n" followed by the config JSON, and `value` is the tag that the K workers give
 *   MPI_Comm_create_group; the group's first rank reports the trial like a single worker does.
 *   TAG_EPOCH_ACK's verdict is a set of ACK_* bits: stop, and which copies of the epoch's checkpoint to keep.
 *   TAG_STARTED carries the parameter count in `value`, the forward FLOPs per image in `flops` and, in metrics.epoch, the epochs a resumed run
 *   brought from its checkpoint (their metrics come first as TAG_EPOCH with value 1, not acknowledged).
 *
 * Every message is one MPI_BYTE buffer: a fixed Message header followed by an optional NUL-terminated
 * text (config JSON, host name or error message). */
#ifndef COHORT_PROTOCOL_H
#define COHORT_PROTOCOL_H

#include <mpi.h>
#include <stdint.h>

#include "metrics.h"

enum {
    TAG_READY = 1,
    TAG_TRIAL,
    TAG_SHUTDOWN,
    TAG_STARTED,
    TAG_EPOCH,
    TAG_EPOCH_ACK,
    TAG_ENDED,
    TAG_PREEMPT,
    TAG_NOTE,
    TAG_MEMBER_ENDED,
    TAG_ABORT_GROUP,
    TAG_KEPT,
};

/* TAG_EPOCH_ACK verdict bits. The copies are made by whoever wrote the checkpoint (the trial's only or first
 * rank, on its node), after the epoch was committed: PATH.best.ckpt and PATH.epoch-E.ckpt beside PATH. */
enum {
    ACK_STOP = 1,       /* early termination: end the run here */
    ACK_KEEP_BEST = 2,  /* this epoch is the run's best so far by the sweep's metric: copy it as the best */
    ACK_KEEP_EPOCH = 4, /* keep this epoch's checkpoint (keep_checkpoints: all) */
};

/* Run endings carried by TAG_ENDED. */
enum {
    ENDED_FINISHED = 0,
    ENDED_STOPPED = 1,   /* the coordinator's early-termination rule said stop: pruned */
    ENDED_DIVERGED = 2,
    ENDED_FAILED = 3,
    ENDED_PREEMPTED = 4, /* checkpointed mid-epoch on a signal or time limit: to be resumed */
    ENDED_LOST = 5,      /* the trainer process died */
};

typedef struct {
    int64_t run_id;
    int64_t value;        /* TAG_STARTED: parameter count; TAG_ENDED: ending; TAG_EPOCH_ACK: verdict */
    EpochMetrics metrics; /* TAG_EPOCH only */
    double flops;         /* TAG_STARTED: forward FLOPs per image */
} Message;

/* Sends header + text (text may be NULL). */
void message_send(int dest, int tag, const Message *header, const char *text);
/* Receives the message that MPI_Probe/Iprobe reported in `status`. *text (malloc'd, may be NULL) receives
 * the text part; the caller frees it. */
void message_receive(const MPI_Status *status, Message *header, char **text);

/* The prefix of a data-parallel TAG_TRIAL's text. */
#define GROUP_PREFIX "GROUP "

#endif

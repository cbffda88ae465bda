/* How the coordinator reaches the trainers: a transport carries trials, acknowledgements and stops to
 * workers and brings back what they report (protocol.h's messages). Two implementations, chosen once when
 * the sweep starts:
 *   transport_mpi_open    ranks 1..P-1 of MPI_COMM_WORLD, each a worker rank (worker.c) that runs its
 *                         trials in child processes; rank 0 only coordinates.
 *   transport_local_open  one rank alone (mpirun -np 1, or no mpirun): worker 0 is a child process of the
 *                         coordinator itself (trial_process.h), fed and read directly.
 * Workers are numbered by their world rank, first_worker .. end_worker - 1; that number is what the database
 * records as a run's rank. */
#ifndef COHORT_TRANSPORT_H
#define COHORT_TRANSPORT_H

#include <stdint.h>

#include "protocol.h"
#include "sweep_run.h"

/* One report from worker `worker` (TAG_STARTED, TAG_EPOCH, TAG_ENDED, ...); text may be NULL. */
typedef void (*TransportHandler)(void *user, int worker, int tag, const Message *m, const char *text);

typedef struct Transport Transport;
struct Transport {
    int first_worker, end_worker;
    /* Hands `trial` to the k workers in workers[] (k > 1: a data-parallel group; group_tag tells its members
     * which communicator they form). A trial that cannot start is reported back through poll as ended failed. */
    void (*send_trial)(Transport *t, const int *workers, int k, int group_tag, const SweepTrialState *trial);
    /* Answers worker's epoch of run_id once it is committed: a set of ACK_* bits. */
    void (*send_ack)(Transport *t, int worker, int64_t run_id, int verdict);
    /* Asks the worker to checkpoint its trial at the next batch and end it preempted. */
    void (*send_preempt)(Transport *t, int worker);
    /* Another rank of run_id's data-parallel group is gone: the worker ends the trial now. */
    void (*send_abort_group)(Transport *t, int worker, int64_t run_id);
    /* No more work for the worker. */
    void (*send_shutdown)(Transport *t, int worker);
    /* Kills trainers that stalled or outlived the grace period after a stop; their endings come through poll. */
    void (*watch)(Transport *t);
    /* Hands up to max reports that are waiting now to handler, one at a time; returns how many. May wait a
     * little for the first (the local transport waits on its child's pipe). */
    int (*poll)(Transport *t, int max, TransportHandler handler, void *user);
    /* After a round of the coordinator's loop in which poll handed over `handled` reports: a pause when
     * nothing came, so that waiting does not keep a core busy. */
    void (*idle)(Transport *t, int handled);
    void (*close)(Transport *t); /* frees the transport */
};

/* Both return NULL when out of memory. opt must outlive the transport. */
Transport *transport_mpi_open(const SweepOptions *opt);
Transport *transport_local_open(const SweepOptions *opt);

#endif

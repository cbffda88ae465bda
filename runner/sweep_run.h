/* `cohort sweep`: the coordinator (rank 0) and the workers (ranks 1..P-1). */
#ifndef COHORT_SWEEP_RUN_H
#define COHORT_SWEEP_RUN_H

#include <signal.h>
#include <stdint.h>

#include "store.h"
#include "sweeps.h"
#include "trial_identity.h"

/* One trial of the sweep and where it stands in this invocation. */
typedef struct {
    int64_t run_id;
    int trial_index;
    char *config_json;  /* owned: the config the run is given (to worker ranks, as text) */
    TrialIdentity identity; /* owned: that config, read once (planned epochs, ranks_per_trial, settings) */
    char label[256];    /* the trial's varying settings, for progress lines */
    int epochs_done;
    int failures;       /* times it ended failed or lost, over all invocations */
    enum { TRIAL_QUEUED, TRIAL_RUNNING, TRIAL_DONE } state;
    double best;        /* best value of the progress metric so far (NaN = none) */
    char key[17];       /* the trial's key (search and early stopping know trials by it) */
    double last_value;  /* the sweep's metric at the last epoch (NaN = none) */
    char stop_reason[256]; /* why early termination stopped it */
    char note[ERR_LEN];    /* kept in the run's error text to its end (a bad checkpoint set aside), or "" */
    /* The host a job before this one left it running on, when this job does not have that host (job_hosts.h):
     * the coordinator records it lost with its node before anything starts, and retries it within max_retries.
     * "" otherwise. */
    char lost_host[128];
    double kept_best;   /* the sweep's metric at the run's best epoch so far (its best checkpoint), NaN = none */
} SweepTrialState;

typedef enum { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_LINES } ProgressMode;

typedef struct {
    int world_size;
    ProgressMode progress;
    int local_training_ranks;   /* training ranks on this node (for the default thread count) */
    int verbose;
    int max_retries;            /* failed/lost trials are re-queued up to this many times */
    double time_limit;          /* seconds from start; 0 = none */
    double stall_timeout;       /* seconds without progress before a trainer is killed and its trial recorded
                                   lost; 0 = max(10 min, 20 x the trainer's slowest gap between progress signals) */
    double grace_period;        /* seconds a trainer gets to checkpoint after a stop before it is killed */
    const char *checkpoint_dir; /* per-run checkpoints (created if missing) */
    int keep_checkpoints;       /* SWEEP_KEEP_* bits: the checkpoints an ended run keeps (on every rank) */
    const char *rank_hosts;     /* every rank's host, one line per rank (job_hosts.h); NULL when unknown */
    /* The sweep (rank 0 only): random/bayes proposals come from `search` while workers are free, and
     * `stopper` applies early_terminate at every epoch. trials has room for trial_capacity entries. */
    const Sweep *sweep;
    struct Search *search;
    struct Stopper *stopper;
    int64_t sweep_id;
    int trial_capacity;
} SweepOptions;

typedef struct {
    int finished, pruned, diverged, failed, lost;  /* endings during this invocation */
    int skipped;                                   /* already ended before this invocation */
    int interrupted;                               /* trials left for a later invocation (signal, time limit) */
    int retried;                                   /* failed or lost endings that were re-queued */
} SweepTally;

/* Set by the signal handlers (SIGTERM, SIGUSR1, SIGINT): checkpoint, commit and exit. */
extern volatile sig_atomic_t sweep_stop_requested;
void sweep_install_signal_handlers(void);

/* Runs the queued trials: with world_size == 1 in a child of this process, otherwise by handing them to
 * ranks 1..world_size-1 one at a time. Only this function writes to the store. Returns the exit code.
 * *trial_count grows by the trials a search proposed (trials has room for options->trial_capacity); the
 * caller owns and frees every trial's config_json. */
int coordinator_run(Store *store, SweepTrialState *trials, int *trial_count, const SweepOptions *options,
                    SweepTally *tally);
/* A worker rank: trains trials until told to shut down. */
void worker_run(const SweepOptions *options);

/* Training ranks on this rank's node (all ranks on the node but the coordinator). Collective. */
int training_ranks_on_node(void);
/* checkpoint_dir/run-<id>.ckpt */
void checkpoint_path_for(const SweepOptions *options, int64_t run_id, char *out, size_t size);
/* Deletes, in this rank's checkpoint directory, the checkpoints of an ended (finished, pruned, diverged) run
 * that keep_checkpoints does not keep: its last (run-N.ckpt) and its best copy. Epoch copies exist only
 * when they are kept. */
void delete_unkept_checkpoints(const SweepOptions *options, int64_t run_id);

#endif

/* `cohort sweep`: the coordinator (rank 0) and the workers (ranks 1..P-1). */
#ifndef COHORT_SWEEP_RUN_H
#define COHORT_SWEEP_RUN_H

#include <stdint.h>

#include "store.h"
#include "sweeps.h"

/* One trial the coordinator still has to run. */
typedef struct {
    int64_t run_id;
    int trial_index;
    char *config_json;  /* owned */
    char label[256];    /* the trial's varying settings, for progress lines */
} PendingTrial;

typedef struct {
    int finished, failed;  /* trial endings during this invocation */
    int skipped;           /* already finished before this invocation */
} SweepTally;

/* Runs the pending trials: with world_size == 1 in this process, otherwise by handing them to ranks
 * 1..world_size-1 one at a time. Only this function writes to the store. */
int coordinator_run(Store *store, PendingTrial *trials, int trial_count, int world_size, int local_training_ranks,
                    int verbose, SweepTally *tally);
/* A worker rank: asks for trials until told to shut down. */
void worker_run(int verbose, int local_training_ranks);

/* Training ranks on this rank's node (all ranks on the node but the coordinator). Collective. */
int training_ranks_on_node(void);

#endif

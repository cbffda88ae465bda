/* A worker rank: trains the trials the coordinator hands it and streams each epoch back, waiting for the
 * acknowledgement (sent once the epoch is committed) before it goes on. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "sweep_run.h"
#include "trial.h"

typedef struct {
    int64_t run_id;
} WorkerRun;

static void on_start(int64_t param_count, void *user) {
    WorkerRun *run = user;
    char host[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPI_Get_processor_name(host, &len);
    Message m = {.run_id = run->run_id, .value = param_count};
    message_send(0, TAG_STARTED, &m, host);
}

static int on_epoch(const EpochMetrics *metrics, void *user) {
    WorkerRun *run = user;
    Message m = {.run_id = run->run_id, .metrics = *metrics};
    message_send(0, TAG_EPOCH, &m, NULL);
    MPI_Status status;
    MPI_Probe(0, TAG_EPOCH_ACK, MPI_COMM_WORLD, &status);
    Message ack;
    message_receive(&status, &ack, NULL);
    return ack.value != 0;
}

static int ending_of(int rc, const TrainResult *r) {
    if (rc == 0) return r->outcome == TRAIN_STOPPED ? ENDED_STOPPED : ENDED_FINISHED;
    return r->outcome == TRAIN_DIVERGED ? ENDED_DIVERGED : ENDED_FAILED;
}

void worker_run(int verbose, int local_training_ranks) {
    DataCache cache = {0};
    message_send(0, TAG_READY, NULL, NULL);
    for (;;) {
        MPI_Status status;
        MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
        Message m;
        char *config_json = NULL;
        message_receive(&status, &m, &config_json);
        if (status.MPI_TAG == TAG_SHUTDOWN) {
            free(config_json);
            break;
        }
        WorkerRun run = {.run_id = m.run_id};
        TrainConfig cfg;
        train_config_defaults(&cfg);
        char err[ERR_LEN] = "";
        TrainResult result = {.outcome = TRAIN_FAILED};
        const DataSplits *splits = NULL;
        int rc = trial_config_from_text(config_json ? config_json : "", &cfg, err);
        if (!rc) rc = data_cache_get(&cache, &cfg, &splits, err);
        if (!rc) {
            cfg.threads = trial_threads(&cfg, local_training_ranks);
            if (verbose) fprintf(stderr, "worker: run %lld with %d threads\n", (long long)run.run_id, cfg.threads);
            TrainHooks hooks = {.on_start = on_start, .on_epoch = on_epoch, .user = &run};
            rc = train_run(&cfg, splits, &hooks, &result, err);
        }
        Message end = {.run_id = run.run_id, .value = ending_of(rc, &result)};
        message_send(0, TAG_ENDED, &end, rc ? err : NULL);
        free(config_json);
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

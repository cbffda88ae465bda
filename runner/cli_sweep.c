/* cohort sweep: validate the sweep file and its data on rank 0, register the trials in the database,
 * then coordinate (rank 0) or train (other ranks). Bad input is found before anything is written. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "openblas_env.h"
#include "store.h"
#include "sweep_run.h"
#include "sweeps.h"
#include "trial.h"

static const char HELP[] =
    "usage: [mpirun -np P] cohort sweep FILE.yaml --db PATH [--verbose]\n"
    "\n"
    "Runs every trial of the sweep FILE and records each epoch in the SQLite database PATH.\n"
    "Rank 0 coordinates and is the only writer of PATH; ranks 1..P-1 train one trial at a time\n"
    "(with P = 1 rank 0 trains too). Trials already finished in PATH are not run again.\n"
    "Exit codes: 0 every trial finished, 1 some trial failed (the others still ran), 2 bad input.\n";

typedef struct {
    const char *file, *db;
    int verbose;
} SweepArgs;

static int parse_args(int argc, char **argv, SweepArgs *a, int rank) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            if (rank == 0) fputs(HELP, stdout);
            return -1;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            a->db = argv[++i];
        } else if (!strcmp(argv[i], "--verbose")) {
            a->verbose = 1;
        } else if (argv[i][0] != '-' && !a->file) {
            a->file = argv[i];
        } else {
            if (rank == 0) fprintf(stderr, "cohort sweep: unexpected argument '%s'\n\n%s", argv[i], HELP);
            return EXIT_BAD_INPUT;
        }
    }
    if (!a->file || !a->db) {
        if (rank == 0) fprintf(stderr, "cohort sweep: a sweep FILE and --db PATH are required\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    return 0;
}

/* Loads every distinct dataset the trials use once, so a missing or broken data file stops the sweep
 * before anything is written. */
static int check_data(const Sweep *sweep, char err[ERR_LEN]) {
    DataCache cache = {0};
    int rc = 0;
    for (int i = 0; i < sweep->trial_count && !rc; i++) {
        TrainConfig cfg;
        train_config_defaults(&cfg);
        const DataSplits *splits;
        char why[ERR_LEN];
        if (trial_config_from_json(sweep->trials[i].config, &cfg, why) || data_cache_get(&cache, &cfg, &splits, why)) {
            err_set(err, "%s: trial %d: %s", sweep->name, sweep->trials[i].index, why);
            rc = -1;
        }
    }
    data_cache_free(&cache);
    return rc;
}

/* "model=lenet lr=0.1": the settings that vary between the sweep's trials. */
static void trial_label(const Sweep *sweep, const SweepTrial *t, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    const cJSON *item;
    cJSON_ArrayForEach(item, t->config) {
        int varies = 0;
        for (int j = 0; j < sweep->trial_count && !varies; j++) {
            const cJSON *other = cJSON_GetObjectItemCaseSensitive(sweep->trials[j].config, item->string);
            varies = !other || !cJSON_Compare(item, other, 1);
        }
        if (!varies) continue;
        char *value = cJSON_PrintUnformatted(item);
        const char *shown = cJSON_IsString(item) ? item->valuestring : value;
        int n = snprintf(out + used, size - used, "%s%s=%s", used ? " " : "", item->string, shown);
        free(value);
        if (n < 0 || (size_t)n >= size - used) break;
        used += (size_t)n;
    }
    if (!used) snprintf(out, size, "trial %d", t->index);
}

/* Registers the sweep and its trials (one transaction) and lists those not finished yet. */
static int register_trials(Store *store, const Sweep *sweep, const char *file, PendingTrial **pending, int *count,
                           int *already_done, char err[ERR_LEN]) {
    *pending = calloc((size_t)sweep->trial_count + 1, sizeof(PendingTrial));
    *count = 0;
    *already_done = 0;
    int64_t sweep_id;
    if (store_begin(store, err)) return -1;
    if (store_upsert_sweep(store, sweep->name, sweep->spec_hash, sweep->spec_json, file, &sweep_id, err)) goto fail;
    for (int i = 0; i < sweep->trial_count; i++) {
        const SweepTrial *t = &sweep->trials[i];
        TrainConfig cfg;
        train_config_defaults(&cfg);
        if (trial_config_from_json(t->config, &cfg, err)) goto fail;
        char *json = cJSON_PrintUnformatted(t->config);
        char status[16] = "";
        int64_t run_id;
        if (store_upsert_run(store, sweep_id, t->key, t->index, json, cfg.model, cfg.dataset, cfg.seed, &run_id, status,
                             err)) {
            free(json);
            goto fail;
        }
        if (!strcmp(status, RUN_FINISHED)) {
            (*already_done)++;
            free(json);
            continue;
        }
        PendingTrial *p = &(*pending)[(*count)++];
        p->run_id = run_id;
        p->trial_index = t->index;
        p->config_json = json;
        trial_label(sweep, t, p->label, sizeof p->label);
    }
    return store_commit(store, err);
fail:
    store_rollback(store);
    return -1;
}

int cli_sweep(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    SweepArgs args;
    int status = parse_args(argc, argv, &args, rank);
    if (status) {
        MPI_Finalize();
        return status < 0 ? EXIT_OK : status;
    }
    if (rank == 0 && args.verbose) fprintf(stderr, "%s\n", openblas_core_note());

    Sweep sweep = {0};
    Store *store = NULL;
    PendingTrial *pending = NULL;
    int pending_count = 0, already_done = 0;
    char err[ERR_LEN] = "";
    if (rank == 0) {
        if (sweep_load(&sweep, args.file, err) || check_data(&sweep, err)) {
            fprintf(stderr, "cohort sweep: %s\n", err);
            status = EXIT_BAD_INPUT;
        } else if (store_open(&store, args.db, err) ||
                   register_trials(store, &sweep, args.file, &pending, &pending_count, &already_done, err)) {
            fprintf(stderr, "cohort sweep: %s: %s\n", args.db, err);
            status = EXIT_RUNTIME;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    int local_ranks = status ? 0 : training_ranks_on_node();

    SweepTally tally = {0};
    if (status == 0) {
        if (rank == 0) {
            printf("sweep %s: %d trials, %d already finished, %d to run on %d rank%s\n", sweep.name, sweep.trial_count,
                   already_done, pending_count, world_size, world_size > 1 ? "s" : "");
            fflush(stdout);
            status = coordinator_run(store, pending, pending_count, world_size, local_ranks, args.verbose, &tally);
            printf("sweep %s: %d finished, %d failed, %d already done; results in %s\n", sweep.name, tally.finished,
                   tally.failed, already_done, args.db);
        } else {
            worker_run(args.verbose, local_ranks);
        }
    }
    for (int i = 0; i < pending_count; i++) free(pending[i].config_json);
    free(pending);
    if (store) store_close(store);
    if (rank == 0) sweep_free(&sweep);
    MPI_Finalize();
    return status;
}

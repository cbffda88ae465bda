/* cohort sweep: validate the sweep file and its data on rank 0, register the trials in the database,
 * then coordinate (rank 0) or train (other ranks). Bad input is found before anything is written.
 * Running the same command again resumes: finished trials are skipped, interrupted ones continue from
 * their last checkpoint. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "openblas_env.h"
#include "spec_diff.h"
#include "store.h"
#include "sweep_run.h"
#include "sweeps.h"
#include "trial.h"

static const char HELP[] =
    "usage: [mpirun -np P] cohort sweep FILE.yaml --db PATH [options]\n"
    "\n"
    "Runs every trial of the sweep FILE and records each epoch in the SQLite database PATH.\n"
    "Rank 0 coordinates and is the only writer of PATH; ranks 1..P-1 train one trial at a time\n"
    "(with P = 1 rank 0 trains too). Running the same command again resumes the sweep: finished trials\n"
    "are skipped and interrupted ones continue from their last checkpoint.\n"
    "\n"
    "options:\n"
    "  --checkpoint-dir DIR  per-run checkpoints (default PATH.checkpoints; shared or node-local)\n"
    "  --keep-checkpoints    keep the checkpoints of ended runs (default: deleted when a run ends)\n"
    "  --max-retries N       re-queue a failed or lost trial up to N times (default 0)\n"
    "  --time-limit T        stop taking work and checkpoint before T (seconds, MM:SS or HH:MM:SS)\n"
    "  --allow-changed       accept a sweep file that changed since the database recorded it\n"
    "  --progress MODE       auto | bar | lines: a live status bar, or plain lines (default: a bar on a\n"
    "                        terminal, lines under mpirun, whose pseudo-terminal hides where output goes)\n"
    "  --verbose             more detail (OpenBLAS kernels, trial placement)\n"
    "\n"
    "On SIGTERM, SIGUSR1 or SIGINT every running trial checkpoints at its next batch, the coordinator\n"
    "commits, and cohort exits with code 3; run the same command to resume.\n"
    "Exit codes: 0 every trial ended (finished, pruned or diverged), 1 some trial failed or was lost\n"
    "(the others still ran), 2 bad input (nothing written), 3 stopped early (resume to continue).\n";

typedef struct {
    const char *file, *db;
    int allow_changed;
    char checkpoint_dir[4096];
    SweepOptions options;
} SweepArgs;

/* "3600", "90:00", "1:30:00" -> seconds; -1 when malformed. */
static double parse_duration(const char *text) {
    double parts[3];
    int n = 0;
    const char *p = text;
    while (n < 3) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0) return -1;
        parts[n++] = v;
        if (*end == '\0') break;
        if (*end != ':') return -1;
        p = end + 1;
    }
    double s = 0;
    for (int i = 0; i < n; i++) s = s * 60 + parts[i];
    return s > 0 ? s : -1;
}

static int parse_args(int argc, char **argv, SweepArgs *a, int rank) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (is_help(arg)) {
            if (rank == 0) fputs(HELP, stdout);
            return -1;
        } else if (!strcmp(arg, "--db") && value) {
            a->db = value, i++;
        } else if (!strcmp(arg, "--checkpoint-dir") && value) {
            snprintf(a->checkpoint_dir, sizeof a->checkpoint_dir, "%s", value), i++;
        } else if (!strcmp(arg, "--max-retries") && value) {
            char *end;
            long n = strtol(value, &end, 10);
            if (*end || n < 0 || n > 1000) {
                if (rank == 0) fprintf(stderr, "cohort sweep: --max-retries: expected 0..1000, got '%s'\n", value);
                return EXIT_BAD_INPUT;
            }
            a->options.max_retries = (int)n, i++;
        } else if (!strcmp(arg, "--time-limit") && value) {
            a->options.time_limit = parse_duration(value), i++;
            if (a->options.time_limit <= 0) {
                if (rank == 0) fprintf(stderr, "cohort sweep: --time-limit: expected seconds or [HH:]MM:SS, got '%s'\n", value);
                return EXIT_BAD_INPUT;
            }
        } else if (!strcmp(arg, "--progress") && value) {
            if (!strcmp(value, "bar")) a->options.progress = PROGRESS_BAR;
            else if (!strcmp(value, "lines")) a->options.progress = PROGRESS_LINES;
            else if (!strcmp(value, "auto")) a->options.progress = PROGRESS_AUTO;
            else {
                if (rank == 0) fprintf(stderr, "cohort sweep: --progress: expected auto, bar or lines, got '%s'\n", value);
                return EXIT_BAD_INPUT;
            }
            i++;
        } else if (!strcmp(arg, "--keep-checkpoints")) {
            a->options.keep_checkpoints = 1;
        } else if (!strcmp(arg, "--allow-changed")) {
            a->allow_changed = 1;
        } else if (!strcmp(arg, "--verbose")) {
            a->options.verbose = 1;
        } else if (arg[0] != '-' && !a->file) {
            a->file = arg;
        } else {
            if (rank == 0) fprintf(stderr, "cohort sweep: unexpected argument '%s'\n\n%s", arg, HELP);
            return EXIT_BAD_INPUT;
        }
    }
    if (!a->file || !a->db) {
        if (rank == 0) fprintf(stderr, "cohort sweep: a sweep FILE and --db PATH are required\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    if (!a->checkpoint_dir[0]) snprintf(a->checkpoint_dir, sizeof a->checkpoint_dir, "%s.checkpoints", a->db);
    a->options.checkpoint_dir = a->checkpoint_dir;
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

/* A sweep recorded before under this name must have the same specification, unless the change only adds
 * values to grid lists or --allow-changed says so. */
static int check_changed_spec(Store *store, const Sweep *sweep, int allow_changed, int *update, char err[ERR_LEN]) {
    char *recorded = NULL;
    *update = 0;
    if (store_sweep_spec(store, sweep->name, &recorded, err)) return -1;
    if (!recorded || !strcmp(recorded, sweep->spec_json)) {
        free(recorded);
        return 0;
    }
    static char diff[8192];
    int breaking = 0;
    spec_diff(recorded, sweep->spec_json, diff, sizeof diff, &breaking);
    free(recorded);
    *update = 1;
    if (breaking && !allow_changed) {
        err_set(err, "sweep '%s' changed since the database recorded it:\n%s"
                     "run with --allow-changed to accept the new file (finished trials are kept and not rerun), "
                     "or use another sweep name or database",
                sweep->name, diff);
        return 2;
    }
    printf("sweep %s: the file changed since the last run:\n%s", sweep->name, diff);
    return 0;
}

/* Registers the sweep and its trials (one transaction) and decides what this invocation runs:
 * pending and interrupted ("running" after a killed job) trials, and failed or lost ones with retries left. */
static int register_trials(Store *store, const Sweep *sweep, const SweepArgs *args, SweepTrialState **trials,
                           int *count, int *skipped, char err[ERR_LEN]) {
    *trials = calloc((size_t)sweep->trial_count + 1, sizeof(SweepTrialState));
    *count = 0;
    *skipped = 0;
    int64_t sweep_id;
    int update_spec = 0;
    int rc = check_changed_spec(store, sweep, args->allow_changed, &update_spec, err);
    if (rc) return rc;
    if (store_begin(store, err)) return -1;
    if (store_upsert_sweep(store, sweep->name, sweep->spec_hash, sweep->spec_json, args->file, &sweep_id, err)) goto fail;
    if (update_spec && store_set_sweep_spec(store, sweep_id, sweep->spec_hash, sweep->spec_json, err)) goto fail;
    for (int i = 0; i < sweep->trial_count; i++) {
        const SweepTrial *t = &sweep->trials[i];
        TrainConfig cfg;
        train_config_defaults(&cfg);
        if (trial_config_from_json(t->config, &cfg, err)) goto fail;
        char *json = cJSON_PrintUnformatted(t->config);
        char status[16] = "";
        int64_t run_id;
        int failures = 0;
        if (store_upsert_run(store, sweep_id, t->key, t->index, json, cfg.model, cfg.dataset, cfg.seed, &run_id, status,
                             err) ||
            store_run_failures(store, run_id, &failures, err)) {
            free(json);
            goto fail;
        }
        int ended = !strcmp(status, RUN_FINISHED) || !strcmp(status, RUN_PRUNED) || !strcmp(status, RUN_DIVERGED);
        int retry_exhausted = (!strcmp(status, RUN_FAILED) || !strcmp(status, RUN_LOST)) &&
                              failures > args->options.max_retries;
        if (ended || retry_exhausted) {
            (*skipped)++;
            free(json);
            continue;
        }
        SweepTrialState *p = &(*trials)[(*count)++];
        p->run_id = run_id;
        p->trial_index = t->index;
        p->config_json = json;
        p->epochs = cfg.epochs;
        p->failures = failures;
        p->state = TRIAL_QUEUED;
        p->best = NAN;
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
    sweep_install_signal_handlers();

    SweepArgs args;
    int status = parse_args(argc, argv, &args, rank);
    if (status) {
        MPI_Finalize();
        return status < 0 ? EXIT_OK : status;
    }
    args.options.world_size = world_size;
    if (rank == 0 && args.options.verbose) fprintf(stderr, "%s\n", openblas_core_note());

    Sweep sweep = {0};
    Store *store = NULL;
    SweepTrialState *trials = NULL;
    int trial_count = 0, skipped = 0;
    char err[ERR_LEN] = "";
    if (rank == 0) {
        if (sweep_load(&sweep, args.file, err) || check_data(&sweep, err)) {
            fprintf(stderr, "cohort sweep: %s\n", err);
            status = EXIT_BAD_INPUT;
        } else if (store_open(&store, args.db, err)) {
            fprintf(stderr, "cohort sweep: %s: %s\n", args.db, err);
            status = EXIT_RUNTIME;
        } else {
            int rc = register_trials(store, &sweep, &args, &trials, &trial_count, &skipped, err);
            if (rc) {
                fprintf(stderr, "cohort sweep: %s: %s\n", args.db, err);
                status = rc == 2 ? EXIT_BAD_INPUT : EXIT_RUNTIME;
            }
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    args.options.local_training_ranks = status ? 0 : training_ranks_on_node();

    SweepTally tally = {0};
    if (status == 0) {
        if (rank == 0) {
            printf("sweep %s: %d trials, %d already ended, %d to run on %d rank%s\n", sweep.name, sweep.trial_count,
                   skipped, trial_count, world_size, world_size > 1 ? "s" : "");
            fflush(stdout);
            double wall0 = MPI_Wtime();
            status = coordinator_run(store, trials, trial_count, &args.options, &tally);
            struct rusage usage;
            getrusage(RUSAGE_SELF, &usage); /* the coordinator alone: trainers are other processes */
            double cpu = (double)usage.ru_utime.tv_sec + 1e-6 * (double)usage.ru_utime.tv_usec +
                         (double)usage.ru_stime.tv_sec + 1e-6 * (double)usage.ru_stime.tv_usec;
            double wall = MPI_Wtime() - wall0;
            printf("coordinator: %.2f s CPU over %.1f s wall (%.2f%% of one core), including setup\n", cpu, wall,
                   wall > 0 ? 100.0 * cpu / wall : 0.0);
            printf("sweep %s: %d finished, %d pruned, %d diverged, %d failed, %d lost, %d already ended, %d left for a "
                   "later run; results in %s\n",
                   sweep.name, tally.finished, tally.pruned, tally.diverged, tally.failed, tally.lost, skipped,
                   tally.interrupted, args.db);
        } else {
            worker_run(&args.options);
        }
    }
    for (int i = 0; i < trial_count; i++) free(trials[i].config_json);
    free(trials);
    if (store) store_close(store);
    if (rank == 0) sweep_free(&sweep);
    MPI_Finalize();
    return status;
}

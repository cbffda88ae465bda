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
#include "job_hosts.h"
#include "openblas_env.h"
#include "spec_diff.h"
#include "store.h"
#include "sweep_claim.h"
#include "sweep_run.h"
#include "sweeps.h"
#include "search.h"
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
    "  --keep-checkpoints    keep every checkpoint of ended runs: best, last and each epoch's (keep_checkpoints:\n"
    "                        all; default: the file's keep_checkpoints, or best and last)\n"
    "  --dry-run             print the trials (grid) or the space and budget (random, bayes); run nothing\n"
    "  --max-retries N       re-queue a failed or lost trial up to N times (default: the file's max_retries, or 0)\n"
    "  --time-limit T        stop taking work and checkpoint before T: SECONDS, MM:SS, HH:MM:SS or D-HH:MM:SS\n"
    "                        (as Slurm's --time, but a bare number is seconds)\n"
    "  --stall-timeout T     kill a trainer that makes no progress for T and record its trial lost (default:\n"
    "                        the larger of 10 min and 20 x the trainer's slowest gap between progress signals;\n"
    "                        trainers signal after each mini-batch, at most once a second)\n"
    "  --grace-period T      after a stop signal or before the time limit, kill trainers that have not\n"
    "                        checkpointed within T (default 60 s); their trials resume from the last epoch\n"
    "  --allow-changed       accept a sweep file that changed since the database recorded it\n"
    "  --progress MODE       auto | bar | lines: a live status bar, or plain lines (default: a bar on a\n"
    "                        terminal, lines under mpirun, whose pseudo-terminal hides where output goes)\n"
    "  --verbose             more detail (OpenBLAS kernels, trial placement)\n"
    "\n"
    "On SIGTERM, SIGUSR1 or SIGINT every running trial checkpoints at its next batch (a trainer that has not\n"
    "done so within --grace-period is killed and resumes from its last epoch), the coordinator commits, and\n"
    "cohort exits with code 3; run the same command to resume.\n"
    "While it runs the sweep holds an exclusive lock on PATH.lock and DIR/cohort.lock: another sweep on the\n"
    "same database or checkpoint directory is refused (exit code 2) and writes nothing.\n"
    "Exit codes, from the sweep's trials as the database holds them at the end (this run's and earlier\n"
    "runs' results alike): 0 every trial ended (finished, pruned or diverged), 1 some trial failed or was\n"
    "lost and no retry finished it (the others still ran), 2 bad input or the database in use by another\n"
    "sweep (nothing written), 3 stopped early (resume to continue).\n";

typedef struct {
    const char *file, *db;
    int allow_changed, dry_run, max_retries_given;
    char checkpoint_dir[4096];
    SweepOptions options;
} SweepArgs;

/* Digits at p into *v; the end of them, or NULL when there are none (or absurdly many). */
static const char *read_digits(const char *p, long long *v) {
    const char *start = p;
    *v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (*v > 1000000000000LL) return NULL;
        *v = *v * 10 + (*p - '0');
    }
    return p == start ? NULL : p;
}

/* Slurm's forms: "3600" (seconds), "90:00" (MM:SS), "1:30:00" (HH:MM:SS), "2-12:00:00" (D-HH:MM:SS) ->
 * seconds. The first field may be any size; minutes and seconds after it are below 60, hours after D-
 * below 24. -1 when malformed or zero. */
static double parse_duration(const char *text) {
    long long days = -1, field[3];
    int n = 0;
    const char *p = text, *dash = strchr(text, '-');
    if (dash) {
        p = read_digits(text, &days);
        if (p != dash) return -1;
        p = dash + 1;
    }
    for (;;) {
        if (n == 3 || !(p = read_digits(p, &field[n]))) return -1;
        n++;
        if (*p == '\0') break;
        if (*p++ != ':') return -1;
    }
    if (days >= 0 && (n != 3 || field[0] >= 24)) return -1;
    for (int i = 1; i < n; i++)
        if (field[i] >= 60) return -1;
    double seconds = days > 0 ? (double)days * 86400 : 0, rest = 0;
    for (int i = 0; i < n; i++) rest = rest * 60 + (double)field[i];
    seconds += rest;
    return seconds > 0 ? seconds : -1;
}

#define DEFAULT_GRACE_SECONDS 60.0

static int parse_args(int argc, char **argv, SweepArgs *a, int rank) {
    memset(a, 0, sizeof *a);
    a->options.grace_period = DEFAULT_GRACE_SECONDS;
    a->options.keep_checkpoints = -1; /* the file's keep_checkpoints, or SWEEP_KEEP_DEFAULT */
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
            a->max_retries_given = 1;
        } else if (!strcmp(arg, "--time-limit") && value) {
            a->options.time_limit = parse_duration(value), i++;
            if (a->options.time_limit <= 0) {
                if (rank == 0)
                    fprintf(stderr,
                            "cohort sweep: --time-limit: expected SECONDS, MM:SS, HH:MM:SS or D-HH:MM:SS (minutes and "
                            "seconds below 60 after the first field, hours below 24 after D-), got '%s'\n",
                            value);
                return EXIT_BAD_INPUT;
            }
        } else if ((!strcmp(arg, "--stall-timeout") || !strcmp(arg, "--grace-period")) && value) {
            double seconds = parse_duration(value);
            if (seconds <= 0) {
                if (rank == 0) fprintf(stderr, "cohort sweep: %s: expected seconds or [HH:]MM:SS, got '%s'\n", arg, value);
                return EXIT_BAD_INPUT;
            }
            if (!strcmp(arg, "--stall-timeout")) a->options.stall_timeout = seconds;
            else a->options.grace_period = seconds;
            i++;
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
            a->options.keep_checkpoints = SWEEP_KEEP_ALL;
        } else if (!strcmp(arg, "--dry-run")) {
            a->dry_run = 1;
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
    if (!a->file || (!a->db && !a->dry_run)) {
        if (rank == 0) fprintf(stderr, "cohort sweep: a sweep FILE and --db PATH are required\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    if (!a->checkpoint_dir[0]) snprintf(a->checkpoint_dir, sizeof a->checkpoint_dir, "%s.checkpoints", a->db ? a->db : "");
    a->options.checkpoint_dir = a->checkpoint_dir;
    return 0;
}

/* Loads every distinct dataset the trials use once, so a missing or broken data file stops the sweep
 * before anything is written. */
static int check_data(const Sweep *sweep, char err[ERR_LEN]) {
    DataCache cache = {0};
    int rc = 0;
    /* grid: every trial; random/bayes: representative configurations (every categorical value). */
    int n = sweep->trial_count ? sweep->trial_count : sweep->probe_count;
    for (int i = 0; i < n && !rc && !sweep->objective; i++) {
        const cJSON *config = sweep->trial_count ? sweep->trials[i].config : sweep->probes[i];
        TrainConfig cfg;
        train_config_defaults(&cfg);
        const DataSplits *splits;
        char why[ERR_LEN];
        if (trial_config_from_json(config, &cfg, why) || data_cache_get(&cache, &cfg, &splits, why)) {
            err_set(err, "%s: %s", sweep->name, why);
            rc = -1;
        }
    }
    data_cache_free(&cache);
    return rc;
}

/* Every trial's ranks_per_trial must fit the ranks this sweep has to train on (all but rank 0, or rank 0
 * alone), or it could never start. */
static int check_ranks(const Sweep *sweep, int world_size, char err[ERR_LEN]) {
    const int training = world_size > 1 ? world_size - 1 : 1;
    int n = sweep->trial_count ? sweep->trial_count : sweep->probe_count;
    for (int i = 0; i < n && !sweep->objective; i++) {
        const cJSON *config = sweep->trial_count ? sweep->trials[i].config : sweep->probes[i];
        TrainConfig cfg;
        train_config_defaults(&cfg);
        char why[ERR_LEN];
        if (trial_config_from_json(config, &cfg, why)) continue; /* check_data names it */
        if (cfg.ranks_per_trial > training)
            return err_set(err, "%s: ranks_per_trial: %d ranks per trial, but this sweep has %d training rank%s "
                           "(mpirun -np %d; rank 0 coordinates): start it with mpirun -np %d or more", sweep->name,
                           cfg.ranks_per_trial, training, training > 1 ? "s" : "", world_size, cfg.ranks_per_trial + 1);
    }
    return 0;
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
    cli_printf_safe("sweep %s: the file changed since the last run:\n%s", sweep->name, diff);
    return 0;
}

/* Registers the sweep and its trials (one transaction) and decides what this invocation runs:
 * pending and interrupted ("running" after a killed job) trials, and failed or lost ones with retries left. */
/* user + system CPU seconds of this process so far */
static double process_cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + 1e-6 * (double)usage.ru_utime.tv_usec + (double)usage.ru_stime.tv_sec +
           1e-6 * (double)usage.ru_stime.tv_usec;
}

static int register_trials(Store *store, const Sweep *sweep, const SweepArgs *args, SweepTrialState **trials,
                           int *count, int *skipped, int64_t *sweep_id_out, char err[ERR_LEN]) {
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
        char status[16] = "";
        int failures = 0;
        int64_t run_id;
        TrialIdentity identity;
        trial_identity_from_json(&identity, sweep_run_config(sweep, t->config)); /* validated when loaded */
        char *json = cJSON_PrintUnformatted(identity.config);
        if (store_upsert_run(store, sweep_id, t->key, t->index, json, identity.model, identity.dataset, identity.seed,
                             &run_id, status, err) ||
            store_run_failures(store, run_id, &failures, err)) {
            cJSON_free(json);
            trial_identity_free(&identity);
            goto fail;
        }
        int ended = !strcmp(status, RUN_FINISHED) || !strcmp(status, RUN_PRUNED) || !strcmp(status, RUN_DIVERGED);
        int retry_exhausted = (!strcmp(status, RUN_FAILED) || !strcmp(status, RUN_LOST)) &&
                              failures > args->options.max_retries;
        if (ended || retry_exhausted) {
            (*skipped)++;
            cJSON_free(json);
            trial_identity_free(&identity);
            continue;
        }
        SweepTrialState *p = &(*trials)[(*count)++];
        p->run_id = run_id;
        p->trial_index = t->index;
        p->config_json = strdup(json);
        cJSON_free(json);
        p->identity = identity;
        p->failures = failures;
        p->state = TRIAL_QUEUED;
        p->best = p->last_value = p->kept_best = NAN;
        snprintf(p->key, sizeof p->key, "%s", t->key);
        trial_label(sweep, t, p->label, sizeof p->label);
    }
    *sweep_id_out = sweep_id;
    return store_commit(store, err);
fail:
    store_rollback(store);
    return -1;
}

static SearchStatus search_status_of(const RunRecord *r, int failures, int max_retries, int *queue) {
    *queue = 0;
    if (!strcmp(r->status, RUN_FINISHED)) return SEARCH_FINISHED;
    if (!strcmp(r->status, RUN_PRUNED)) return SEARCH_PRUNED;
    if (!strcmp(r->status, RUN_DIVERGED)) return SEARCH_DIVERGED;
    if ((!strcmp(r->status, RUN_FAILED) || !strcmp(r->status, RUN_LOST)) && failures > max_retries) return SEARCH_FAILED;
    *queue = 1; /* pending, interrupted, or failed with retries left */
    return SEARCH_RUNNING;
}

/* Early stopping and (random/bayes) search state from what the database already holds of this sweep:
 * every recorded epoch goes to the stopper; for random/bayes every run is restored into the search and
 * those not ended are queued. trials is grown to hold what the search may still propose. */
static int prepare_search(Store *store, const Sweep *sweep, SweepArgs *args, SweepTrialState **trials, int *count,
                          int *skipped, char err[ERR_LEN]) {
    RunRecord *runs = NULL;
    int n = 0;
    if (store_load_runs(store, sweep->name, &runs, &n, err)) return -1;
    int dynamic = strcmp(sweep->method, "grid") != 0;
    int capacity = *count + 1 + (dynamic ? n + sweep->run_cap : 0);
    SweepTrialState *grown = realloc(*trials, (size_t)capacity * sizeof **trials);
    if (!grown) {
        store_free_runs(runs, n);
        return err_set(err, "out of memory");
    }
    *trials = grown;
    args->options.trial_capacity = capacity;
    args->options.stopper = stopper_create(sweep);
    for (int i = 0; i < n; i++)
        for (int e = 0; e < runs[i].epoch_count; e++)
            stopper_record(args->options.stopper, runs[i].trial_key, runs[i].epochs[e].epoch,
                           sweep_epoch_metric(sweep, &runs[i].epochs[e]));
    int rc = 0;
    if (dynamic) {
        args->options.search = search_create(sweep, sweep->search_seed, err);
        if (!args->options.search) rc = -1;
        for (int i = 0; i < n && !rc; i++) {
            const RunRecord *r = &runs[i];
            int failures = 0, queue;
            if (store_run_failures(store, r->id, &failures, err)) rc = -1;
            SearchStatus status = search_status_of(r, failures, args->options.max_retries, &queue);
            double value = r->epoch_count ? sweep_epoch_metric(sweep, &r->epochs[r->epoch_count - 1]) : NAN;
            TrialIdentity identity; /* the stored config, parsed once; a refused one fails when it starts */
            trial_identity_from_text(&identity, r->config_json);
            if (!rc && search_restore(args->options.search, identity.config, status, r->epoch_count, value, err)) rc = -1;
            if (rc || !queue) {
                trial_identity_free(&identity);
                if (rc) break;
                (*skipped)++;
                continue;
            }
            SweepTrialState *p = &(*trials)[(*count)++];
            memset(p, 0, sizeof *p);
            p->run_id = r->id;
            p->trial_index = r->trial_index;
            p->config_json = strdup(r->config_json);
            p->identity = identity;
            p->failures = failures;
            p->state = TRIAL_QUEUED;
            p->best = p->last_value = p->kept_best = NAN;
            memcpy(p->key, r->trial_key, sizeof p->key - 1);
            snprintf(p->label, sizeof p->label, "trial %d", r->trial_index);
        }
    }
    store_free_runs(runs, n);
    return rc;
}

/* Where the sweep's trials stand in the database at the end: the sweep's result, whatever this invocation
 * did (trials that had failed before count; a trial lost and then finished by a retry does not). */
typedef struct {
    int finished, pruned, diverged, failed, lost, left;
} SweepOutcome;

static int compare_keys(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int sweep_outcome(Store *store, const Sweep *sweep, int64_t sweep_id, SweepOutcome *out, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    RunStatus *runs = NULL;
    int n = 0;
    if (store_run_statuses(store, sweep_id, &runs, &n, err)) return -1;
    /* A grid's trials are the cells of the file as it is now (a cell removed with --allow-changed no longer
     * counts); a search's trials are all the runs it proposed. */
    const char **keys = NULL;
    if (sweep->trial_count > 0) {
        keys = malloc((size_t)sweep->trial_count * sizeof *keys);
        if (!keys) {
            free(runs);
            return err_set(err, "out of memory");
        }
        for (int i = 0; i < sweep->trial_count; i++) keys[i] = sweep->trials[i].key;
        qsort(keys, (size_t)sweep->trial_count, sizeof *keys, compare_keys);
    }
    for (int i = 0; i < n; i++) {
        const char *key = runs[i].trial_key, *status = runs[i].status;
        if (keys && !bsearch(&key, keys, (size_t)sweep->trial_count, sizeof *keys, compare_keys)) continue;
        if (!strcmp(status, RUN_FINISHED)) out->finished++;
        else if (!strcmp(status, RUN_PRUNED)) out->pruned++;
        else if (!strcmp(status, RUN_DIVERGED)) out->diverged++;
        else if (!strcmp(status, RUN_FAILED)) out->failed++;
        else if (!strcmp(status, RUN_LOST)) out->lost++;
        else out->left++; /* pending, or running after a killed job */
    }
    free(keys);
    free(runs);
    return 0;
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
    int dry_run_done = 0;
    SweepClaim claim = {-1, -1};
    ClaimResult claim_result = CLAIM_ERROR;
    if (rank == 0) {
        args.options.sweep = &sweep;
        if (sweep_load(&sweep, args.file, err)) {
            fprintf(stderr, "cohort sweep: %s\n", err);
            status = EXIT_BAD_INPUT;
        } else {
            for (int i = 0; i < sweep.warning_count; i++) fprintf(stderr, "cohort sweep: warning: %s\n", sweep.warnings[i]);
            if (!args.max_retries_given && sweep.max_retries > 0) args.options.max_retries = sweep.max_retries;
            if (args.options.keep_checkpoints < 0)
                args.options.keep_checkpoints = sweep.keep_checkpoints >= 0 ? sweep.keep_checkpoints : SWEEP_KEEP_DEFAULT;
        }
        if (status == 0 && args.dry_run) {
            char *text = sweep_describe(&sweep);
            cli_printf_safe("%s", text ? text : "");
            free(text);
            dry_run_done = 1;
        } else if (status == 0 && (check_data(&sweep, err) || check_ranks(&sweep, world_size, err))) {
            fprintf(stderr, "cohort sweep: %s\n", err);
            status = EXIT_BAD_INPUT;
        } else if (status == 0 && store_check_writable(args.db, err)) {
            /* before the claim creates PATH.lock and the checkpoint directory beside an unusable path */
            fprintf(stderr, "cohort sweep: %s\n", err);
            status = EXIT_BAD_INPUT;
        } else if (status == 0 && (claim_result = sweep_claim(&claim, args.db, args.checkpoint_dir, err)) != CLAIM_TAKEN) {
            /* Before the database is opened at all: a second coordinator writes nothing. */
            fprintf(stderr, "cohort sweep: %s\n", err);
            status = claim_result == CLAIM_HELD_BY_OTHER ? EXIT_BAD_INPUT : EXIT_RUNTIME;
        } else if (status == 0 && store_open(&store, args.db, err)) {
            fprintf(stderr, "cohort sweep: %s\n", err); /* err names the file */
            status = EXIT_BAD_INPUT;
        } else if (status == 0) {
            int rc = register_trials(store, &sweep, &args, &trials, &trial_count, &skipped, &args.options.sweep_id, err);
            if (!rc) rc = prepare_search(store, &sweep, &args, &trials, &trial_count, &skipped, err);
            if (rc) {
                fprintf(stderr, "cohort sweep: %s: %s\n", args.db, err);
                status = rc == 2 ? EXIT_BAD_INPUT : EXIT_RUNTIME;
            }
        }
    }
    int shared[3] = {status, dry_run_done, args.options.keep_checkpoints};
    MPI_Bcast(shared, 3, MPI_INT, 0, MPI_COMM_WORLD);
    status = shared[0];
    dry_run_done = shared[1];
    args.options.keep_checkpoints = shared[2]; /* the workers delete what is not kept on their nodes */
    args.options.local_training_ranks = status || dry_run_done ? 0 : training_ranks_on_node();
    char *hosts = status || dry_run_done ? NULL : job_hosts_gather(); /* collective; rank 0's list */
    /* A read error here leaves those runs to resume as interrupted ones: failing rank 0 alone now would leave
     * the workers, past the broadcast, waiting for a coordinator. */
    if (rank == 0 && status == 0 && !dry_run_done && job_hosts_find_lost(store, hosts, trials, trial_count, err))
        fprintf(stderr, "cohort sweep: warning: %s: %s; runs left running on other hosts resume as interrupted\n",
                args.db, err);
    args.options.rank_hosts = hosts; /* a data-parallel run's place names each of its hosts */

    SweepTally tally = {0};
    if (status == 0 && !dry_run_done) {
        if (rank == 0) {
            cli_printf_safe("sweep %s: %d trials, %d already ended, %d to run on %d rank%s\n", sweep.name, sweep.trial_count,
                   skipped, trial_count, world_size, world_size > 1 ? "s" : "");
            fflush(stdout);
            double setup_cpu = process_cpu_seconds(), wall0 = MPI_Wtime();
            status = coordinator_run(store, trials, &trial_count, &args.options, &tally);
            /* the coordinator alone: trainers are other processes */
            double cpu = process_cpu_seconds() - setup_cpu, wall = MPI_Wtime() - wall0;
            printf("coordinator: %.2f s CPU over %.1f s wall (%.2f%% of one core) while scheduling; %.2f s CPU before "
                   "(MPI start-up, parsing, database)\n",
                   cpu, wall, wall > 0 ? 100.0 * cpu / wall : 0.0, setup_cpu);
            SweepOutcome outcome;
            if (sweep_outcome(store, &sweep, args.options.sweep_id, &outcome, err)) {
                fprintf(stderr, "cohort sweep: %s: %s\n", args.db, err);
                if (status == EXIT_OK) status = EXIT_RUNTIME;
            } else {
                cli_printf_safe("sweep %s: %d finished, %d pruned, %d diverged, %d failed, %d lost, %d left for a later run "
                       "(this invocation: %d trials ended, %d failures retried, %d had ended before); results in %s\n",
                       sweep.name, outcome.finished, outcome.pruned, outcome.diverged, outcome.failed, outcome.lost,
                       outcome.left,
                       tally.finished + tally.pruned + tally.diverged + tally.failed + tally.lost - tally.retried,
                       tally.retried, skipped, args.db);
                /* Stopped early stays 3; otherwise the database decides: failed or lost trials remaining, or
                 * trials left without a stop, make it 1. */
                if (status != EXIT_PREEMPTED)
                    status = outcome.failed || outcome.lost || outcome.left ? EXIT_RUNTIME : EXIT_OK;
            }
        } else {
            worker_run(&args.options);
        }
    }
    for (int i = 0; i < trial_count; i++) {
        free(trials[i].config_json);
        trial_identity_free(&trials[i].identity);
    }
    free(trials);
    free(hosts);
    if (store) store_close(store);
    sweep_claim_release(&claim);
    if (args.options.search) search_free(args.options.search);
    if (args.options.stopper) stopper_free(args.options.stopper);
    if (rank == 0) sweep_free(&sweep);
    MPI_Finalize();
    return status;
}

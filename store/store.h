/* The results database (SQLite, WAL mode). Only the coordinator (MPI rank 0) ever opens it for writing.
 *
 * Schema (PRAGMA user_version = STORE_SCHEMA_VERSION; older files are migrated on open):
 *   sweeps(id, name, spec_hash, spec_json, source_path, created_at)
 *   runs(id, sweep_id, trial_key, trial_index, config_json, model, dataset, seed, param_count, status,
 *        rank, host, started_at, finished_at, error, failures, flops_per_image, images_per_sec)
 *                                                                -- UNIQUE(sweep_id, trial_key)
 *   epochs(run_id, epoch, train_loss, train_top1, val_loss, val_top1, test_loss, test_top1, test_top5,
 *          lr, wall_seconds, images_per_sec, train_objective)     -- PRIMARY KEY(run_id, epoch)
 *   checkpoints(run_id, kind, epoch, metric, metric_value, path, size_bytes, recorded_at)
 *                                                                -- PRIMARY KEY(run_id, kind, epoch)
 * Times are ISO-8601 UTC text. NaN metrics are stored as NULL. Accuracies are percentages. */
#ifndef COHORT_STORE_H
#define COHORT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "metrics.h"

#define STORE_SCHEMA_VERSION 6

typedef struct Store Store;

/* Run status values as stored in runs.status. */
#define RUN_PENDING "pending"
#define RUN_RUNNING "running"
#define RUN_FINISHED "finished"
#define RUN_FAILED "failed"     /* bad config, out of memory, I/O error */
#define RUN_PRUNED "pruned"     /* stopped early by the sweep's early_terminate rule (error holds the rule) */
#define RUN_DIVERGED "diverged" /* loss became NaN or infinite */
#define RUN_LOST "lost"         /* its worker died */

/* Opens (creating and migrating if needed) a database for writing, or an existing one read-only. */
int store_open(Store **out, const char *path, char err[ERR_LEN]);
int store_open_readonly(Store **out, const char *path, char err[ERR_LEN]);
/* Checks, creating and changing nothing, that store_open could open path for writing: an existing path
 * must be a regular file that can be written and is empty or a Cohort database; a new one needs a
 * writable directory. Every store open also refuses a path that is not a regular file (a device such as
 * /dev/null, a directory). Non-zero with err naming the file otherwise. */
int store_check_writable(const char *path, char err[ERR_LEN]);
void store_close(Store *store);
/* The path the database was opened with. */
const char *store_path(const Store *store);

/* Explicit transactions, so the coordinator can batch several writes into one commit. */
int store_begin(Store *store, char err[ERR_LEN]);
int store_commit(Store *store, char err[ERR_LEN]);
int store_rollback(Store *store);

/* Finds the sweep with this name, or inserts it. *sweep_id receives its id. */
int store_upsert_sweep(Store *store, const char *name, const char *spec_hash, const char *spec_json,
                       const char *source_path, int64_t *sweep_id, char err[ERR_LEN]);
/* The recorded spec_json of sweep `name` (malloc'd), or NULL in *spec_json when there is no such sweep. */
int store_sweep_spec(Store *store, const char *name, char **spec_json, char err[ERR_LEN]);
/* Replaces a sweep's recorded specification (a changed sweep file accepted with --allow-changed). */
int store_set_sweep_spec(Store *store, int64_t sweep_id, const char *spec_hash, const char *spec_json,
                         char err[ERR_LEN]);
/* Finds the run (sweep_id, trial_key) or inserts it as pending. *run_id receives its id and status_out
 * (at least 16 bytes, may be NULL) its current status. */
int store_upsert_run(Store *store, int64_t sweep_id, const char *trial_key, int trial_index, const char *config_json,
                     const char *model, const char *dataset, uint64_t seed, int64_t *run_id, char *status_out,
                     char err[ERR_LEN]);
/* Marks a run running on (rank, host) with its parameter count and deletes its epochs after
 * `epochs_kept` (0 when the run starts over; the checkpoint's epoch count when it resumed). */
int store_run_started(Store *store, int64_t run_id, int rank, const char *host, int64_t param_count,
                      int epochs_kept, char err[ERR_LEN]);
/* Puts a run back to pending (preempted, or to be retried), with a note in `error`. */
int store_run_requeued(Store *store, int64_t run_id, const char *reason, char err[ERR_LEN]);
/* Every run of a sweep with its status: trial_key (16 hex digits) and runs.status. */
typedef struct {
    char trial_key[64];
    char status[16];
} RunStatus;
/* The runs of sweep `sweep_id` (*runs malloc'd, *count entries; the caller frees *runs). */
int store_run_statuses(Store *store, int64_t sweep_id, RunStatus **runs, int *count, char err[ERR_LEN]);
/* Sets the run's `error` text (a note while it runs, e.g. that a bad checkpoint was set aside). */
int store_run_note(Store *store, int64_t run_id, const char *note, char err[ERR_LEN]);
/* The run's status (at least 16 bytes) and the host it last started on (host_size bytes; "" when none). */
int store_run_place(Store *store, int64_t run_id, char *status, char *host, size_t host_size, char err[ERR_LEN]);
/* How many times the run ended failed or lost. */
int store_run_failures(Store *store, int64_t run_id, int *failures, char err[ERR_LEN]);
int store_record_epoch(Store *store, int64_t run_id, const EpochMetrics *m, char err[ERR_LEN]);
/* The run's forward FLOPs per image (x2 per multiply-add), known once its model is built. */
int store_run_flops(Store *store, int64_t run_id, double flops_per_image, char err[ERR_LEN]);
/* A checkpoint kept after the run ended: kind "best" or "last" (one each per run: it replaces the run's
 * earlier one) or "epoch"; the epoch it holds, the metric (a sweep metric name: train_loss ... test_top5, or
 * value = test_loss) whose value at that epoch is recorded with it, its path and size. */
int store_record_checkpoint(Store *store, int64_t run_id, const char *kind, int epoch, const char *metric,
                            const char *path, int64_t size_bytes, char err[ERR_LEN]);
/* A kept checkpoint as read back: epoch 0 = none. */
typedef struct {
    int epoch;
    double metric_value;  /* NaN when not measured */
    char metric[16];
    char path[4096];
    int64_t size_bytes;
} KeptCheckpoint;
/* The run's kept checkpoint of this kind ("best" or "last"); out->epoch is 0 when there is none.
 * Non-zero with err when the run does not exist. */
int store_run_checkpoint(Store *store, int64_t run_id, const char *kind, KeptCheckpoint *out, char err[ERR_LEN]);
/* A run's config_json (malloc'd) and model. Non-zero with err "PATH: run N: no such run" otherwise. */
int store_run_config(Store *store, int64_t run_id, char **config_json, char err[ERR_LEN]);
/* One evaluation of a checkpoint (`cohort eval --db`), replacing an earlier one of the same run, checkpoint
 * and split. per_class, confusion and class_names (may be NULL) are JSON arrays. */
typedef struct {
    int64_t run_id;
    const char *checkpoint, *split, *dataset;
    int epoch, images, classes;
    double top1, top5, loss;
    const char *per_class, *confusion, *class_names;
} EvaluationRecord;
int store_record_evaluation(Store *store, const EvaluationRecord *e, char err[ERR_LEN]);
/* Every stored evaluation, by run then checkpoint then split: calls `each` per row
 * with its fields (JSON texts as stored). */
int store_each_evaluation(Store *store, void (*each)(const EvaluationRecord *e, void *user), void *user,
                          char err[ERR_LEN]);
/* status: RUN_FINISHED, RUN_PRUNED, RUN_DIVERGED, RUN_FAILED or RUN_LOST; error may be NULL. Also sets the
 * run's images_per_sec, the mean of its epochs'. */
int store_run_ended(Store *store, int64_t run_id, const char *status, const char *error, char err[ERR_LEN]);

/* ---- reading, for reports ---- */
typedef struct {
    int64_t id, sweep_id;
    char sweep_name[128];
    char trial_key[64];
    int trial_index;
    char *config_json;   /* owned */
    char model[64], dataset[64];
    uint64_t seed;
    int64_t param_count; /* 0 until the run has started */
    char status[16];
    int rank;            /* -1 until the run has started */
    char host[128];
    char started_at[32], finished_at[32]; /* "" when not yet */
    char *error;         /* owned, may be NULL */
    int epoch_count;
    EpochMetrics *epochs; /* owned, [epoch_count] in epoch order */
    double flops_per_image;  /* NaN until the run has started (or recorded before schema version 5) */
    double images_per_sec;   /* mean training images/s over its epochs, NaN until it ended */
    /* Its kept checkpoints (epoch 0 = none): best and last, and how many of kind epoch. */
    int best_checkpoint_epoch, last_checkpoint_epoch, epoch_checkpoints;
    int64_t best_checkpoint_bytes, last_checkpoint_bytes;
} RunRecord;

/* All runs (optionally only those of sweep `sweep_name`, NULL = all) with their epochs, ordered by
 * sweep id then trial index. */
int store_load_runs(Store *store, const char *sweep_name, RunRecord **runs, int *count, char err[ERR_LEN]);
void store_free_runs(RunRecord *runs, int count);

#endif

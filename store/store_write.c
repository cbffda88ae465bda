/* Writes by the coordinator: sweeps, runs and their lifecycle, epochs. Each function is atomic on its
 * own and also composes inside store_begin/store_commit (multi-statement ones use a SAVEPOINT). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text) {
    if (text) sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(stmt, index);
}

static void bind_metric(sqlite3_stmt *stmt, int index, double value) {
    if (isnan(value)) sqlite3_bind_null(stmt, index);
    else sqlite3_bind_double(stmt, index, value);
}

/* Steps a statement that returns no rows. */
static int step_done(Store *store, sqlite3_stmt *stmt, const char *what, char *err) {
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        store_fail(store, err, what);
        sqlite3_reset(stmt);
        return -1;
    }
    sqlite3_reset(stmt);
    return 0;
}

int store_upsert_sweep(Store *store, const char *name, const char *spec_hash, const char *spec_json,
                       const char *source_path, int64_t *sweep_id, char err[ERR_LEN]) {
    if (!name || !*name) return err_set(err, "%s: store_upsert_sweep: empty sweep name", store->path);
    char what[256];
    snprintf(what, sizeof what, "recording sweep '%s'", name);
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_SWEEP_INSERT,
                   "INSERT INTO sweeps (name, spec_hash, spec_json, source_path, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, " STORE_NOW_SQL ") ON CONFLICT (name) DO NOTHING",
                   &stmt, err))
        return -1;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    bind_text_or_null(stmt, 2, spec_hash);
    bind_text_or_null(stmt, 3, spec_json);
    bind_text_or_null(stmt, 4, source_path);
    if (step_done(store, stmt, what, err)) return -1;

    if (store_stmt(store, STMT_SWEEP_FIND, "SELECT id FROM sweeps WHERE name = ?1", &stmt, err)) return -1;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE) err_set(err, "%s: %s: the sweep vanished", store->path, what);
        else store_fail(store, err, what);
        sqlite3_reset(stmt);
        return -1;
    }
    *sweep_id = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return 0;
}

int store_upsert_run(Store *store, int64_t sweep_id, const char *trial_key, int trial_index, const char *config_json,
                     const char *model, const char *dataset, uint64_t seed, int64_t *run_id, char *status_out,
                     char err[ERR_LEN]) {
    if (!trial_key || !*trial_key) return err_set(err, "%s: store_upsert_run: empty trial key", store->path);
    char what[128];
    snprintf(what, sizeof what, "recording trial %s of sweep %lld", trial_key, (long long)sweep_id);
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_INSERT,
                   "INSERT INTO runs (sweep_id, trial_key, trial_index, config_json, model, dataset, seed, status) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending') ON CONFLICT (sweep_id, trial_key) DO NOTHING",
                   &stmt, err))
        return -1;
    sqlite3_bind_int64(stmt, 1, sweep_id);
    sqlite3_bind_text(stmt, 2, trial_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 3, trial_index);
    bind_text_or_null(stmt, 4, config_json);
    bind_text_or_null(stmt, 5, model);
    bind_text_or_null(stmt, 6, dataset);
    sqlite3_bind_int64(stmt, 7, (int64_t)seed); /* the bits; read back as uint64_t */
    if (step_done(store, stmt, what, err)) return -1;

    if (store_stmt(store, STMT_RUN_FIND, "SELECT id, status FROM runs WHERE sweep_id = ?1 AND trial_key = ?2",
                   &stmt, err))
        return -1;
    sqlite3_bind_int64(stmt, 1, sweep_id);
    sqlite3_bind_text(stmt, 2, trial_key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE) err_set(err, "%s: %s: the run vanished", store->path, what);
        else store_fail(store, err, what);
        sqlite3_reset(stmt);
        return -1;
    }
    *run_id = sqlite3_column_int64(stmt, 0);
    if (status_out) {
        const char *status = (const char *)sqlite3_column_text(stmt, 1);
        snprintf(status_out, 16, "%s", status ? status : "");
    }
    sqlite3_reset(stmt);
    return 0;
}

int store_run_started(Store *store, int64_t run_id, int rank, const char *host, int64_t param_count,
                      int epochs_kept, char err[ERR_LEN]) {
    char what[64];
    snprintf(what, sizeof what, "starting run %lld", (long long)run_id);
    if (store_exec(store, "SAVEPOINT run_started", what, err)) return -1;
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_START,
                   "UPDATE runs SET status = 'running', rank = ?2, host = ?3, param_count = ?4, "
                   "started_at = " STORE_NOW_SQL ", finished_at = NULL, error = NULL WHERE id = ?1",
                   &stmt, err))
        goto fail;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int(stmt, 2, rank);
    bind_text_or_null(stmt, 3, host);
    sqlite3_bind_int64(stmt, 4, param_count);
    if (step_done(store, stmt, what, err)) goto fail;
    if (sqlite3_changes(store->db) != 1) {
        err_set(err, "%s: %s: no such run", store->path, what);
        goto fail;
    }
    if (store_stmt(store, STMT_EPOCHS_DELETE, "DELETE FROM epochs WHERE run_id = ?1 AND epoch > ?2", &stmt, err))
        goto fail;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int(stmt, 2, epochs_kept);
    if (step_done(store, stmt, what, err)) goto fail;
    if (store_stmt(store, STMT_CHECKPOINTS_DELETE, "DELETE FROM checkpoints WHERE run_id = ?1 AND epoch > ?2", &stmt,
                   err))
        goto fail;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int(stmt, 2, epochs_kept);
    if (step_done(store, stmt, what, err)) goto fail;
    if (store_exec(store, "RELEASE run_started", what, err)) goto fail;
    return 0;
fail:
    sqlite3_exec(store->db, "ROLLBACK TO run_started; RELEASE run_started", NULL, NULL, NULL);
    return -1;
}

int store_record_epoch(Store *store, int64_t run_id, const EpochMetrics *m, char err[ERR_LEN]) {
    if (!m) return err_set(err, "%s: store_record_epoch: no metrics", store->path);
    char what[96];
    snprintf(what, sizeof what, "recording epoch %d of run %lld", m->epoch, (long long)run_id);
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_EPOCH_INSERT,
                   "INSERT OR REPLACE INTO epochs (run_id, epoch, train_loss, train_top1, val_loss, val_top1, "
                   "test_loss, test_top1, test_top5, lr, wall_seconds, images_per_sec, train_objective) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                   &stmt, err))
        return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int(stmt, 2, m->epoch);
    bind_metric(stmt, 3, m->train_loss);
    bind_metric(stmt, 4, m->train_top1);
    bind_metric(stmt, 5, m->val_loss);
    bind_metric(stmt, 6, m->val_top1);
    bind_metric(stmt, 7, m->test_loss);
    bind_metric(stmt, 8, m->test_top1);
    bind_metric(stmt, 9, m->test_top5);
    bind_metric(stmt, 10, m->lr);
    bind_metric(stmt, 11, m->wall_seconds);
    bind_metric(stmt, 12, m->images_per_sec);
    bind_metric(stmt, 13, m->train_objective);
    return step_done(store, stmt, what, err);
}

int store_run_ended(Store *store, int64_t run_id, const char *status, const char *error, char err[ERR_LEN]) {
    char what[64];
    snprintf(what, sizeof what, "ending run %lld", (long long)run_id);
    if (!status || (strcmp(status, RUN_FINISHED) != 0 && strcmp(status, RUN_FAILED) != 0 &&
                    strcmp(status, RUN_PRUNED) != 0 && strcmp(status, RUN_DIVERGED) != 0 && strcmp(status, RUN_LOST) != 0))
        return err_set(err, "%s: %s: status must be an ending (finished, pruned, diverged, failed, lost), not '%s'", store->path,
                       what, status ? status : "(null)");
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_END,
                   "UPDATE runs SET status = ?2, error = ?3, finished_at = " STORE_NOW_SQL
                   ", failures = failures + (?2 IN ('failed', 'lost')), "
                   "images_per_sec = (SELECT avg(e.images_per_sec) FROM epochs e WHERE e.run_id = ?1) WHERE id = ?1",
                   &stmt,
                   err))
        return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_text(stmt, 2, status, -1, SQLITE_TRANSIENT);
    bind_text_or_null(stmt, 3, error);
    if (step_done(store, stmt, what, err)) return -1;
    if (sqlite3_changes(store->db) != 1) return err_set(err, "%s: %s: no such run", store->path, what);
    return 0;
}

int store_run_requeued(Store *store, int64_t run_id, const char *reason, char err[ERR_LEN]) {
    char what[64];
    snprintf(what, sizeof what, "re-queueing run %lld", (long long)run_id);
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_REQUEUE, "UPDATE runs SET status = 'pending', error = ?2 WHERE id = ?1", &stmt,
                   err))
        return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    bind_text_or_null(stmt, 2, reason);
    if (step_done(store, stmt, what, err)) return -1;
    if (sqlite3_changes(store->db) != 1) return err_set(err, "%s: %s: no such run", store->path, what);
    return 0;
}

int store_run_note(Store *store, int64_t run_id, const char *note, char err[ERR_LEN]) {
    char what[64];
    snprintf(what, sizeof what, "noting on run %lld", (long long)run_id);
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_NOTE, "UPDATE runs SET error = ?2 WHERE id = ?1", &stmt, err)) return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    bind_text_or_null(stmt, 2, note);
    if (step_done(store, stmt, what, err)) return -1;
    if (sqlite3_changes(store->db) != 1) return err_set(err, "%s: %s: no such run", store->path, what);
    return 0;
}

int store_run_place(Store *store, int64_t run_id, char *status, char *host, size_t host_size, char err[ERR_LEN]) {
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_PLACE, "SELECT status, coalesce(host, '') FROM runs WHERE id = ?1", &stmt, err))
        return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        snprintf(status, 16, "%s", (const char *)sqlite3_column_text(stmt, 0));
        snprintf(host, host_size, "%s", (const char *)sqlite3_column_text(stmt, 1));
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW) return err_set(err, "%s: run %lld: no such run", store->path, (long long)run_id);
    return 0;
}

int store_run_failures(Store *store, int64_t run_id, int *failures, char err[ERR_LEN]) {
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_FAILURES, "SELECT failures FROM runs WHERE id = ?1", &stmt, err)) return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    int rc = sqlite3_step(stmt);
    *failures = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW) return err_set(err, "%s: run %lld: no such run", store->path, (long long)run_id);
    return 0;
}

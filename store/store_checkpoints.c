/* The run's FLOPs and the checkpoints kept after runs ended (schema version 5): written by the coordinator,
 * read by `cohort eval --db D --run ID` and the reports. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

int store_run_flops(Store *store, int64_t run_id, double flops_per_image, char err[ERR_LEN]) {
    char what[64];
    snprintf(what, sizeof what, "recording the FLOPs of run %lld", (long long)run_id);
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_RUN_FLOPS, "UPDATE runs SET flops_per_image = ?2 WHERE id = ?1", &stmt, err)) return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    if (isfinite(flops_per_image) && flops_per_image >= 0) sqlite3_bind_double(stmt, 2, flops_per_image);
    else sqlite3_bind_null(stmt, 2);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return store_fail(store, err, what);
    if (sqlite3_changes(store->db) != 1) return err_set(err, "%s: %s: no such run", store->path, what);
    return 0;
}

static int step_or_fail(Store *store, sqlite3_stmt *stmt, const char *what, char *err) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? 0 : store_fail(store, err, what);
}

int store_record_checkpoint(Store *store, int64_t run_id, const char *kind, int epoch, const char *metric,
                            const char *path, int64_t size_bytes, char err[ERR_LEN]) {
    char what[96];
    snprintf(what, sizeof what, "recording the %s checkpoint of run %lld", kind ? kind : "?", (long long)run_id);
    if (!kind || (strcmp(kind, "best") && strcmp(kind, "last") && strcmp(kind, "epoch")))
        return err_set(err, "%s: %s: kind must be best, last or epoch", store->path, what);
    if (epoch < 1 || !path || !*path || size_bytes < 0)
        return err_set(err, "%s: %s: needs an epoch >= 1, a path and a size", store->path, what);
    sqlite3_stmt *stmt;
    if (strcmp(kind, "epoch") != 0) { /* one best and one last per run */
        if (store_stmt(store, STMT_CHECKPOINT_CLEAR, "DELETE FROM checkpoints WHERE run_id = ?1 AND kind = ?2", &stmt,
                       err))
            return -1;
        sqlite3_bind_int64(stmt, 1, run_id);
        sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
        if (step_or_fail(store, stmt, what, err)) return -1;
    }
    /* The metric's value at that epoch, from the committed epoch row (objective sweeps' value is test_loss). */
    if (store_stmt(store, STMT_CHECKPOINT_INSERT,
                   "INSERT OR REPLACE INTO checkpoints (run_id, kind, epoch, metric, metric_value, path, size_bytes, "
                   "recorded_at) VALUES (?1, ?2, ?3, ?4, (SELECT CASE ?4 WHEN 'train_loss' THEN e.train_loss "
                   "WHEN 'train_top1' THEN e.train_top1 WHEN 'val_loss' THEN e.val_loss WHEN 'val_top1' THEN e.val_top1 "
                   "WHEN 'test_loss' THEN e.test_loss WHEN 'test_top1' THEN e.test_top1 WHEN 'test_top5' THEN e.test_top5 "
                   "WHEN 'value' THEN e.test_loss END FROM epochs e WHERE e.run_id = ?1 AND e.epoch = ?3), ?5, ?6, "
                   STORE_NOW_SQL ")",
                   &stmt, err))
        return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 3, epoch);
    if (metric) sqlite3_bind_text(stmt, 4, metric, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(stmt, 4);
    sqlite3_bind_text(stmt, 5, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 6, size_bytes);
    return step_or_fail(store, stmt, what, err);
}

int store_run_checkpoint(Store *store, int64_t run_id, const char *kind, KeptCheckpoint *out, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    out->metric_value = NAN;
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_CHECKPOINT_FIND,
                   "SELECT r.id, c.epoch, coalesce(c.metric, ''), c.metric_value, c.path, c.size_bytes FROM runs r "
                   "LEFT JOIN checkpoints c ON c.run_id = r.id AND c.kind = ?2 WHERE r.id = ?1 "
                   "ORDER BY c.epoch DESC LIMIT 1",
                   &stmt, err))
        return -1;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 1) != SQLITE_NULL) {
        out->epoch = sqlite3_column_int(stmt, 1);
        snprintf(out->metric, sizeof out->metric, "%s", (const char *)sqlite3_column_text(stmt, 2));
        if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) out->metric_value = sqlite3_column_double(stmt, 3);
        snprintf(out->path, sizeof out->path, "%s", (const char *)sqlite3_column_text(stmt, 4));
        out->size_bytes = sqlite3_column_int64(stmt, 5);
    }
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE) return err_set(err, "%s: run %lld: no such run", store->path, (long long)run_id);
    if (rc != SQLITE_ROW) return store_fail(store, err, "reading a kept checkpoint");
    return 0;
}

/* The run's FLOPs, the checkpoints kept after runs ended and their evaluations (schema version 5): written by
 * the coordinator and `cohort eval`, read by `cohort eval --db D --run ID` and the reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

int store_run_config(Store *store, int64_t run_id, char **config_json, char err[ERR_LEN]) {
    *config_json = NULL;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db, "SELECT config_json FROM runs WHERE id = ?1", -1, &stmt, NULL) != SQLITE_OK)
        return store_fail(store, err, "reading a run's config");
    sqlite3_bind_int64(stmt, 1, run_id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *config_json = strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE) return err_set(err, "%s: run %lld: no such run", store->path, (long long)run_id);
    if (rc != SQLITE_ROW || !*config_json) return err_set(err, "%s: reading the config of run %lld failed", store->path,
                                                          (long long)run_id);
    return 0;
}

static void bind_real(sqlite3_stmt *stmt, int index, double v) {
    if (isfinite(v)) sqlite3_bind_double(stmt, index, v);
    else sqlite3_bind_null(stmt, index);
}

int store_record_evaluation(Store *store, const EvaluationRecord *e, char err[ERR_LEN]) {
    char what[96];
    snprintf(what, sizeof what, "recording an evaluation of run %lld", (long long)e->run_id);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db,
                           "INSERT OR REPLACE INTO evaluations (run_id, checkpoint, split, epoch, dataset, images, "
                           "classes, top1, top5, loss, per_class, confusion, class_names, evaluated_at) VALUES (?1, ?2, "
                           "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, " STORE_NOW_SQL ")",
                           -1, &stmt, NULL) != SQLITE_OK)
        return store_fail(store, err, what);
    sqlite3_bind_int64(stmt, 1, e->run_id);
    sqlite3_bind_text(stmt, 2, e->checkpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, e->split, -1, SQLITE_TRANSIENT);
    if (e->epoch > 0) sqlite3_bind_int(stmt, 4, e->epoch);
    sqlite3_bind_text(stmt, 5, e->dataset, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 6, e->images);
    sqlite3_bind_int(stmt, 7, e->classes);
    bind_real(stmt, 8, e->top1);
    bind_real(stmt, 9, e->top5);
    bind_real(stmt, 10, e->loss);
    sqlite3_bind_text(stmt, 11, e->per_class, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 12, e->confusion, -1, SQLITE_TRANSIENT);
    if (e->class_names) sqlite3_bind_text(stmt, 13, e->class_names, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 0 : store_fail(store, err, what);
}

static double column_real(sqlite3_stmt *stmt, int col) {
    return sqlite3_column_type(stmt, col) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, col);
}

int store_each_evaluation(Store *store, void (*each)(const EvaluationRecord *e, void *user), void *user,
                          char err[ERR_LEN]) {
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT run_id, checkpoint, split, coalesce(epoch, 0), dataset, images, classes, top1, top5, "
                           "loss, per_class, confusion, class_names FROM evaluations ORDER BY run_id, checkpoint, split",
                           -1, &stmt, NULL) != SQLITE_OK)
        return store_fail(store, err, "reading evaluations");
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        EvaluationRecord e = {
            .run_id = sqlite3_column_int64(stmt, 0),
            .checkpoint = (const char *)sqlite3_column_text(stmt, 1),
            .split = (const char *)sqlite3_column_text(stmt, 2),
            .epoch = sqlite3_column_int(stmt, 3),
            .dataset = (const char *)sqlite3_column_text(stmt, 4),
            .images = sqlite3_column_int(stmt, 5),
            .classes = sqlite3_column_int(stmt, 6),
            .top1 = column_real(stmt, 7),
            .top5 = column_real(stmt, 8),
            .loss = column_real(stmt, 9),
            .per_class = (const char *)sqlite3_column_text(stmt, 10),
            .confusion = (const char *)sqlite3_column_text(stmt, 11),
            .class_names = (const char *)sqlite3_column_text(stmt, 12),
        };
        each(&e, user);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 0 : store_fail(store, err, "reading evaluations");
}

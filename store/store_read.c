/* Reading runs and their epochs back, for reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static void copy_text(char *dst, size_t size, sqlite3_stmt *stmt, int col) {
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    snprintf(dst, size, "%s", text ? text : "");
}

static char *dup_text_or_null(sqlite3_stmt *stmt, int col) {
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    return text ? strdup(text) : NULL;
}

static double column_metric(sqlite3_stmt *stmt, int col) {
    return sqlite3_column_type(stmt, col) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, col);
}

static int load_epochs(Store *store, RunRecord *run, char *err) {
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_LOAD_EPOCHS,
                   "SELECT epoch, train_loss, train_top1, val_loss, val_top1, test_loss, test_top1, test_top5, lr, "
                   "wall_seconds, images_per_sec FROM epochs WHERE run_id = ?1 ORDER BY epoch",
                   &stmt, err))
        return -1;
    sqlite3_bind_int64(stmt, 1, run->id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (run->epoch_count == cap) {
            cap = cap ? cap * 2 : 16;
            EpochMetrics *grown = realloc(run->epochs, (size_t)cap * sizeof *grown);
            if (!grown) {
                sqlite3_reset(stmt);
                return err_set(err, "%s: loading epochs of run %lld: out of memory", store->path, (long long)run->id);
            }
            run->epochs = grown;
        }
        EpochMetrics *m = &run->epochs[run->epoch_count++];
        m->epoch = sqlite3_column_int(stmt, 0);
        m->train_loss = column_metric(stmt, 1);
        m->train_top1 = column_metric(stmt, 2);
        m->val_loss = column_metric(stmt, 3);
        m->val_top1 = column_metric(stmt, 4);
        m->test_loss = column_metric(stmt, 5);
        m->test_top1 = column_metric(stmt, 6);
        m->test_top5 = column_metric(stmt, 7);
        m->lr = column_metric(stmt, 8);
        m->wall_seconds = column_metric(stmt, 9);
        m->images_per_sec = column_metric(stmt, 10);
    }
    if (rc != SQLITE_DONE) {
        store_fail(store, err, "loading epochs");
        sqlite3_reset(stmt);
        return -1;
    }
    sqlite3_reset(stmt);
    return 0;
}

static int load_all(Store *store, const char *sweep_name, RunRecord **runs_out, int *count_out, char *err) {
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_LOAD_RUNS,
                   "SELECT r.id, r.sweep_id, s.name, r.trial_key, r.trial_index, r.config_json, r.model, r.dataset, "
                   "r.seed, r.param_count, r.status, r.rank, r.host, r.started_at, r.finished_at, r.error "
                   "FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
                   "WHERE ?1 IS NULL OR s.name = ?1 ORDER BY r.sweep_id, r.trial_index, r.id",
                   &stmt, err))
        return -1;
    if (sweep_name) sqlite3_bind_text(stmt, 1, sweep_name, -1, SQLITE_TRANSIENT);
    RunRecord *runs = NULL;
    int count = 0, cap = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            RunRecord *grown = realloc(runs, (size_t)cap * sizeof *grown);
            if (!grown) {
                err_set(err, "%s: loading runs: out of memory", store->path);
                goto fail;
            }
            runs = grown;
        }
        RunRecord *r = &runs[count++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(stmt, 0);
        r->sweep_id = sqlite3_column_int64(stmt, 1);
        copy_text(r->sweep_name, sizeof r->sweep_name, stmt, 2);
        copy_text(r->trial_key, sizeof r->trial_key, stmt, 3);
        r->trial_index = sqlite3_column_int(stmt, 4);
        r->config_json = dup_text_or_null(stmt, 5);
        if (!r->config_json) r->config_json = strdup("{}");
        copy_text(r->model, sizeof r->model, stmt, 6);
        copy_text(r->dataset, sizeof r->dataset, stmt, 7);
        r->seed = (uint64_t)sqlite3_column_int64(stmt, 8);
        r->param_count = sqlite3_column_int64(stmt, 9); /* NULL (not started) -> 0 */
        copy_text(r->status, sizeof r->status, stmt, 10);
        r->rank = sqlite3_column_type(stmt, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(stmt, 11);
        copy_text(r->host, sizeof r->host, stmt, 12);
        copy_text(r->started_at, sizeof r->started_at, stmt, 13);
        copy_text(r->finished_at, sizeof r->finished_at, stmt, 14);
        r->error = dup_text_or_null(stmt, 15);
        if (!r->config_json || (sqlite3_column_type(stmt, 15) != SQLITE_NULL && !r->error)) {
            err_set(err, "%s: loading runs: out of memory", store->path);
            goto fail;
        }
    }
    if (rc != SQLITE_DONE) {
        store_fail(store, err, "loading runs");
        goto fail;
    }
    sqlite3_reset(stmt);
    for (int i = 0; i < count; i++)
        if (load_epochs(store, &runs[i], err)) {
            store_free_runs(runs, count);
            return -1;
        }
    *runs_out = runs;
    *count_out = count;
    return 0;
fail:
    sqlite3_reset(stmt);
    store_free_runs(runs, count);
    return -1;
}

int store_load_runs(Store *store, const char *sweep_name, RunRecord **runs, int *count, char err[ERR_LEN]) {
    *runs = NULL;
    *count = 0;
    /* One snapshot for runs and epochs: a savepoint works inside or outside an explicit transaction. */
    if (store_exec(store, "SAVEPOINT load_runs", "loading runs", err)) return -1;
    int rc = load_all(store, sweep_name, runs, count, err);
    sqlite3_exec(store->db, "RELEASE load_runs", NULL, NULL, NULL);
    return rc;
}

void store_free_runs(RunRecord *runs, int count) {
    if (!runs) return;
    for (int i = 0; i < count; i++) {
        free(runs[i].config_json);
        free(runs[i].error);
        free(runs[i].epochs);
    }
    free(runs);
}

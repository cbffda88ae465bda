/* A sweep's recorded specification, so that a re-run of a changed sweep file can be noticed, and where its
 * runs stand, for the sweep's exit code and summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

int store_sweep_spec(Store *store, const char *name, char **spec_json, char err[ERR_LEN]) {
    *spec_json = NULL;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db, "SELECT coalesce(spec_json, '') FROM sweeps WHERE name = ?1", -1, &stmt, NULL))
        return store_fail(store, err, "reading the sweep's specification");
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *spec_json = strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(store, err, "reading the sweep's specification");
    return 0;
}

int store_set_sweep_spec(Store *store, int64_t sweep_id, const char *spec_hash, const char *spec_json,
                         char err[ERR_LEN]) {
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db, "UPDATE sweeps SET spec_hash = ?2, spec_json = ?3 WHERE id = ?1", -1, &stmt,
                           NULL))
        return store_fail(store, err, "updating the sweep's specification");
    sqlite3_bind_int64(stmt, 1, sweep_id);
    sqlite3_bind_text(stmt, 2, spec_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, spec_json, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return store_fail(store, err, "updating the sweep's specification");
    return 0;
}

int store_run_statuses(Store *store, int64_t sweep_id, RunStatus **runs, int *count, char err[ERR_LEN]) {
    *runs = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db, "SELECT trial_key, status FROM runs WHERE sweep_id = ?1 ORDER BY id", -1, &stmt,
                           NULL))
        return store_fail(store, err, "reading the runs' statuses");
    sqlite3_bind_int64(stmt, 1, sweep_id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? 2 * cap : 64;
            RunStatus *grown = realloc(*runs, (size_t)cap * sizeof *grown);
            if (!grown) {
                sqlite3_finalize(stmt);
                free(*runs);
                *runs = NULL;
                *count = 0;
                return err_set(err, "%s: reading the runs' statuses: out of memory", store->path);
            }
            *runs = grown;
        }
        RunStatus *r = &(*runs)[(*count)++];
        const char *key = (const char *)sqlite3_column_text(stmt, 0), *status = (const char *)sqlite3_column_text(stmt, 1);
        snprintf(r->trial_key, sizeof r->trial_key, "%s", key ? key : "");
        snprintf(r->status, sizeof r->status, "%s", status ? status : "");
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        free(*runs);
        *runs = NULL;
        *count = 0;
        return store_fail(store, err, "reading the runs' statuses");
    }
    return 0;
}

/* Opening and closing the results database, its connection settings, and explicit transactions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

int store_fail(Store *store, char *err, const char *what) {
    return err_set(err, "%s: %s: %s", store->path, what, sqlite3_errmsg(store->db));
}

int store_exec(Store *store, const char *sql, const char *what, char *err) {
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK) return store_fail(store, err, what);
    return 0;
}

int store_stmt(Store *store, int which, const char *sql, sqlite3_stmt **out, char *err) {
    sqlite3_stmt *stmt = store->stmts[which];
    if (!stmt) {
        if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
            return store_fail(store, err, "preparing a statement");
        store->stmts[which] = stmt;
    } else {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    *out = stmt;
    return 0;
}

int store_query_int(Store *store, const char *sql, int64_t *value, char *err) {
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK) return store_fail(store, err, sql);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        store_fail(store, err, sql);
        sqlite3_finalize(stmt);
        return -1;
    }
    *value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return 0;
}

/* Sets a PRAGMA that answers with its new value and checks the answer (journal_mode can refuse). */
static int pragma_expect(Store *store, const char *sql, const char *expected, char *err) {
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK) return store_fail(store, err, sql);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        store_fail(store, err, sql);
        sqlite3_finalize(stmt);
        return -1;
    }
    const char *got = (const char *)sqlite3_column_text(stmt, 0);
    int ok = got && strcmp(got, expected) == 0;
    if (!ok) err_set(err, "%s: %s answered '%s', expected '%s'", store->path, sql, got ? got : "", expected);
    sqlite3_finalize(stmt);
    return ok ? 0 : -1;
}

static const char *file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a file";
}

/* SQLite would open /dev/null as an empty database and create /dev/null-journal beside it; a directory
 * fails later with a vaguer message. */
static int check_regular(const char *path, char *err) {
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return err_set(err, "%s: not a regular file (%s); give the path of a results database", path,
                       file_kind(st.st_mode));
    return 0;
}

static int open_common(Store **out, const char *path, int readonly, char *err) {
    *out = NULL;
    if (!path || !*path) return err_set(err, "store: no database path given");
    if (check_regular(path, err)) return -1;
    Store *store = calloc(1, sizeof *store);
    if (!store) return err_set(err, "%s: out of memory", path);
    snprintf(store->path, sizeof store->path, "%s", path);
    store->readonly = readonly;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK) {
        int sys = store->db ? sqlite3_system_errno(store->db) : 0;
        if (store->db && sys)
            err_set(err, "%s: cannot open the database: %s (%s)", path, sqlite3_errmsg(store->db), strerror(sys));
        else if (store->db) store_fail(store, err, "cannot open the database");
        else err_set(err, "%s: cannot open the database: out of memory", path);
        store_close(store);
        return -1;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, 10000);
    *out = store;
    return 0;
}

/* The directory part of path ("." when there is none). malloc'd. */
static char *parent_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int store_check_writable(const char *path, char err[ERR_LEN]) {
    if (!path || !*path) return err_set(err, "store: no database path given");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (check_regular(path, err)) return -1;
        if (access(path, R_OK | W_OK) != 0)
            return err_set(err, "%s: the database cannot be written: %s", path, strerror(errno));
        if (st.st_size == 0) return 0;
        Store *store;
        if (open_common(&store, path, 1, err)) return -1;
        int rc = schema_check_identity(store, err);
        store_close(store);
        return rc;
    }
    if (errno != ENOENT) return err_set(err, "%s: cannot open the database: %s", path, strerror(errno));
    char *dir = parent_of(path);
    if (!dir) return err_set(err, "%s: out of memory", path);
    int rc = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = err_set(err, "%s: cannot create the database: %s is not a directory", path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        rc = err_set(err, "%s: cannot create the database in %s: %s", path, dir, strerror(errno));
    free(dir);
    return rc;
}

int store_open(Store **out, const char *path, char err[ERR_LEN]) {
    Store *store;
    if (open_common(&store, path, 0, err)) return -1;
    /* SQLite opens a file it may not write read-only without saying so; a sweep could not record anything */
    if (sqlite3_db_readonly(store->db, "main") == 1) {
        int writable = access(path, W_OK) == 0;
        err_set(err, "%s: the database cannot be written: %s", path,
                writable ? "SQLite opened it read-only" : strerror(errno));
        store_close(store);
        return -1;
    }
    /* Check the file is empty or ours before anything (even journal_mode) writes to it. */
    if (schema_check_identity(store, err) ||
        pragma_expect(store, "PRAGMA journal_mode = WAL", "wal", err) ||
        store_exec(store, "PRAGMA synchronous = FULL", "setting synchronous = FULL", err) ||
        store_exec(store, "PRAGMA foreign_keys = ON", "enabling foreign keys", err) ||
        schema_migrate(store, err)) {
        store_close(store);
        return -1;
    }
    *out = store;
    return 0;
}

int store_open_readonly(Store **out, const char *path, char err[ERR_LEN]) {
    *out = NULL;
    struct stat st;
    if (path && *path && stat(path, &st) != 0)
        return err_set(err, "%s: cannot open the results database: %s", path, strerror(errno));
    if (path && *path && !S_ISREG(st.st_mode)) return err_set(err, "%s: not a regular file", path);
    Store *store;
    if (open_common(&store, path, 1, err)) return -1;
    if (store_exec(store, "PRAGMA query_only = ON", "setting query_only", err) ||
        schema_check_identity(store, err) || schema_check_readonly(store, err)) {
        store_close(store);
        return -1;
    }
    *out = store;
    return 0;
}

void store_close(Store *store) {
    if (!store) return;
    for (int i = 0; i < STMT_COUNT; i++) sqlite3_finalize(store->stmts[i]);
    sqlite3_close(store->db); /* every statement is finalized, so this closes (and checkpoints) */
    free(store);
}

const char *store_path(const Store *store) { return store->path; }

int store_begin(Store *store, char err[ERR_LEN]) {
    /* IMMEDIATE takes the write lock now, so a batch never fails half-way for want of it. */
    return store_exec(store, "BEGIN IMMEDIATE", "beginning a transaction", err);
}

int store_commit(Store *store, char err[ERR_LEN]) {
    return store_exec(store, "COMMIT", "committing", err);
}

int store_rollback(Store *store) {
    if (sqlite3_get_autocommit(store->db)) return 0; /* no transaction open (SQLite may have rolled back) */
    return sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

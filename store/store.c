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

/* "file:/abs/path?immutable=1" with the path percent-encoded (SQLite's URI filenames). malloc'd. */
static char *immutable_uri(const char *path) {
    char *absolute = realpath(path, NULL);
    if (!absolute) return NULL;
    static const char query[] = "?immutable=1";
    char *uri = malloc(strlen("file:") + 3 * strlen(absolute) + sizeof query);
    if (uri) {
        char *o = uri + sprintf(uri, "file:");
        for (const unsigned char *p = (const unsigned char *)absolute; *p; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("/-._~", *p))
                *o++ = (char)*p;
            else o += sprintf(o, "%%%02X", *p);
        }
        memcpy(o, query, sizeof query);
    }
    free(absolute);
    return uri;
}

enum { OPEN_WRITE, OPEN_READ, OPEN_READ_IMMUTABLE };

static int open_common(Store **out, const char *path, int mode, char *err) {
    *out = NULL;
    if (!path || !*path) return err_set(err, "store: no database path given");
    if (check_regular(path, err)) return -1;
    Store *store = calloc(1, sizeof *store);
    if (!store) return err_set(err, "%s: out of memory", path);
    snprintf(store->path, sizeof store->path, "%s", path);
    store->readonly = mode != OPEN_WRITE;
    int flags = mode == OPEN_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    char *uri = NULL;
    if (mode == OPEN_READ_IMMUTABLE) {
        uri = immutable_uri(path);
        if (!uri) {
            free(store);
            return err_set(err, "%s: cannot open the database: %s", path, strerror(errno ? errno : ENOMEM));
        }
        flags |= SQLITE_OPEN_URI;
    }
    int opened = sqlite3_open_v2(uri ? uri : path, &store->db, flags, NULL);
    free(uri);
    if (opened != SQLITE_OK) {
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
        if (open_common(&store, path, OPEN_READ, err)) return -1;
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
    if (open_common(&store, path, OPEN_WRITE, err)) return -1;
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

static int readonly_checks(Store *store, char *err) {
    return store_exec(store, "PRAGMA query_only = ON", "setting query_only", err) ||
           schema_check_identity(store, err) || schema_check_readonly(store, err);
}

/* SQLite's errors for a WAL database whose -shm it can neither open nor create (a read-only medium). */
static int wal_index_unavailable(int code) {
    return (code & 0xff) == SQLITE_CANTOPEN || (code & 0xff) == SQLITE_READONLY;
}

int store_open_readonly(Store **out, const char *path, char err[ERR_LEN]) {
    *out = NULL;
    struct stat st;
    if (path && *path && stat(path, &st) != 0)
        return err_set(err, "%s: cannot open the results database: %s", path, strerror(errno));
    Store *store;
    if (open_common(&store, path, OPEN_READ, err)) return -1;
    if (!readonly_checks(store, err)) {
        *out = store;
        return 0;
    }
    int code = sqlite3_extended_errcode(store->db);
    store_close(store);
    if (!wal_index_unavailable(code)) return -1;
    /* A WAL database read-only needs its -shm (the WAL index): SQLite reads an existing one, or creates it
     * where it may write. On a read-only medium without it, the database file alone is complete when there
     * is no -wal, or an empty one, and is then read as immutable (no locks, no -shm); a -wal holding
     * changes cannot be read without the index, and reading around it would give stale results. */
    char *resolved = realpath(path, NULL); /* SQLite names the -wal after the path with links resolved */
    const char *base = resolved ? resolved : path;
    size_t len = strlen(base) + 8;
    char *wal = malloc(len);
    if (wal) snprintf(wal, len, "%s-wal", base);
    free(resolved);
    if (!wal) return err_set(err, "%s: out of memory", path);
    int wal_has_changes = stat(wal, &st) == 0 && st.st_size > 0;
    if (wal_has_changes) {
        err_set(err,
                "%s: cannot read the database here: %s holds changes not yet in the database file, and its "
                "-shm file is missing and cannot be created (a read-only medium?); open it once where it can "
                "be written, or copy the database with its -wal file to a writable place",
                path, wal);
        free(wal);
        return -1;
    }
    free(wal);
    if (open_common(&store, path, OPEN_READ_IMMUTABLE, err)) return -1;
    if (readonly_checks(store, err)) {
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

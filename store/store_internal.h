/* Private to cohort_store: the Store struct and helpers shared by store.c, schema.c, store_write.c and
 * store_read.c. */
#ifndef COHORT_STORE_INTERNAL_H
#define COHORT_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

/* Cohort databases carry this PRAGMA application_id ("CHRT"), so a foreign SQLite file is never taken
 * for (or turned into) a results database. */
#define STORE_APPLICATION_ID 0x43485254

/* ISO-8601 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z (24 characters). */
#define STORE_NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* Cached prepared statements, prepared on first use and finalized by store_close. */
enum {
    STMT_SWEEP_INSERT,
    STMT_SWEEP_FIND,
    STMT_RUN_INSERT,
    STMT_RUN_FIND,
    STMT_RUN_START,
    STMT_EPOCHS_DELETE,
    STMT_EPOCH_INSERT,
    STMT_RUN_END,
    STMT_RUN_REQUEUE,
    STMT_RUN_FAILURES,
    STMT_RUN_NOTE,
    STMT_RUN_PLACE,
    STMT_LOAD_RUNS,
    STMT_LOAD_EPOCHS,
    STMT_RUN_FLOPS,
    STMT_CHECKPOINT_CLEAR,
    STMT_CHECKPOINT_INSERT,
    STMT_CHECKPOINT_FIND,
    STMT_CHECKPOINTS_DELETE,
    STMT_COUNT
};

struct Store {
    sqlite3 *db;
    int readonly;
    char path[512]; /* for error messages */
    sqlite3_stmt *stmts[STMT_COUNT];
};

/* Writes "PATH: WHAT: <sqlite message>" into err and returns -1. */
int store_fail(Store *store, char *err, const char *what);
/* Runs SQL without results. */
int store_exec(Store *store, const char *sql, const char *what, char *err);
/* The cached statement `which`, prepared from sql on first use and reset with bindings cleared. */
int store_stmt(Store *store, int which, const char *sql, sqlite3_stmt **out, char *err);
/* Reads a single-integer query (e.g. a PRAGMA). */
int store_query_int(Store *store, const char *sql, int64_t *value, char *err);

/* schema.c */
/* Refuses a file that is neither an empty database nor a Cohort database this build understands
 * (foreign application, newer schema, not SQLite at all). Only reads. */
int schema_check_identity(Store *store, char *err);
/* Brings the schema from PRAGMA user_version to STORE_SCHEMA_VERSION in one transaction. */
int schema_migrate(Store *store, char *err);
/* Read-only opens: the file must already be at STORE_SCHEMA_VERSION with every table and view. */
int schema_check_readonly(Store *store, char *err);

#endif

/* Reading runs and their epochs back, for reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "store_query.h"

static void copy_text(char *dst, size_t size, sqlite3_stmt *stmt, int col) {
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    snprintf(dst, size, "%s", text ? text : "");
}

static char *dup_text_or_null(sqlite3_stmt *stmt, int col) {
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    return text ? strdup(text) : NULL;
}

static double column_metric(sqlite3_stmt *stmt, int col) {
    /* one API call (and one lock of the connection's mutex) per value: this runs for millions of values */
    sqlite3_value *v = sqlite3_column_value(stmt, col);
    return sqlite3_value_type(v) == SQLITE_NULL ? NAN : sqlite3_value_double(v);
}

static int load_epochs(Store *store, RunRecord *run, char *err) {
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_LOAD_EPOCHS,
                   "SELECT epoch, train_loss, train_top1, val_loss, val_top1, test_loss, test_top1, test_top5, lr, "
                   "wall_seconds, images_per_sec, train_objective FROM epochs WHERE run_id = ?1 ORDER BY epoch",
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
        m->train_objective = column_metric(stmt, 11);
    }
    if (rc != SQLITE_DONE) {
        store_fail(store, err, "loading epochs");
        sqlite3_reset(stmt);
        return -1;
    }
    sqlite3_reset(stmt);
    return 0;
}

/* Sorted run ids, for the --where filter and for matching epochs to runs. */
typedef struct {
    int64_t id;
    int index;
} IdIndex;

static int cmp_id_index(const void *a, const void *b) {
    int64_t x = ((const IdIndex *)a)->id, y = ((const IdIndex *)b)->id;
    return x < y ? -1 : x > y;
}

static int cmp_int64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int push_epoch(RunRecord *run, int *cap) {
    if (run->epoch_count < *cap) return 0;
    int grown_cap = *cap ? *cap * 2 : 16;
    EpochMetrics *grown = realloc(run->epochs, (size_t)grown_cap * sizeof *grown);
    if (!grown) return -1;
    run->epochs = grown;
    *cap = grown_cap;
    return 0;
}

/* Every run's epochs in one ordered pass over the epochs table (its primary key is (run_id, epoch)),
 * matched to the runs by a merge over the sorted run ids. */
static int load_epochs_scan(Store *store, RunRecord *runs, int count, char *err) {
    IdIndex *order = malloc((size_t)count * sizeof *order);
    int *caps = calloc((size_t)count, sizeof *caps);
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (!order || !caps) {
        err_set(err, "%s: loading epochs: out of memory", store->path);
        goto done;
    }
    for (int i = 0; i < count; i++) order[i] = (IdIndex){runs[i].id, i};
    qsort(order, (size_t)count, sizeof *order, cmp_id_index);
    if (sqlite3_prepare_v2(store->db,
                           "SELECT run_id, epoch, train_loss, train_top1, val_loss, val_top1, test_loss, test_top1, "
                           "test_top5, lr, wall_seconds, images_per_sec, train_objective FROM epochs "
                           "WHERE run_id BETWEEN ?1 AND ?2 "
                           "ORDER BY run_id, epoch",
                           -1, &stmt, NULL) != SQLITE_OK) {
        store_fail(store, err, "loading epochs");
        goto done;
    }
    sqlite3_bind_int64(stmt, 1, order[0].id);
    sqlite3_bind_int64(stmt, 2, order[count - 1].id);
    int k = 0, step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        while (k < count && order[k].id < id) k++;
        if (k == count) break;
        if (order[k].id != id) continue; /* a run that is filtered out */
        RunRecord *run = &runs[order[k].index];
        if (push_epoch(run, &caps[order[k].index])) {
            err_set(err, "%s: loading epochs of run %lld: out of memory", store->path, (long long)id);
            goto done;
        }
        EpochMetrics *m = &run->epochs[run->epoch_count++];
        m->epoch = sqlite3_column_int(stmt, 1);
        m->train_loss = column_metric(stmt, 2);
        m->train_top1 = column_metric(stmt, 3);
        m->val_loss = column_metric(stmt, 4);
        m->val_top1 = column_metric(stmt, 5);
        m->test_loss = column_metric(stmt, 6);
        m->test_top1 = column_metric(stmt, 7);
        m->test_top5 = column_metric(stmt, 8);
        m->lr = column_metric(stmt, 9);
        m->wall_seconds = column_metric(stmt, 10);
        m->images_per_sec = column_metric(stmt, 11);
        m->train_objective = column_metric(stmt, 12);
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        store_fail(store, err, "loading epochs");
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(stmt);
    free(order);
    free(caps);
    return rc;
}

/* The kept checkpoints of the loaded runs, in one pass over the table (small: a few rows per run). */
static int load_checkpoints(Store *store, RunRecord *runs, int count, char *err) {
    IdIndex *order = malloc((size_t)count * sizeof *order);
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (!order) {
        err_set(err, "%s: loading kept checkpoints: out of memory", store->path);
        return -1;
    }
    for (int i = 0; i < count; i++) order[i] = (IdIndex){runs[i].id, i};
    qsort(order, (size_t)count, sizeof *order, cmp_id_index);
    if (sqlite3_prepare_v2(store->db, "SELECT run_id, kind, epoch, size_bytes FROM checkpoints ORDER BY run_id, kind, epoch",
                           -1, &stmt, NULL) != SQLITE_OK) {
        store_fail(store, err, "loading kept checkpoints");
        goto done;
    }
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        IdIndex key = {sqlite3_column_int64(stmt, 0), 0};
        const IdIndex *found = bsearch(&key, order, (size_t)count, sizeof *order, cmp_id_index);
        if (!found) continue;
        RunRecord *run = &runs[found->index];
        const char *kind = (const char *)sqlite3_column_text(stmt, 1);
        const int epoch = sqlite3_column_int(stmt, 2);
        const int64_t bytes = sqlite3_column_int64(stmt, 3);
        if (!strcmp(kind, "best")) run->best_checkpoint_epoch = epoch, run->best_checkpoint_bytes = bytes;
        else if (!strcmp(kind, "last")) run->last_checkpoint_epoch = epoch, run->last_checkpoint_bytes = bytes;
        else run->epoch_checkpoints++;
    }
    if (step != SQLITE_DONE) {
        store_fail(store, err, "loading kept checkpoints");
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(stmt);
    free(order);
    return rc;
}

/* keep: sorted ids of the runs to keep (NULL = all). */
static int load_all(Store *store, const char *sweep_name, const int64_t *keep, int keep_count, RunRecord **runs_out,
                    int *count_out, char *err) {
    sqlite3_stmt *stmt;
    if (store_stmt(store, STMT_LOAD_RUNS,
                   "SELECT r.id, r.sweep_id, s.name, r.trial_key, r.trial_index, r.config_json, r.model, r.dataset, "
                   "r.seed, r.param_count, r.status, r.rank, r.host, r.started_at, r.finished_at, r.error, "
                   "r.flops_per_image, r.images_per_sec FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
                   "WHERE ?1 IS NULL OR s.name = ?1 ORDER BY r.sweep_id, r.trial_index, r.id",
                   &stmt, err))
        return -1;
    if (sweep_name) sqlite3_bind_text(stmt, 1, sweep_name, -1, SQLITE_TRANSIENT);
    RunRecord *runs = NULL;
    int count = 0, cap = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        if (keep && !bsearch(&id, keep, (size_t)keep_count, sizeof *keep, cmp_int64)) continue;
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
        r->id = id;
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
        r->flops_per_image = column_metric(stmt, 16);
        r->images_per_sec = column_metric(stmt, 17);
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
    /* A few runs: one indexed lookup each; many: one pass over the table. */
    int failed = 0;
    if (count > 0 && count <= 32) {
        for (int i = 0; i < count && !failed; i++) failed = load_epochs(store, &runs[i], err) != 0;
    } else if (count > 0) {
        failed = load_epochs_scan(store, runs, count, err) != 0;
    }
    if (!failed && count > 0) failed = load_checkpoints(store, runs, count, err) != 0;
    if (failed) {
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

/* ---- users' SQL ---- */
struct StoreSql {
    Store *store;
    sqlite3_stmt *stmt;
    struct timespec deadline; /* CLOCK_MONOTONIC; used when has_deadline */
    int has_deadline, timed_out;
};

typedef struct {
    int condition;       /* a --where condition: reads of tables and views and functions only */
    char reason[256];    /* the refusal to report */
    char schema_write[64]; /* a write to the schema table that SQLite asks about while preparing a read (it
                              declares an eponymous virtual table's columns, e.g. json_each, by parsing a CREATE
                              TABLE whose code is never run): allowed here, named if the statement writes */
    int selects;         /* SQLITE_SELECT actions seen: 0 for a PRAGMA statement */
    int pragma_read;     /* a PRAGMA from the allow-list of reads */
} Guard;

static const char *action_name(int action) {
    switch (action) {
    case SQLITE_INSERT: return "INSERT";
    case SQLITE_UPDATE: return "UPDATE";
    case SQLITE_DELETE: return "DELETE";
    case SQLITE_ATTACH: return "ATTACH";
    case SQLITE_DETACH: return "DETACH";
    case SQLITE_TRANSACTION: return "a transaction statement";
    case SQLITE_SAVEPOINT: return "SAVEPOINT";
    case SQLITE_ALTER_TABLE: return "ALTER TABLE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_ANALYZE: return "ANALYZE";
    case SQLITE_CREATE_VTABLE: case SQLITE_DROP_VTABLE: return "a virtual table statement";
    case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE: case SQLITE_CREATE_TEMP_TRIGGER: case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_VIEW: return "CREATE";
    case SQLITE_DROP_INDEX: case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_INDEX: case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER: case SQLITE_DROP_TEMP_VIEW: case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW: return "DROP";
    default: return "this statement";
    }
}

static int in_list(const char *name, const char *const *list) {
    for (int i = 0; name && list[i]; i++)
        if (sqlite3_stricmp(name, list[i]) == 0) return 1;
    return 0;
}

/* PRAGMAs that only report, asked without a value. journal_mode, locking_mode and the like set something
 * when given a value; without one they report (sqlite3_stmt_readonly() does not know that, so these are
 * allowed by name). Left out: optimize, wal_checkpoint, incremental_vacuum, shrink_memory and the like,
 * which act even without a value. */
static const char *const PRAGMA_READS[] = {
    "analysis_limit", "application_id", "auto_vacuum", "automatic_index", "busy_timeout", "cache_size",
    "cache_spill", "cell_size_check", "checkpoint_fullfsync", "collation_list", "compile_options",
    "data_version", "database_list", "defer_foreign_keys", "encoding", "foreign_key_check", "foreign_key_list",
    "foreign_keys", "freelist_count", "fullfsync", "function_list", "hard_heap_limit", "ignore_check_constraints",
    "index_info", "index_list", "index_xinfo", "integrity_check", "journal_mode", "journal_size_limit",
    "legacy_alter_table", "locking_mode", "max_page_count", "mmap_size", "module_list", "page_count", "page_size",
    "pragma_list", "query_only", "quick_check", "read_uncommitted", "recursive_triggers",
    "reverse_unordered_selects", "schema_version", "secure_delete", "soft_heap_limit", "synchronous", "table_info",
    "table_list", "table_xinfo", "temp_store", "threads", "trusted_schema", "user_version", "wal_autocheckpoint",
    "writable_schema", NULL};

/* PRAGMAs whose argument names what to report on (a table, an index, a row limit), not a value to set. */
static const char *const PRAGMA_READS_WITH_SUBJECT[] = {
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "foreign_key_check", "integrity_check", "quick_check", NULL};

/* SQLite's built-in SQL functions that only compute (core, date and time, math, JSON, window and aggregate
 * functions). Everything else is refused: fts3_tokenizer() returns a pointer into the library and with two
 * arguments registers one; load_extension() loads code; unknown names may be extensions. */
static const char *const FUNCTIONS[] = {
    /* core scalar */
    "abs", "changes", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull", "iif",
    "instr", "last_insert_rowid", "length", "like", "likelihood", "likely", "lower", "ltrim", "max", "min",
    "nullif", "octet_length", "printf", "quote", "random", "randomblob", "replace", "round", "rtrim", "sign",
    "soundex", "sqlite_compileoption_get", "sqlite_compileoption_used", "sqlite_offset", "sqlite_source_id",
    "sqlite_version", "substr", "substring", "total_changes", "trim", "typeof", "unhex", "unicode", "unlikely",
    "upper", "zeroblob",
    /* date and time */
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff", "current_date", "current_time",
    "current_timestamp",
    /* math */
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh", "degrees", "exp",
    "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians", "sin", "sinh", "sqrt", "tan",
    "tanh", "trunc",
    /* aggregate */
    "avg", "count", "group_concat", "string_agg", "sum", "total",
    /* window */
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
    "last_value", "nth_value",
    /* JSON (json_each and json_tree are table-valued: reads of a table) */
    "json", "json_array", "json_array_length", "json_error_position", "json_extract", "json_group_array",
    "json_group_object", "json_insert", "json_object", "json_patch", "json_pretty", "json_quote", "json_remove",
    "json_replace", "json_set", "json_type", "json_valid", "->", "->>", NULL};

static int is_schema_table(const char *table) {
    return table && (!sqlite3_stricmp(table, "sqlite_master") || !sqlite3_stricmp(table, "sqlite_schema") ||
                     !sqlite3_stricmp(table, "sqlite_temp_master") || !sqlite3_stricmp(table, "sqlite_temp_schema"));
}

/* An allow-list: reads of tables, views and table-valued functions, the built-in functions above and the
 * PRAGMAs that report; everything else is denied with a reason. */
static int authorize(void *user, int action, const char *a3, const char *a4, const char *db, const char *trigger) {
    (void)db, (void)trigger;
    Guard *g = user;
    switch (action) {
    case SQLITE_SELECT: g->selects++; return SQLITE_OK;
    case SQLITE_READ:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    case SQLITE_FUNCTION: /* a4: the function's name */
        if (in_list(a4, FUNCTIONS)) return SQLITE_OK;
        if (!*g->reason)
            snprintf(g->reason, sizeof g->reason,
                     "function %s() is not allowed (only SQLite's built-in functions that compute a value)",
                     a4 ? a4 : "?");
        return SQLITE_DENY;
    case SQLITE_PRAGMA: /* a3: the PRAGMA's name, a4: its argument or NULL */
        if (g->condition) {
            if (!*g->reason) snprintf(g->reason, sizeof g->reason, "PRAGMA is not allowed in a condition");
            return SQLITE_DENY;
        }
        if (a4 ? in_list(a3, PRAGMA_READS_WITH_SUBJECT) : in_list(a3, PRAGMA_READS)) {
            if (!g->selects) g->pragma_read = 1;
            return SQLITE_OK;
        }
        if (!*g->reason)
            snprintf(g->reason, sizeof g->reason, "PRAGMA %s%s%s would change the database or the connection", a3,
                     a4 ? " = " : "", a4 ? a4 : "");
        return SQLITE_DENY;
    default: {
        if ((action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) && is_schema_table(a3)) {
            /* DDL writes the schema table too, before its own (denied) action, which names it better; the
             * writes a read's preparation asks about are allowed: sqlite3_stmt_readonly() decides */
            if (!*g->schema_write) snprintf(g->schema_write, sizeof g->schema_write, "%s", action_name(action));
            return SQLITE_OK;
        }
        if (!*g->reason) {
            if (action == SQLITE_ATTACH || action == SQLITE_DETACH)
                snprintf(g->reason, sizeof g->reason, "%s is not allowed (only this database can be read)",
                         action_name(action));
            else
                snprintf(g->reason, sizeof g->reason, "%s would change the database", action_name(action));
        }
        return SQLITE_DENY;
    }
    }
}

static int all_blank(const char *p) {
    for (; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != ';') return 0;
    return 1;
}

/* Prepares sql under the guard; refusals are counted in *refused. */
static int prepare_guarded(Store *store, const char *sql, int condition, sqlite3_stmt **out, int *refused,
                           const char *what, char *err) {
    *out = NULL;
    *refused = 0;
    Guard guard = {.condition = condition};
    sqlite3_limit(store->db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_set_authorizer(store->db, authorize, &guard);
    const char *tail = NULL;
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, &tail);
    int more = 0;
    if (rc == SQLITE_OK && stmt && tail && !all_blank(tail)) {
        /* Something follows: refuse a second statement, accept comments. */
        sqlite3_stmt *next = NULL;
        int rc2 = sqlite3_prepare_v2(store->db, tail, -1, &next, NULL);
        more = rc2 != SQLITE_OK || next != NULL;
        sqlite3_finalize(next);
    }
    sqlite3_set_authorizer(store->db, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        if (*guard.reason) {
            *refused = 1;
            return err_set(err, "%s: refused: %s; only reading is allowed (the database is opened read-only)", what,
                           guard.reason);
        }
        return err_set(err, "%s: %s", what, sqlite3_errmsg(store->db));
    }
    if (!stmt) return err_set(err, "%s: no SQL statement given", what);
    if (*guard.reason) {
        sqlite3_finalize(stmt);
        *refused = 1;
        return err_set(err, "%s: refused: %s; only reading is allowed (the database is opened read-only)", what,
                       guard.reason);
    }
    if (more) {
        sqlite3_finalize(stmt);
        *refused = 1;
        return err_set(err, "%s: refused: more than one statement (give one query)", what);
    }
    /* a PRAGMA from the list of reads is one whatever SQLite says (journal_mode is "not read-only" to it) */
    if (!sqlite3_stmt_readonly(stmt) && !guard.pragma_read) {
        sqlite3_finalize(stmt);
        *refused = 1;
        if (*guard.schema_write)
            return err_set(err, "%s: refused: %s would change the database; only reading is allowed (the database is "
                                "opened read-only)",
                           what, guard.schema_write);
        return err_set(err, "%s: refused: the statement would write; only reading is allowed (the database is opened "
                            "read-only)",
                       what);
    }
    *out = stmt;
    return 0;
}

int store_sql_prepare(Store *store, const char *sql, StoreSql **out, int *refused, char err[ERR_LEN]) {
    *out = NULL;
    int dummy;
    if (!refused) refused = &dummy;
    *refused = 0;
    if (!store->readonly) return err_set(err, "query: the database must be opened read-only");
    StoreSql *q = calloc(1, sizeof *q);
    if (!q) return err_set(err, "query: out of memory");
    if (prepare_guarded(store, sql ? sql : "", 0, &q->stmt, refused, "query", err)) {
        free(q);
        return -1;
    }
    q->store = store;
    *out = q;
    return 0;
}

int store_sql_step(StoreSql *q, char err[ERR_LEN]) {
    int rc = sqlite3_step(q->stmt);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    if (q->timed_out) return err_set(err, "%s: query: stopped at its time limit", q->store->path);
    return store_fail(q->store, err, "query");
}

/* SQLite calls this every PROGRESS_OPS virtual-machine instructions; non-zero interrupts the statement. */
enum { PROGRESS_OPS = 10000 };
static int past_deadline(void *user) {
    StoreSql *q = user;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > q->deadline.tv_sec || (now.tv_sec == q->deadline.tv_sec && now.tv_nsec >= q->deadline.tv_nsec))
        q->timed_out = 1;
    return q->timed_out;
}

void store_sql_set_timeout(StoreSql *q, double seconds) {
    q->has_deadline = seconds > 0;
    q->timed_out = 0;
    if (!q->has_deadline) {
        sqlite3_progress_handler(q->store->db, 0, NULL, NULL);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &q->deadline);
    double whole = floor(seconds);
    if (whole > 1e9) whole = 1e9; /* a limit of 30 years is none */
    q->deadline.tv_sec += (time_t)whole;
    q->deadline.tv_nsec += (long)((seconds - whole) * 1e9);
    if (q->deadline.tv_nsec >= 1000000000L) q->deadline.tv_sec++, q->deadline.tv_nsec -= 1000000000L;
    sqlite3_progress_handler(q->store->db, PROGRESS_OPS, past_deadline, q);
}

int store_sql_timed_out(const StoreSql *q) { return q->timed_out; }

int store_sql_columns(const StoreSql *q) { return sqlite3_column_count(q->stmt); }
const char *store_sql_name(const StoreSql *q, int col) {
    const char *name = sqlite3_column_name(q->stmt, col);
    return name ? name : "";
}
int store_sql_type(const StoreSql *q, int col) { return sqlite3_column_type(q->stmt, col); }
int64_t store_sql_int(const StoreSql *q, int col) { return sqlite3_column_int64(q->stmt, col); }
double store_sql_double(const StoreSql *q, int col) { return sqlite3_column_double(q->stmt, col); }
const char *store_sql_text(const StoreSql *q, int col) { return (const char *)sqlite3_column_text(q->stmt, col); }

void store_sql_finalize(StoreSql *q) {
    if (!q) return;
    if (q->has_deadline) sqlite3_progress_handler(q->store->db, 0, NULL, NULL);
    sqlite3_finalize(q->stmt);
    free(q);
}

static int prepare_condition(Store *store, const char *condition, sqlite3_stmt **out, char *err) {
    *out = NULL;
    if (!condition || !*condition) return err_set(err, "--where: empty condition");
    if (strchr(condition, ';'))
        return err_set(err, "--where: refused: ';' is not allowed (give one SQL condition, e.g. \"lr > 0.01\")");
    size_t n = strlen(condition) + 64;
    char *sql = malloc(n);
    if (!sql) return err_set(err, "--where: out of memory");
    snprintf(sql, n, "SELECT run_id FROM run_overview WHERE (\n%s\n)", condition);
    int refused;
    int rc = prepare_guarded(store, sql, 1, out, &refused, "--where", err);
    free(sql);
    if (rc == 0 && sqlite3_column_count(*out) != 1) {
        sqlite3_finalize(*out);
        *out = NULL;
        return err_set(err, "--where: not a single condition");
    }
    return rc;
}

int store_check_condition(Store *store, const char *condition, char err[ERR_LEN]) {
    sqlite3_stmt *stmt;
    if (prepare_condition(store, condition, &stmt, err)) return -1;
    sqlite3_finalize(stmt);
    return 0;
}

/* The sorted ids of the runs matching condition. */
static int matching_ids(Store *store, const char *condition, int64_t **ids_out, int *count_out, char *err) {
    sqlite3_stmt *stmt;
    if (prepare_condition(store, condition, &stmt, err)) return -1;
    int64_t *ids = NULL;
    int count = 0, cap = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *grown = realloc(ids, (size_t)cap * sizeof *grown);
            if (!grown) {
                free(ids);
                sqlite3_finalize(stmt);
                return err_set(err, "--where: out of memory");
            }
            ids = grown;
        }
        ids[count++] = sqlite3_column_int64(stmt, 0);
    }
    if (rc != SQLITE_DONE) {
        err_set(err, "--where: %s", sqlite3_errmsg(store->db));
        free(ids);
        sqlite3_finalize(stmt);
        return -1;
    }
    sqlite3_finalize(stmt);
    if (count) qsort(ids, (size_t)count, sizeof *ids, cmp_int64);
    *ids_out = ids;
    *count_out = count;
    return 0;
}

int store_load_runs_where(Store *store, const char *sweep_name, const char *condition, RunRecord **runs, int *count,
                          char err[ERR_LEN]) {
    *runs = NULL;
    *count = 0;
    /* One snapshot for the filter, runs and epochs: a savepoint works inside or outside a transaction. */
    if (store_exec(store, "SAVEPOINT load_runs", "loading runs", err)) return -1;
    int64_t *ids = NULL;
    int id_count = 0, rc = 0;
    if (condition) rc = matching_ids(store, condition, &ids, &id_count, err);
    if (!rc) {
        static const int64_t none = 0;
        rc = load_all(store, sweep_name, condition ? (ids ? ids : &none) : NULL, id_count, runs, count, err);
    }
    free(ids);
    sqlite3_exec(store->db, "RELEASE load_runs", NULL, NULL, NULL);
    return rc;
}

int store_load_runs(Store *store, const char *sweep_name, RunRecord **runs, int *count, char err[ERR_LEN]) {
    return store_load_runs_where(store, sweep_name, NULL, runs, count, err);
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

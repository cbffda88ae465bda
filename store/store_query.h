/* Users' own SQL against a results database opened with store_open_readonly: `cohort query "SELECT ..."`
 * and the `--where` condition of `cohort report`.
 *
 * Four layers keep it read-only: the connection is opened SQLITE_OPEN_READONLY with PRAGMA query_only and
 * no attached databases allowed; an authorizer with an allow-list admits, while the statement is prepared,
 * only reads of tables, views and table-valued functions (json_each, pragma_table_info, ...), SQLite's
 * built-in functions that compute a value (not fts3_tokenizer, load_extension or unknown ones) and the
 * PRAGMAs that report (journal_mode or user_version without a value, table_info(runs), ...);
 * sqlite3_stmt_readonly() must agree (it catches VACUUM INTO), except for those PRAGMAs, which it counts as
 * writes; and only one statement is accepted.
 * Refusals say what was refused and why.
 *
 * The views the statements usually read (run_summary, run_params, run_overview) are described in schema.c
 * and docs/ARCHITECTURE.md. */
#ifndef COHORT_STORE_QUERY_H
#define COHORT_STORE_QUERY_H

#include <stdint.h>

#include "store.h"

typedef struct StoreSql StoreSql;

/* Column types, as SQLite's (SQLITE_INTEGER ... SQLITE_NULL). */
enum { STORE_SQL_INTEGER = 1, STORE_SQL_FLOAT = 2, STORE_SQL_TEXT = 3, STORE_SQL_BLOB = 4, STORE_SQL_NULL = 5 };

/* Prepares one read-only statement (a trailing ';' is fine). Non-zero with err on a syntax error or a
 * refusal ("refused: ... would write ..."); *refused (may be NULL) is set to 1 for refusals, 0 otherwise. */
int store_sql_prepare(Store *store, const char *sql, StoreSql **out, int *refused, char err[ERR_LEN]);
/* 1 = a row is ready, 0 = done, -1 = error (err set). */
int store_sql_step(StoreSql *q, char err[ERR_LEN]);
/* Interrupts the statement once it has run `seconds` from now (0 = no limit): store_sql_step then fails
 * and store_sql_timed_out says why. */
void store_sql_set_timeout(StoreSql *q, double seconds);
int store_sql_timed_out(const StoreSql *q);
int store_sql_columns(const StoreSql *q);
const char *store_sql_name(const StoreSql *q, int col);
int store_sql_type(const StoreSql *q, int col);
int64_t store_sql_int(const StoreSql *q, int col);
double store_sql_double(const StoreSql *q, int col);
/* The value as text (NULL for SQL NULL); valid until the next step. */
const char *store_sql_text(const StoreSql *q, int col);
void store_sql_finalize(StoreSql *q);

/* Checks a `--where` condition: one SQL expression over run_overview's columns, no ';', read-only.
 * Non-zero with err ("--where: ...") otherwise. */
int store_check_condition(Store *store, const char *condition, char err[ERR_LEN]);

/* store_load_runs, keeping only the runs for which `condition` (over run_overview's columns; NULL = all)
 * is true. Epochs are read in one pass over the epochs table. */
int store_load_runs_where(Store *store, const char *sweep_name, const char *condition, RunRecord **runs,
                          int *count, char err[ERR_LEN]);

#endif

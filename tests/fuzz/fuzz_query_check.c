/* Fuzzes the read-only SQL gate (store/store_read.c, store_query.h): the input is a statement for
 * `cohort query` (store_sql_prepare) and, the same text, a `--where` condition for `cohort report`
 * (store_check_condition, then store_load_runs_where), against the report tests' small results database
 * (tests/report_fixture.c: two sweeps, 23 runs), built once per process in a scratch file and opened
 * read-only as the commands open it.
 *
 * Admitted statements and conditions are run, bounded by a progress handler (2 M virtual-machine steps)
 * and a 1 MiB limit on strings and blobs, so that a recursive query or randomblob(1e9) ends quickly.
 *
 * Properties checked besides memory safety and leaks:
 *   - an admitted statement never tries to write (its steps never fail with SQLITE_READONLY: writes must be
 *     refused when the statement is prepared, with a message, not fail half-way through the rows);
 *   - nothing changes the database (sqlite3_total_changes stays 0);
 *   - a refusal starts "query: refused: " and sets *refused, other failures do not; every failure has a
 *     message starting with `query: ` or `--where: `. */
#include "fuzz_common.h"
#include "report_fixture.h"
#include "store_internal.h"
#include "store_query.h"

#define SQL_MAX_INPUT 4096
#define STEP_BUDGET 2000 /* progress callbacks of 1000 virtual-machine instructions each */
#define MAX_ROWS 200

static Store *store;
static int steps_left;

static int progress(void *user) {
    (void)user;
    return --steps_left < 0; /* non-zero interrupts the statement */
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char path[512], err[ERR_LEN] = "";
    fuzz_scratch_dir("query");
    fuzz_path(path, sizeof path, "results.db");
    if (fx_build(path) || store_open_readonly(&store, path, err)) {
        fprintf(stderr, "fuzz_query_check: %s\n", err);
        abort();
    }
    sqlite3_limit(store->db, SQLITE_LIMIT_LENGTH, 1 << 20);
    sqlite3_progress_handler(store->db, 1000, progress, NULL);
    return 0;
}

static void query(const char *sql) {
    StoreSql *q = NULL;
    int refused = -1;
    char err[ERR_LEN] = "";
    steps_left = STEP_BUDGET;
    if (store_sql_prepare(store, sql, &q, &refused, err)) {
        FUZZ_REQUIRE(!strncmp(err, "query: ", 7), "message: %s", err);
        FUZZ_REQUIRE(refused == 0 || refused == 1, "refused = %d", refused);
        FUZZ_REQUIRE(!refused == !!strncmp(err, "query: refused: ", 16), "refused = %d, message: %s", refused, err);
        FUZZ_REQUIRE(q == NULL, "a refused statement was returned");
        return;
    }
    FUZZ_REQUIRE(q != NULL && refused == 0, "admitted without a statement (refused = %d)", refused);
    int r = 0;
    for (int rows = 0; rows < MAX_ROWS && (r = store_sql_step(q, err)) == 1; rows++)
        for (int c = 0; c < store_sql_columns(q); c++) {
            (void)store_sql_name(q, c);
            if (store_sql_type(q, c) != STORE_SQL_NULL) (void)store_sql_text(q, c);
        }
    if (r < 0)
        FUZZ_REQUIRE((sqlite3_errcode(store->db) & 0xff) != SQLITE_READONLY,
                     "an admitted statement tried to write: %s -> %s", sql, err);
    store_sql_finalize(q);
}

static void condition(const char *where) {
    char err[ERR_LEN] = "";
    steps_left = STEP_BUDGET;
    if (store_check_condition(store, where, err)) {
        FUZZ_REQUIRE(!strncmp(err, "--where: ", 9), "message: %s", err);
        return;
    }
    FUZZ_REQUIRE(!strchr(where, ';'), "a condition with ';' was admitted");
    RunRecord *runs = NULL;
    int count = -1;
    steps_left = STEP_BUDGET;
    if (store_load_runs_where(store, NULL, where, &runs, &count, err) == 0) {
        FUZZ_REQUIRE(count >= 0 && count <= 23, "%d runs matched", count);
        store_free_runs(runs, count);
    } else {
        FUZZ_REQUIRE((sqlite3_errcode(store->db) & 0xff) != SQLITE_READONLY,
                     "an admitted condition tried to write: %s -> %s", where, err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > SQL_MAX_INPUT) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    query(text);
    condition(text);
    FUZZ_REQUIRE(sqlite3_total_changes(store->db) == 0, "the database changed after: %s", text);
    free(text);
    return 0;
}

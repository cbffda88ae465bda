/* cohort query: one read-only SQL statement against a results database, printed as an aligned table,
 * CSV (RFC 4180) or JSON. The database is opened read-only and statements that would write are refused
 * before they run (see store_query.h). A time limit (--timeout) stops a statement that runs too long, and
 * the table is printed as rows arrive once the column widths are known from the first rows, so memory
 * stays bounded whatever the result's size. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "store_query.h"
#include "text_escape.h"

enum { MODE_TABLE, MODE_CSV, MODE_JSON };
enum {
    MAX_CELL = 100,        /* characters shown of a table cell */
    WIDTH_ROWS = 1000,     /* rows that decide the table's column widths and alignment */
    DEFAULT_TIMEOUT = 300, /* seconds */
};

static const char HELP[] =
    "usage: cohort query --db PATH [--csv [--csv-safe] | --json] [--timeout SECONDS] \"SELECT ...\"\n"
    "\n"
    "Runs one read-only SQL statement and prints the rows: an aligned table, --csv (RFC 4180) or --json (an\n"
    "array of objects). The database is opened read-only; INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH,\n"
    "transactions, PRAGMAs that set values and functions other than SQLite's built-in ones are refused.\n"
    "\n"
    "  --timeout SECONDS  stop a statement still running after this long, with exit code 1 (default 300;\n"
    "                     0: no limit)\n"
    "  --csv-safe         with --csv: prefix text cells that start with = + - @ (a formula to a\n"
    "                     spreadsheet) with ' ; by default --csv writes every value as stored\n"
    "\n"
    "The table takes its column widths from the first 1000 rows and then prints rows as they come (a wider\n"
    "value later overflows its column); cells are cut at 100 characters, and control characters and bytes\n"
    "that are not UTF-8 are shown as U+FFFD. --json writes such bytes as \\ufffd, so it is always valid JSON.\n"
    "\n"
    "Views: run_summary (one row per run: final and best metrics, config), run_params (hyperparameters\n"
    "as columns: lr, batch_size, epochs, ...), run_overview (both); tables sweeps, runs, epochs.\n"
    "  cohort query --db results.db \"SELECT model, lr, count(*) AS n, avg(final_test_top1) AS top1\n"
    "                               FROM run_overview WHERE status = 'finished' GROUP BY config\"\n";

/* The value as text (malloc'd, NULL when out of memory): numbers with the digits that read back exactly,
 * NULL as "NULL" in a table and "" elsewhere, blobs as "(blob)". */
static char *value_text(const StoreSql *q, int col, int mode, int *numeric) {
    int type = store_sql_type(q, col);
    char buf[64];
    *numeric = type == STORE_SQL_INTEGER || type == STORE_SQL_FLOAT;
    switch (type) {
    case STORE_SQL_NULL: return strdup(mode == MODE_TABLE ? "NULL" : "");
    case STORE_SQL_INTEGER: snprintf(buf, sizeof buf, "%lld", (long long)store_sql_int(q, col)); return strdup(buf);
    case STORE_SQL_FLOAT: {
        double v = store_sql_double(q, col);
        for (int digits = 15; digits <= 17; digits++) { /* the shortest that reads back exactly */
            snprintf(buf, sizeof buf, "%.*g", digits, v);
            if (strtod(buf, NULL) == v || !isfinite(v)) break;
        }
        return strdup(buf);
    }
    case STORE_SQL_BLOB: return strdup("(blob)");
    default: {
        const char *t = store_sql_text(q, col);
        return strdup(t ? t : "");
    }
    }
}

/* Characters (UTF-8 code points) in s, which is well-formed UTF-8. */
static int display_width(const char *s) {
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A table cell: safe for a terminal, on one line, at most MAX_CELL characters (then an ellipsis). Takes
 * text, returns a new string (NULL when out of memory). */
static char *table_cell(char *text) {
    char *safe = text_for_terminal(text, 0);
    free(text);
    if (!safe) return NULL;
    int chars = 0;
    for (char *p = safe; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > MAX_CELL) {
            size_t keep = (size_t)(p - safe);
            char *cut = malloc(keep + 4);
            if (!cut) {
                free(safe);
                return NULL;
            }
            memcpy(cut, safe, keep);
            memcpy(cut + keep, "\xE2\x80\xA6", 4); /* ... and the NUL */
            free(safe);
            return cut;
        }
    return safe;
}

static void pad(int n) {
    for (int i = 0; i < n; i++) putchar(' ');
}

typedef struct {
    int cols;
    char **names;   /* [cols] the column names as shown */
    int *width;     /* [cols] from the names and the first WIDTH_ROWS rows */
    int *right;     /* [cols] numbers only in those rows: right-aligned */
    char **buffered; /* [WIDTH_ROWS * cols] the first rows' cells, until the widths are known */
    int *numeric;    /* [WIDTH_ROWS * cols] */
    int held;        /* rows in buffered */
    int started;     /* header printed: rows go out as they come */
} Table;

static void table_row(const Table *t, char *const *cells) {
    for (int c = 0; c < t->cols; c++) {
        int w = display_width(cells[c]);
        fputs(c ? "  " : "", stdout);
        if (t->right[c]) pad(t->width[c] - w), fputs(cells[c], stdout);
        else {
            fputs(cells[c], stdout);
            if (c + 1 < t->cols) pad(t->width[c] - w);
        }
    }
    putchar('\n');
}

/* Widths and alignment from the names and the rows held so far, then the header and those rows. */
static void table_start(Table *t) {
    for (int c = 0; c < t->cols; c++) {
        t->width[c] = display_width(t->names[c]);
        int numbers = 0, others = 0;
        for (int r = 0; r < t->held; r++) {
            const char *cell = t->buffered[r * t->cols + c];
            int w = display_width(cell);
            if (w > t->width[c]) t->width[c] = w;
            if (t->numeric[r * t->cols + c]) numbers++;
            else if (strcmp(cell, "NULL") != 0) others++;
        }
        t->right[c] = numbers > 0 && others == 0;
    }
    for (int c = 0; c < t->cols; c++) {
        fputs(c ? "  " : "", stdout);
        if (t->right[c]) pad(t->width[c] - display_width(t->names[c]));
        fputs(t->names[c], stdout);
        if (!t->right[c] && c + 1 < t->cols) pad(t->width[c] - display_width(t->names[c]));
    }
    putchar('\n');
    for (int c = 0; c < t->cols; c++) {
        fputs(c ? "  " : "", stdout);
        for (int i = 0; i < t->width[c]; i++) putchar('-');
    }
    putchar('\n');
    for (int r = 0; r < t->held; r++) {
        table_row(t, &t->buffered[r * t->cols]);
        for (int c = 0; c < t->cols; c++) free(t->buffered[r * t->cols + c]), t->buffered[r * t->cols + c] = NULL;
    }
    t->held = 0;
    t->started = 1;
}

static void table_free(Table *t) {
    for (int i = 0; t->buffered && i < t->held * t->cols; i++) free(t->buffered[i]);
    for (int c = 0; t->names && c < t->cols; c++) free(t->names[c]);
    free(t->names), free(t->width), free(t->right), free(t->buffered), free(t->numeric);
}

/* 0 done, -1 error (err set), 1 standard output failed (main reports it). */
static int run_query(StoreSql *q, int mode, int csv_safe, char *err) {
    int cols = store_sql_columns(q), rc;
    long long count = 0;
    Table t = {.cols = cols};
    if (mode == MODE_TABLE) {
        t.names = calloc((size_t)cols + 1, sizeof *t.names);
        t.width = calloc((size_t)cols + 1, sizeof *t.width);
        t.right = calloc((size_t)cols + 1, sizeof *t.right);
        t.buffered = calloc((size_t)WIDTH_ROWS * (size_t)cols + 1, sizeof *t.buffered);
        t.numeric = calloc((size_t)WIDTH_ROWS * (size_t)cols + 1, sizeof *t.numeric);
        if (!t.names || !t.width || !t.right || !t.buffered || !t.numeric) goto oom;
        for (int c = 0; c < cols; c++)
            if (!(t.names[c] = table_cell(strdup(store_sql_name(q, c))))) goto oom;
    } else if (mode == MODE_CSV) {
        for (int c = 0; c < cols; c++) fputs(c ? "," : "", stdout), csv_field(stdout, store_sql_name(q, c), csv_safe);
        fputs("\r\n", stdout);
    } else {
        putchar('[');
    }
    while ((rc = store_sql_step(q, err)) == 1) {
        if (mode == MODE_TABLE) {
            char **cells = t.started ? t.buffered : &t.buffered[t.held * cols];
            int *numeric = t.started ? t.numeric : &t.numeric[t.held * cols];
            for (int c = 0; c < cols; c++) {
                char *text = value_text(q, c, mode, &numeric[c]);
                if (!text || !(cells[c] = table_cell(text))) {
                    t.held += !t.started; /* so table_free frees this row's cells */
                    goto oom;
                }
            }
            if (t.started) {
                table_row(&t, cells);
                for (int c = 0; c < cols; c++) free(cells[c]), cells[c] = NULL;
            } else if (++t.held == WIDTH_ROWS) {
                table_start(&t);
            }
        } else if (mode == MODE_CSV) {
            for (int c = 0; c < cols; c++) {
                int numeric;
                char *text = value_text(q, c, mode, &numeric);
                if (!text) goto oom;
                fputs(c ? "," : "", stdout);
                csv_field(stdout, text, csv_safe && !numeric);
                free(text);
            }
            fputs("\r\n", stdout);
        } else {
            fputs(count ? ",\n{" : "\n{", stdout);
            for (int c = 0; c < cols; c++) {
                fputs(c ? "," : "", stdout);
                json_string(stdout, store_sql_name(q, c));
                putchar(':');
                int type = store_sql_type(q, c), numeric;
                char *text = value_text(q, c, mode, &numeric);
                if (!text) goto oom;
                if (type == STORE_SQL_NULL) fputs("null", stdout);
                else if (numeric && strspn(text, "0123456789+-.eE") == strlen(text)) fputs(text, stdout); /* not inf/nan */
                else if (numeric) fputs("null", stdout);
                else json_string(stdout, text);
                free(text);
            }
            putchar('}');
        }
        count++;
        if (ferror(stdout)) {
            table_free(&t);
            return 1; /* no point running the statement on */
        }
    }
    if (mode == MODE_JSON && rc == 0) fputs(count ? "\n]\n" : "]\n", stdout);
    if (mode == MODE_TABLE && rc == 0) {
        if (!t.started) table_start(&t);
        printf("(%lld row%s)\n", count, count == 1 ? "" : "s");
    }
    table_free(&t);
    return rc < 0 ? -1 : 0;
oom:
    table_free(&t);
    return err_set(err, "out of memory");
}

/* Seconds: a number >= 0 (0 = no limit); -1 when malformed. */
static double parse_timeout(const char *text) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v) || v < 0 || strpbrk(text, "xXpP")) return -1;
    return v;
}

int cli_query(int argc, char **argv) {
    const char *db = NULL, *sql = NULL;
    int mode = MODE_TABLE, csv_safe = 0;
    double timeout = DEFAULT_TIMEOUT;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(HELP, stdout);
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--csv")) mode = MODE_CSV;
        else if (!strcmp(argv[i], "--json")) mode = MODE_JSON;
        else if (!strcmp(argv[i], "--csv-safe")) csv_safe = 1;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            timeout = parse_timeout(argv[++i]);
            if (timeout < 0) {
                fprintf(stderr, "cohort query: --timeout: expected seconds (a number >= 0; 0 for no limit), got '%s'\n",
                        argv[i]);
                return EXIT_BAD_INPUT;
            }
        } else if (argv[i][0] != '-' && !sql) sql = argv[i];
        else {
            fprintf(stderr, "cohort query: unexpected argument '%s'\n\n%s", argv[i], HELP);
            return EXIT_BAD_INPUT;
        }
    }
    if (!db || !sql) {
        fprintf(stderr, "cohort query: --db and a SQL statement are required\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    if (csv_safe && mode != MODE_CSV) {
        fprintf(stderr, "cohort query: --csv-safe goes with --csv\n");
        return EXIT_BAD_INPUT;
    }
    char err[ERR_LEN];
    Store *store = NULL;
    if (store_open_readonly(&store, db, err)) {
        fprintf(stderr, "cohort query: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    StoreSql *q = NULL;
    int refused = 0;
    if (store_sql_prepare(store, sql, &q, &refused, err)) {
        fprintf(stderr, "cohort %s\n", err);
        store_close(store);
        return EXIT_BAD_INPUT;
    }
    store_sql_set_timeout(q, timeout);
    int rc = run_query(q, mode, csv_safe, err);
    int timed_out = store_sql_timed_out(q);
    store_sql_finalize(q);
    store_close(store);
    if (rc < 0) {
        fflush(stdout);
        if (timed_out)
            fprintf(stderr, "cohort query: stopped after %g s, the time limit (--timeout SECONDS sets it; 0 for none)\n",
                    timeout);
        else fprintf(stderr, "cohort query: %s\n", err);
    }
    return rc ? EXIT_RUNTIME : EXIT_OK;
}

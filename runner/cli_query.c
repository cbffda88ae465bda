/* cohort query: one read-only SQL statement against a results database, printed as an aligned table,
 * CSV (RFC 4180) or JSON. The database is opened read-only and statements that would write are refused
 * before they run (see store_query.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "store_query.h"

static const char HELP[] =
    "usage: cohort query --db PATH [--csv | --json] \"SELECT ...\"\n"
    "\n"
    "Runs one read-only SQL statement and prints the rows: an aligned table (long values cut at 100\n"
    "characters), --csv (RFC 4180) or --json (an array of objects). The database is opened read-only;\n"
    "INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH, transactions and PRAGMAs that set values are refused.\n"
    "\n"
    "Views: run_summary (one row per run: final and best metrics, config), run_params (hyperparameters\n"
    "as columns: lr, batch_size, epochs, ...), run_overview (both); tables sweeps, runs, epochs.\n"
    "  cohort query --db results.db \"SELECT model, lr, count(*) AS n, avg(final_test_top1) AS top1\n"
    "                               FROM run_overview WHERE status = 'finished' GROUP BY config\"\n";

enum { MODE_TABLE, MODE_CSV, MODE_JSON, MAX_CELL = 100 };

/* ---- one row of text cells, for the table ---- */
typedef struct {
    char **cells;
    int *numeric;
} Row;

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
    case STORE_SQL_BLOB: snprintf(buf, sizeof buf, "(blob)"); return strdup(buf);
    default: {
        const char *t = store_sql_text(q, col);
        return strdup(t ? t : "");
    }
    }
}

/* Characters (UTF-8 code points) in s. */
static int display_width(const char *s) {
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* At most MAX_CELL characters (then an ellipsis), line breaks shown as spaces; takes s, returns a string. */
static char *clip(char *s) {
    int chars = 0;
    for (char *p = s; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > MAX_CELL) {
            size_t keep = (size_t)(p - s);
            char *cut = malloc(keep + 4);
            if (!cut) return s;
            memcpy(cut, s, keep);
            memcpy(cut + keep, "\xE2\x80\xA6", 4); /* ... and the NUL */
            free(s);
            return cut;
        }
    }
    return s;
}

static void pad(FILE *out, int n) {
    for (int i = 0; i < n; i++) fputc(' ', out);
}

static void csv_field(FILE *out, const char *text) {
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static void json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', out), fputc(*p, out);
        else if (*p == '\n') fputs("\\n", out);
        else if (*p == '\r') fputs("\\r", out);
        else if (*p == '\t') fputs("\\t", out);
        else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

static int run_query(StoreSql *q, int mode, char *err) {
    int cols = store_sql_columns(q);
    Row *rows = NULL;
    int count = 0, cap = 0, rc;
    if (mode == MODE_CSV) {
        for (int c = 0; c < cols; c++) fputs(c ? "," : "", stdout), csv_field(stdout, store_sql_name(q, c));
        fputs("\r\n", stdout);
    } else if (mode == MODE_JSON) {
        fputc('[', stdout);
    }
    while ((rc = store_sql_step(q, err)) == 1) {
        if (mode == MODE_CSV) {
            for (int c = 0; c < cols; c++) {
                int numeric;
                char *t = value_text(q, c, mode, &numeric);
                if (!t) return err_set(err, "out of memory");
                fputs(c ? "," : "", stdout);
                csv_field(stdout, t);
                free(t);
            }
            fputs("\r\n", stdout);
        } else if (mode == MODE_JSON) {
            fputs(count ? ",\n{" : "\n{", stdout);
            for (int c = 0; c < cols; c++) {
                fputs(c ? "," : "", stdout);
                json_string(stdout, store_sql_name(q, c));
                fputc(':', stdout);
                int type = store_sql_type(q, c), numeric;
                char *t = value_text(q, c, mode, &numeric);
                if (!t) return err_set(err, "out of memory");
                if (type == STORE_SQL_NULL) fputs("null", stdout);
                else if (numeric && strspn(t, "0123456789+-.eE") == strlen(t)) fputs(t, stdout); /* not inf/nan */
                else if (numeric) fputs("null", stdout);
                else json_string(stdout, t);
                free(t);
            }
            fputc('}', stdout);
        } else {
            if (count == cap) {
                cap = cap ? cap * 2 : 64;
                Row *grown = realloc(rows, (size_t)cap * sizeof *grown);
                if (!grown) goto oom;
                rows = grown;
            }
            Row *row = &rows[count];
            row->cells = calloc((size_t)cols + 1, sizeof *row->cells);
            row->numeric = calloc((size_t)cols + 1, sizeof *row->numeric);
            if (!row->cells || !row->numeric) {
                free(row->cells), free(row->numeric);
                goto oom;
            }
            for (int c = 0; c < cols; c++) {
                row->cells[c] = value_text(q, c, mode, &row->numeric[c]);
                if (!row->cells[c]) {
                    count++;
                    goto oom;
                }
                row->cells[c] = clip(row->cells[c]);
            }
        }
        count++;
    }
    if (mode == MODE_JSON) fputs(count ? "\n]\n" : "]\n", stdout);
    if (mode == MODE_TABLE && rc == 0) {
        int *width = calloc((size_t)cols + 1, sizeof *width);
        int *right = calloc((size_t)cols + 1, sizeof *right); /* numeric columns align right */
        if (!width || !right) {
            free(width), free(right);
            goto oom;
        }
        for (int c = 0; c < cols; c++) {
            width[c] = display_width(store_sql_name(q, c));
            int numbers = 0, others = 0;
            for (int r = 0; r < count; r++) {
                int w = display_width(rows[r].cells[c]);
                if (w > width[c]) width[c] = w;
                if (rows[r].numeric[c]) numbers++;
                else if (strcmp(rows[r].cells[c], "NULL") != 0) others++;
            }
            right[c] = numbers > 0 && others == 0;
        }
        for (int c = 0; c < cols; c++) {
            const char *name = store_sql_name(q, c);
            fputs(c ? "  " : "", stdout);
            if (right[c]) pad(stdout, width[c] - display_width(name));
            fputs(name, stdout);
            if (!right[c] && c + 1 < cols) pad(stdout, width[c] - display_width(name));
        }
        fputc('\n', stdout);
        for (int c = 0; c < cols; c++) {
            fputs(c ? "  " : "", stdout);
            for (int i = 0; i < width[c]; i++) fputc('-', stdout);
        }
        fputc('\n', stdout);
        for (int r = 0; r < count; r++) {
            for (int c = 0; c < cols; c++) {
                const char *t = rows[r].cells[c];
                int w = display_width(t);
                fputs(c ? "  " : "", stdout);
                if (right[c]) pad(stdout, width[c] - w), fputs(t, stdout);
                else {
                    fputs(t, stdout);
                    if (c + 1 < cols) pad(stdout, width[c] - w);
                }
            }
            fputc('\n', stdout);
        }
        printf("(%d row%s)\n", count, count == 1 ? "" : "s");
        free(width), free(right);
    }
    for (int r = 0; r < count && rows; r++) {
        for (int c = 0; c < cols; c++) free(rows[r].cells[c]);
        free(rows[r].cells), free(rows[r].numeric);
    }
    free(rows);
    return rc < 0 ? -1 : 0;
oom:
    for (int r = 0; r < count && rows; r++) {
        for (int c = 0; c < cols; c++) free(rows[r].cells[c]);
        free(rows[r].cells), free(rows[r].numeric);
    }
    free(rows);
    return err_set(err, "out of memory");
}

int cli_query(int argc, char **argv) {
    const char *db = NULL, *sql = NULL;
    int mode = MODE_TABLE;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(HELP, stdout);
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--csv")) mode = MODE_CSV;
        else if (!strcmp(argv[i], "--json")) mode = MODE_JSON;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
        else if (argv[i][0] != '-' && !sql) sql = argv[i];
        else {
            fprintf(stderr, "cohort query: unexpected argument '%s'\n\n%s", argv[i], HELP);
            return EXIT_BAD_INPUT;
        }
    }
    if (!db || !sql) {
        fprintf(stderr, "cohort query: --db and a SQL statement are required\n\n%s", HELP);
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
    int rc = run_query(q, mode, err);
    store_sql_finalize(q);
    store_close(store);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "cohort query: %s\n", err);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

/* Every report format against the "paper" database (report_fixture.h), with the expected numbers
 * computed here from the fixture's tables (mean and sample std over seeds, eta squared) and the stored
 * values read back with plain SQLite:
 *   Markdown: the summary rows, bold best, escaping;   LaTeX: booktabs rows, $\pm$, \mathbf, escaping,
 *   column counts;   CSV: RFC 4180 parsed back, one row per run / per epoch, values exact;   JSON: parsed
 *   back, statistics, importance, Pareto;   HTML: charts, tables, escaping, the runs that did not finish;
 *   filters (--sweep, --where, and its refusals), --group-by, --metric (a minimised loss); the format table
 *   (every entry found by its extension, writing a report of its own).
 * With --latex-compile PDFLATEX: compiles the LaTeX fragment in a document (exit 1, a failure, when there
 * is no pdflatex). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "report_fixture.h"
#include "store.h"

static char tmpdir[] = "/tmp/cohort_test_formats_XXXXXX";
static char db_path[512];

static void path_in_tmp(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

static void remove_tmpdir(void) {
    DIR *dir = opendir(tmpdir);
    if (!dir) return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    closedir(dir);
    rmdir(tmpdir);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (text) text[n] = 0;
    fclose(f);
    return text;
}

static int count_of(const char *haystack, const char *needle) {
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* Renders the report with options into tmpdir/name and returns its text (NULL on failure, err set). */
static char *render(Store *s, const char *name, ReportOptions opt, char *err) {
    char path[600];
    path_in_tmp(path, sizeof path, name);
    unlink(path);
    if (report_write(s, path, &opt, err)) return NULL;
    return read_file(path);
}

/* ---- expected values, from the fixture's tables ---- */
static void stats(const double v[FX_SEEDS], double *mean, double *std) { fx_mean_std(v, FX_SEEDS, mean, std); }

/* The learning rate with the best mean top-1 of model m (higher), or the best mean test loss (lower). */
static int best_lr(int m, int by_loss) {
    double a, b, sd;
    if (by_loss) {
        stats(FX_TESTLOSS[m][0], &a, &sd), stats(FX_TESTLOSS[m][1], &b, &sd);
        return a <= b ? 0 : 1;
    }
    stats(FX_TOP1[m][0], &a, &sd), stats(FX_TOP1[m][1], &b, &sd);
    return a >= b ? 0 : 1;
}

static int64_t run_id_of(int m, int l, int s) { return 1 + m * FX_LRS * FX_SEEDS + l * FX_SEEDS + s; }

/* "91.22 ± 0.40" as the formats print it */
static void stat_text(const double v[FX_SEEDS], char *out, size_t size, const char *pm) {
    double mean, std;
    stats(v, &mean, &std);
    snprintf(out, size, "%.2f%s%.2f", mean, pm, std);
}

/* eta squared of the finished runs' final top-1 by model (by_lr = 0) or by learning rate (1). */
static double eta2_expected(int by_lr) {
    double y[FX_MODELS * FX_LRS * FX_SEEDS], mean = 0;
    int n = 0;
    for (int m = 0; m < FX_MODELS; m++)
        for (int l = 0; l < FX_LRS; l++)
            for (int s = 0; s < FX_SEEDS; s++) mean += y[n++] = FX_TOP1[m][l][s];
    mean /= n;
    double sst = 0;
    for (int i = 0; i < n; i++) sst += (y[i] - mean) * (y[i] - mean);
    double ssb = 0;
    int groups = by_lr ? FX_LRS : FX_MODELS;
    for (int g = 0; g < groups; g++) {
        double sum = 0;
        int k = 0;
        for (int m = 0; m < FX_MODELS; m++)
            for (int l = 0; l < FX_LRS; l++)
                if ((by_lr ? l : m) == g)
                    for (int s = 0; s < FX_SEEDS; s++) sum += FX_TOP1[m][l][s], k++;
        ssb += k * (sum / k - mean) * (sum / k - mean);
    }
    return ssb / sst;
}

static double within_expected(void) {
    double mean = 0, sst = 0, ssw = 0;
    int n = FX_MODELS * FX_LRS * FX_SEEDS;
    for (int m = 0; m < FX_MODELS; m++)
        for (int l = 0; l < FX_LRS; l++)
            for (int s = 0; s < FX_SEEDS; s++) mean += FX_TOP1[m][l][s] / n;
    for (int m = 0; m < FX_MODELS; m++)
        for (int l = 0; l < FX_LRS; l++) {
            double cm, sd;
            stats(FX_TOP1[m][l], &cm, &sd);
            for (int s = 0; s < FX_SEEDS; s++) {
                sst += (FX_TOP1[m][l][s] - mean) * (FX_TOP1[m][l][s] - mean);
                ssw += (FX_TOP1[m][l][s] - cm) * (FX_TOP1[m][l][s] - cm);
            }
        }
    return ssw / sst;
}

/* ---- Markdown ---- */
static const char MD_WEIRD[] = "res\\<net\\>\\_v2 & {co} #1 50% $x^2\\~\\\\ a\\|b, \"q\"";

static void test_markdown(Store *s) {
    char err[ERR_LEN] = "";
    char *md = render(s, "r.md", (ReportOptions){.sweep_name = "paper"}, err);
    CHECK_MSG(md != NULL, "%s", err);
    if (!md) return;
    CHECK(strstr(md, "## Summary by model") != NULL);
    /* each model's row: best configuration, 2 configs, n = 3 (the pruned/failed seed 4 not counted) */
    for (int m = 0; m < FX_MODELS; m++) {
        int l = best_lr(m, 0);
        char top1[64], top5[64], row[512], name[256];
        stat_text(FX_TOP1[m][l], top1, sizeof top1, " \xC2\xB1 ");
        stat_text(FX_TOP5[m][l], top5, sizeof top5, " \xC2\xB1 ");
        snprintf(name, sizeof name, "%s", m == 2 ? MD_WEIRD : FX_MODEL[m]);
        const char *bold = m == 2 ? "**" : ""; /* the weird model is best in both columns */
        snprintf(row, sizeof row, "| %s | lr=%g | 2 | 3 | %s%s%s | %s%s%s |", name, FX_LR[l], bold, top1, bold, bold,
                 top5, bold);
        CHECK_MSG(strstr(md, row) != NULL, "missing row %s in\n%s", row, md);
        /* best run and parameter count */
        int best_s = 0;
        for (int sd = 1; sd < FX_SEEDS; sd++)
            if (FX_TOP1[m][l][sd] > FX_TOP1[m][l][best_s]) best_s = sd;
        char after[128];
        snprintf(after, sizeof after, "| #%lld: %.2f |", (long long)run_id_of(m, l, best_s), FX_TOP1[m][l][best_s]);
        CHECK_MSG(strstr(strstr(md, row) ? strstr(md, row) : md, after) != NULL, "best run %s", after);
    }
    CHECK(count_of(md, "**") == 4); /* two bold cells */
    /* the configurations table lists all 6, with the pruned run's configuration still n = 3 */
    char cfg[256], top1[64];
    stat_text(FX_TOP1[0][1], top1, sizeof top1, " \xC2\xB1 ");
    snprintf(cfg, sizeof cfg, "| lenet | lr=0.1 | 3 | %s |", top1);
    CHECK_MSG(strstr(md, cfg) != NULL, "%s", cfg);
    /* runs that did not finish, with their reasons */
    for (int p = 0; p < FX_PROBLEMS; p++) {
        CHECK_MSG(strstr(md, FX_PROBLEM[p].reason) != NULL, "reason %s", FX_PROBLEM[p].reason);
        char status[64];
        snprintf(status, sizeof status, "| %s | %d |", FX_PROBLEM[p].status, FX_PROBLEM[p].epochs);
        CHECK_MSG(strstr(md, status) != NULL, "%s", status);
    }
    /* importance: model and lr with eta squared, and the method */
    char imp[128];
    snprintf(imp, sizeof imp, "| model | categorical | 3 | %.3f |", eta2_expected(0));
    CHECK_MSG(strstr(md, imp) != NULL, "%s", imp);
    snprintf(imp, sizeof imp, "| lr | numeric | 2 | %.3f |", eta2_expected(1));
    CHECK_MSG(strstr(md, imp) != NULL, "%s", imp);
    snprintf(imp, sizeof imp, "| seeds (within configuration) | - | - | %.3f |", within_expected());
    CHECK_MSG(strstr(md, imp) != NULL, "%s", imp);
    CHECK(strstr(md, "eta squared") != NULL);
    /* escaping: never the raw name (its '|' would split the cell, "<net>" vanish as a tag) */
    CHECK(strstr(md, FX_WEIRD) == NULL);
    CHECK(strstr(md, "<net>") == NULL);
    free(md);
}

/* ---- LaTeX ---- */
static const char TEX_WEIRD[] = "res\\textless{}net\\textgreater{}\\_v2 \\& \\{co\\} \\#1 50\\% "
                                "\\$x\\textasciicircum{}2\\textasciitilde{}\\textbackslash{} a\\textbar{}b, \"q\"";

/* Every data row of every tabular has as many cells as the column spec; braces balance. */
static void check_latex_structure(const char *tex) {
    int depth = 0;
    for (const char *p = tex; *p; p++) {
        if (*p == '%' && (p == tex || p[-1] != '\\')) { /* comment: to the end of the line */
            while (*p && *p != '\n') p++;
            if (!*p) break;
            continue;
        }
        if ((*p == '{' || *p == '}') && p > tex && p[-1] == '\\') continue;
        depth += *p == '{' ? 1 : *p == '}' ? -1 : 0;
        CHECK(depth >= 0);
    }
    CHECK_MSG(depth == 0, "unbalanced braces: %d", depth);
    CHECK(count_of(tex, "\\begin{table}") == count_of(tex, "\\end{table}"));
    CHECK(count_of(tex, "\\begin{tabular}") == count_of(tex, "\\end{tabular}"));
    for (const char *t = strstr(tex, "\\begin{tabular}{"); t; t = strstr(t + 1, "\\begin{tabular}{")) {
        const char *spec = t + strlen("\\begin{tabular}{");
        int cols = (int)(strchr(spec, '}') - spec);
        const char *mid = strstr(t, "\\toprule"), *end = strstr(t, "\\bottomrule");
        CHECK(mid && end && mid < end);
        if (!mid || !end) return;
        int rows = 0;
        for (const char *line = strchr(mid, '\n') + 1; line < end; line = strchr(line, '\n') + 1) {
            const char *eol = strchr(line, '\n');
            if (strncmp(line, "\\midrule", 8) == 0 || strncmp(line, "\\addlinespace", 13) == 0 || *line == '%')
                continue;
            int amps = 0;
            for (const char *p = line; p < eol; p++) amps += *p == '&' && p[-1] != '\\';
            CHECK_MSG(amps == cols - 1, "%d cells, %d columns: %.*s", amps + 1, cols, (int)(eol - line), line);
            CHECK_MSG(eol - line >= 3 && strncmp(eol - 3, " \\\\", 3) == 0, "row end: %.*s", (int)(eol - line), line);
            rows++;
        }
        CHECK(rows >= 2);
    }
}

static void test_latex(Store *s) {
    char err[ERR_LEN] = "";
    char *tex = render(s, "r.tex", (ReportOptions){.sweep_name = "paper"}, err);
    CHECK_MSG(tex != NULL, "%s", err);
    if (!tex) return;
    CHECK(strstr(tex, "\\toprule") && strstr(tex, "\\midrule") && strstr(tex, "\\bottomrule"));
    CHECK(strstr(tex, "\\hline") == NULL);
    CHECK(strstr(tex, "\\usepackage{booktabs}") != NULL); /* said in a comment */
    CHECK(strstr(tex, "\\documentclass") == NULL);         /* a fragment */
    for (int m = 0; m < FX_MODELS; m++) {
        int l = best_lr(m, 0);
        char top1[64], top5[64], row[512];
        stat_text(FX_TOP1[m][l], top1, sizeof top1, " \\pm ");
        stat_text(FX_TOP5[m][l], top5, sizeof top5, " \\pm ");
        /* then FLOPs per image with an SI prefix and images/s (every fixture epoch 1000) */
        if (m == 2)
            snprintf(row, sizeof row, "\n%s & lr=%g & 3 & $\\mathbf{%s}$ & $\\mathbf{%s}$ & 1,234,567 & 1.82 G & 1000 \\\\\n",
                     TEX_WEIRD, FX_LR[l], top1, top5);
        else
            snprintf(row, sizeof row, "\n%s & lr=%g & 3 & $%s$ & $%s$ & %s \\\\\n", FX_MODEL[m], FX_LR[l], top1, top5,
                     m == 0 ? "61,706 & 833.0 k & 1000" : "101,770 & 203.5 k & 1000");
        CHECK_MSG(strstr(tex, row) != NULL, "missing row %s in\n%s", row, tex);
    }
    CHECK(strstr(tex, "Model & Configuration & $n$ & Top-1 (\\%) & Top-5 (\\%) & Params & FLOPs & Images/s \\\\") != NULL);
    /* the configurations table: all 6, bold only the best of each column */
    CHECK(count_of(tex, "\\mathbf{") == 4);
    CHECK(count_of(tex, " \\\\\n") == 2 + 3 + 6);
    CHECK(strstr(tex, "<net>") == NULL && strstr(tex, ">_v2") == NULL && strstr(tex, " & {co}") == NULL);
    check_latex_structure(tex);
    free(tex);
}

/* ---- CSV (RFC 4180) ---- */
typedef struct {
    char ***rows; /* rows[r][c] */
    int *cols;
    int count;
    int crlf;     /* every record ended with CRLF */
} Csv;

static void csv_free(Csv *c) {
    for (int r = 0; r < c->count; r++) {
        for (int k = 0; k < c->cols[r]; k++) free(c->rows[r][k]);
        free(c->rows[r]);
    }
    free(c->rows), free(c->cols);
}

static int csv_parse(const char *text, Csv *out) {
    memset(out, 0, sizeof *out);
    out->crlf = 1;
    const char *p = text;
    int cap = 0;
    while (*p) {
        if (out->count == cap) {
            cap = cap ? cap * 2 : 64;
            out->rows = realloc(out->rows, (size_t)cap * sizeof *out->rows);
            out->cols = realloc(out->cols, (size_t)cap * sizeof *out->cols);
        }
        char **fields = NULL;
        int n = 0;
        for (;;) {
            size_t len = strlen(p) + 1;
            char *f = malloc(len), *o = f;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (!*p) return -1; /* unterminated quote */
                    if (*p == '"' && p[1] == '"') *o++ = '"', p += 2;
                    else if (*p == '"') {
                        p++;
                        break;
                    } else *o++ = *p++;
                }
            } else {
                while (*p && *p != ',' && *p != '\r' && *p != '\n') {
                    if (*p == '"') return -1; /* a quote inside an unquoted field */
                    *o++ = *p++;
                }
            }
            *o = 0;
            fields = realloc(fields, (size_t)(n + 1) * sizeof *fields);
            fields[n++] = f;
            if (*p == ',') {
                p++;
                continue;
            }
            break;
        }
        if (p[0] == '\r' && p[1] == '\n') p += 2;
        else {
            if (*p == '\n') p++;
            out->crlf = 0;
        }
        out->rows[out->count] = fields;
        out->cols[out->count++] = n;
    }
    return 0;
}

static int csv_col(const Csv *c, const char *name) {
    for (int k = 0; c->count && k < c->cols[0]; k++)
        if (!strcmp(c->rows[0][k], name)) return k;
    return -1;
}

/* Reads run id's final test top-1 (NaN if none), model, status and error straight from SQLite. */
static int db_run(sqlite3 *db, long long id, double *final_top1, char *model, char *status, char *error) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT r.model, r.status, coalesce(r.error, ''), "
                           "(SELECT test_top1 FROM epochs WHERE run_id = r.id ORDER BY epoch DESC LIMIT 1) "
                           "FROM runs r WHERE r.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (!rc) {
        snprintf(model, 256, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(status, 32, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(error, 256, "%s", (const char *)sqlite3_column_text(st, 2));
        *final_top1 = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    return rc;
}

static void test_csv(Store *s, sqlite3 *db) {
    char err[ERR_LEN] = "";
    char *text = render(s, "r.csv", (ReportOptions){.sweep_name = "paper"}, err);
    CHECK_MSG(text != NULL, "%s", err);
    if (!text) return;
    Csv c;
    CHECK(csv_parse(text, &c) == 0);
    CHECK(c.crlf);
    int runs = FX_MODELS * FX_LRS * FX_SEEDS + FX_PROBLEMS;
    CHECK_MSG(c.count == 1 + runs, "%d rows", c.count);
    int id = csv_col(&c, "run_id"), model = csv_col(&c, "model"), status = csv_col(&c, "status"),
        error = csv_col(&c, "error"), top1 = csv_col(&c, "final_test_top1"), lr = csv_col(&c, "lr"),
        params = csv_col(&c, "param_count"), seed = csv_col(&c, "seed");
    CHECK(id == 0 && model >= 0 && status >= 0 && error >= 0 && top1 >= 0 && lr >= 0 && params >= 0 && seed >= 0);
    CHECK(csv_col(&c, "batch_size") >= 0);
    int weird_rows = 0;
    for (int r = 1; r < c.count && top1 >= 0 && lr >= 0; r++) {
        CHECK_MSG(c.cols[r] == c.cols[0], "row %d has %d fields, header %d", r, c.cols[r], c.cols[0]);
        if (c.cols[r] != c.cols[0]) continue;
        char **f = c.rows[r];
        double want;
        char m[256], st[32], er[256];
        CHECK(db_run(db, atoll(f[id]), &want, m, st, er) == 0);
        CHECK_MSG(strcmp(f[model], m) == 0, "model '%s' vs '%s'", f[model], m);
        CHECK(strcmp(f[status], st) == 0);
        CHECK_MSG(strcmp(f[error], er) == 0, "error '%s' vs '%s'", f[error], er);
        if (isnan(want)) CHECK(f[top1][0] == 0);
        else CHECK_MSG(strtod(f[top1], NULL) == want, "run %s: %s vs %.17g", f[id], f[top1], want);
        weird_rows += strcmp(f[model], FX_WEIRD) == 0;
    }
    CHECK(weird_rows == FX_LRS * FX_SEEDS);
    CHECK(strstr(text, "\"res<net>_v2 & {co} #1 50% $x^2~\\ a|b, \"\"q\"\"\"") != NULL); /* quoted, "" doubled */
    csv_free(&c);
    free(text);

    /* one row per epoch */
    text = render(s, "e.csv", (ReportOptions){.sweep_name = "paper", .epochs = 1}, err);
    CHECK_MSG(text != NULL, "%s", err);
    if (!text) return;
    CHECK(csv_parse(text, &c) == 0);
    int epochs = FX_MODELS * FX_LRS * FX_SEEDS * FX_EPOCHS;
    for (int p = 0; p < FX_PROBLEMS; p++) epochs += FX_PROBLEM[p].epochs;
    CHECK_MSG(c.count == 1 + epochs, "%d epoch rows, want %d", c.count - 1, epochs);
    int eid = csv_col(&c, "run_id"), ep = csv_col(&c, "epoch"), t1 = csv_col(&c, "test_top1"),
        tl = csv_col(&c, "train_loss");
    CHECK(eid == 0 && ep >= 0 && t1 >= 0 && tl >= 0);
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, "SELECT test_top1, train_loss FROM epochs WHERE run_id = ?1 AND epoch = ?2", -1, &st,
                             NULL) == SQLITE_OK);
    for (int r = 1; r < c.count && ep >= 0 && t1 >= 0 && tl >= 0; r++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, atoll(c.rows[r][eid]));
        sqlite3_bind_int(st, 2, atoi(c.rows[r][ep]));
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        CHECK(strtod(c.rows[r][t1], NULL) == sqlite3_column_double(st, 0));
        CHECK(strtod(c.rows[r][tl], NULL) == sqlite3_column_double(st, 1));
    }
    sqlite3_finalize(st);
    csv_free(&c);
    free(text);
}

/* ---- JSON ---- */
static const cJSON *config_of(const cJSON *root, const char *model, double lr) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "configurations")) {
        const cJSON *cfg = cJSON_GetObjectItem(c, "config");
        const cJSON *m = cJSON_GetObjectItem(c, "model"), *l = cJSON_GetObjectItem(cfg, "lr");
        if (cJSON_IsString(m) && !strcmp(m->valuestring, model) && cJSON_IsNumber(l) && l->valuedouble == lr) return c;
    }
    return NULL;
}

static double jnum(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItem(o, a);
    if (b) x = cJSON_GetObjectItem(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static void test_json(Store *s, sqlite3 *db) {
    char err[ERR_LEN] = "";
    char *text = render(s, "r.json", (ReportOptions){.sweep_name = "paper", .epochs = 1}, err);
    CHECK_MSG(text != NULL, "%s", err);
    if (!text) return;
    cJSON *root = cJSON_Parse(text);
    CHECK_MSG(root != NULL, "not JSON: %.200s", text);
    if (!root) {
        free(text);
        return;
    }
    const cJSON *runs = cJSON_GetObjectItem(root, "runs");
    CHECK(cJSON_GetArraySize(runs) == FX_MODELS * FX_LRS * FX_SEEDS + FX_PROBLEMS);
    const cJSON *run;
    cJSON_ArrayForEach(run, runs) {
        double want;
        char m[256], st[32], er[256];
        long long id = (long long)jnum(run, "id", NULL);
        CHECK(db_run(db, id, &want, m, st, er) == 0);
        const cJSON *model = cJSON_GetObjectItem(run, "model");
        CHECK(cJSON_IsString(model) && !strcmp(model->valuestring, m));
        double got = jnum(run, "final", "test_top1");
        CHECK_MSG(isnan(want) ? isnan(got) : got == want, "run %lld final top-1 %g vs %g", id, got, want);
        int epochs = cJSON_GetArraySize(cJSON_GetObjectItem(run, "epochs"));
        CHECK(epochs == (int)jnum(run, "epochs_done", NULL));
    }
    for (int m = 0; m < FX_MODELS; m++)
        for (int l = 0; l < FX_LRS; l++) {
            const cJSON *c = config_of(root, FX_MODEL[m], FX_LR[l]);
            CHECK_MSG(c != NULL, "configuration %s lr %g", FX_MODEL[m], FX_LR[l]);
            if (!c) continue;
            double mean, std;
            stats(FX_TOP1[m][l], &mean, &std);
            CHECK_CLOSE(jnum(c, "test_top1", "mean"), mean, 1e-12);
            CHECK_CLOSE(jnum(c, "test_top1", "std"), std, 1e-12);
            CHECK(jnum(c, "test_top1", "n") == 3);
            stats(FX_TOP5[m][l], &mean, &std);
            CHECK_CLOSE(jnum(c, "test_top5", "mean"), mean, 1e-12);
            CHECK_CLOSE(jnum(c, "test_top5", "std"), std, 1e-12);
            CHECK(jnum(c, "param_count", NULL) == (double)FX_PARAMS[m]);
            /* its runs include the ones that did not finish */
            int extra = 0;
            for (int p = 0; p < FX_PROBLEMS; p++) extra += FX_PROBLEM[p].model == m && FX_PROBLEM[p].lr == l;
            CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(c, "runs")) == FX_SEEDS + extra);
            CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "config"), "seed") == NULL);
        }
    /* groups: the best configuration of each model */
    const cJSON *g;
    int groups = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(root, "groups")) {
        const cJSON *name = cJSON_GetObjectItem(cJSON_GetObjectItem(g, "values"), "model");
        int m = -1;
        for (int k = 0; k < FX_MODELS; k++)
            if (cJSON_IsString(name) && !strcmp(name->valuestring, FX_MODEL[k])) m = k;
        CHECK(m >= 0);
        if (m < 0) continue;
        int best = (int)jnum(g, "best_configuration", NULL);
        const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "configurations"), best);
        CHECK(c && jnum(c, "config", "lr") == FX_LR[best_lr(m, 0)]);
        groups++;
    }
    CHECK(groups == FX_MODELS);
    /* importance */
    const cJSON *imp = cJSON_GetObjectItem(root, "importance");
    CHECK_CLOSE(jnum(imp, "within_configuration", NULL), within_expected(), 1e-9);
    const cJSON *h;
    int found = 0;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(imp, "hyperparameters")) {
        const cJSON *key = cJSON_GetObjectItem(h, "key");
        if (!cJSON_IsString(key)) continue;
        if (!strcmp(key->valuestring, "model") || !strcmp(key->valuestring, "lr")) {
            CHECK_CLOSE(jnum(h, "eta_squared", NULL), eta2_expected(!strcmp(key->valuestring, "lr")), 1e-9);
            found++;
        }
        CHECK(strcmp(key->valuestring, "seed") != 0 && strcmp(key->valuestring, "batch_size") != 0);
    }
    CHECK(found == 2);
    /* Pareto front (fewer parameters, higher mean top-1): lenet's best, then the weird model's best */
    const cJSON *front = cJSON_GetObjectItem(root, "pareto_front");
    CHECK(cJSON_GetArraySize(front) == 2);
    if (cJSON_GetArraySize(front) == 2) {
        const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "configurations"), cJSON_GetArrayItem(front, 0)->valueint);
        const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "configurations"), cJSON_GetArrayItem(front, 1)->valueint);
        CHECK(a && !strcmp(cJSON_GetObjectItem(a, "model")->valuestring, "lenet") && jnum(a, "config", "lr") == 0.1);
        CHECK(b && !strcmp(cJSON_GetObjectItem(b, "model")->valuestring, FX_WEIRD) && jnum(b, "config", "lr") == 0.01);
    }
    /* FLOPs front (fewest FLOPs first): mlp's best (203,520 FLOPs), lenet's best, the weird model's best; the
     * images/s front (every run 1000/s): the best configuration alone */
    const cJSON *flops = cJSON_GetObjectItem(root, "pareto_front_flops"), *speed = cJSON_GetObjectItem(root, "pareto_front_speed");
    CHECK(cJSON_GetArraySize(flops) == 3 && cJSON_GetArraySize(speed) == 1);
    if (cJSON_GetArraySize(flops) == 3 && cJSON_GetArraySize(speed) == 1) {
        const cJSON *configs = cJSON_GetObjectItem(root, "configurations");
        const cJSON *first = cJSON_GetArrayItem(configs, cJSON_GetArrayItem(flops, 0)->valueint);
        const cJSON *last = cJSON_GetArrayItem(configs, cJSON_GetArrayItem(flops, 2)->valueint);
        const cJSON *fast = cJSON_GetArrayItem(configs, cJSON_GetArrayItem(speed, 0)->valueint);
        CHECK(first && !strcmp(cJSON_GetObjectItem(first, "model")->valuestring, "mlp") &&
              jnum(first, "flops_per_image", NULL) == 203520.0 && cJSON_IsTrue(cJSON_GetObjectItem(first, "pareto_flops")));
        CHECK(last && jnum(last, "flops_per_image", NULL) == 1.82e9);
        CHECK(fast && !strcmp(cJSON_GetObjectItem(fast, "model")->valuestring, FX_WEIRD) &&
              jnum(fast, "images_per_sec", "mean") == 1000.0 && jnum(fast, "config", "lr") == 0.01);
    }
    cJSON_Delete(root);
    free(text);

    /* Every sweep: batch_size and epochs now differ (the pending run of "other" does not set them), but not
     * between runs with results, so they are not swept hyperparameters. */
    text = render(s, "all.json", (ReportOptions){0}, err);
    root = text ? cJSON_Parse(text) : NULL;
    CHECK(root != NULL);
    int keys = 0;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "importance"), "hyperparameters")) {
        const cJSON *key = cJSON_GetObjectItem(h, "key");
        CHECK_MSG(cJSON_IsString(key) && (!strcmp(key->valuestring, "model") || !strcmp(key->valuestring, "lr")),
                  "swept: %s", cJSON_IsString(key) ? key->valuestring : "?");
        keys++;
    }
    CHECK(keys == 2);
    cJSON_Delete(root);
    free(text);
}

/* ---- HTML ---- */
static void test_html(Store *s) {
    char err[ERR_LEN] = "";
    char *html = render(s, "r.html", (ReportOptions){.sweep_name = "paper"}, err);
    CHECK_MSG(html != NULL, "%s", err);
    if (!html) return;
    static const char *const charts[] = {"chart-test-top1", "chart-train-loss", "chart-pareto", "chart-pareto-flops",
                                         "chart-pareto-speed", "chart-parallel", "chart-importance"};
    for (int i = 0; i < 7; i++) {
        char want[96];
        snprintf(want, sizeof want, "<svg class=\"chart\" id=\"%s\"", charts[i]);
        CHECK_MSG(count_of(html, want) == 1, "%s", want);
    }
    CHECK(count_of(html, "<svg") == 7);
    CHECK(strstr(html, "<script") == NULL && strstr(html, "http") == NULL && strstr(html, "<link") == NULL);
    /* escaping */
    CHECK(strstr(html, "<net>") == NULL);
    CHECK(strstr(html, "res&lt;net&gt;_v2 &amp; {co} #1 50% $x^2~\\ a|b, &quot;q&quot;") != NULL);
    /* the summary table: each model's best configuration, mean ± std, the best column bold */
    const char *table = strstr(html, "<table id=\"summary-groups\">");
    CHECK(table != NULL);
    for (int m = 0; table && m < FX_MODELS; m++) {
        int l = best_lr(m, 0);
        char top1[64], want[128];
        stat_text(FX_TOP1[m][l], top1, sizeof top1, " \xC2\xB1 ");
        snprintf(want, sizeof want, m == 2 ? "<strong>%s</strong>" : ">%s<", top1);
        CHECK_MSG(strstr(table, want) != NULL, "%s", want);
    }
    /* curves: mean lines and bands for the 6 configurations with 3 finished seeds */
    const char *top1 = strstr(html, "id=\"chart-test-top1\"");
    const char *loss = strstr(html, "id=\"chart-train-loss\"");
    CHECK(top1 && loss);
    if (top1 && loss) {
        char *cut = strndup(top1, (size_t)(loss - top1));
        CHECK(count_of(cut, "<polyline class=\"run\"") == FX_MODELS * FX_LRS * FX_SEEDS + 3); /* + runs with epochs */
        CHECK(count_of(cut, "<polyline class=\"mean\"") == FX_MODELS * FX_LRS);
        CHECK(count_of(cut, "<polygon class=\"band\"") == FX_MODELS * FX_LRS);
        free(cut);
    }
    /* the fronts, each chart on its own: parameters (lenet's and the weird model's best configurations), FLOPs
     * (mlp has the fewest, so its best configuration joins), images/s (every run 1000/s: the best alone) */
    static const struct {
        const char *id, *front_title;
        int points;
    } FRONTS[] = {{"id=\"chart-pareto\"", "Pareto front (fewer parameters, higher metric)", 2},
                  {"id=\"chart-pareto-flops\"", "Pareto front (fewer FLOPs, better metric)", 3},
                  {"id=\"chart-pareto-speed\"", "Pareto front (more images/s, better metric)", 1}};
    for (int f = 0; f < 3; f++) {
        const char *at = strstr(html, FRONTS[f].id);
        const char *end = at ? strstr(at, "</svg>") : NULL;
        char *cut = at && end ? strndup(at, (size_t)(end - at)) : NULL;
        CHECK_MSG(cut && count_of(cut, "class=\"pareto-point\"") == FRONTS[f].points &&
                      strstr(cut, "<polyline class=\"pareto\"") && strstr(cut, FRONTS[f].front_title),
                  "%s", FRONTS[f].id);
        free(cut);
    }
    {
        const char *flops = strstr(html, "id=\"chart-pareto-flops\"");
        CHECK(flops && strstr(flops, "mlp lr=0.01: 203.5 k FLOPs per image") != NULL);
    }
    const char *pc = strstr(html, "id=\"chart-parallel\"");
    CHECK(pc != NULL);
    if (pc) {
        char *cut = strndup(pc, (size_t)(strstr(pc, "</svg>") - pc));
        CHECK(count_of(cut, "<polyline") == FX_MODELS * FX_LRS);
        CHECK(strstr(cut, ">lr<") && strstr(cut, ">model<") && strstr(cut, ">mean test_top1<"));
        free(cut);
    }
    /* importance ranking and how it is computed */
    char imp[96];
    snprintf(imp, sizeof imp, "<td class=\"num\">%.3f</td>", eta2_expected(0));
    CHECK_MSG(strstr(html, imp) != NULL, "%s", imp);
    CHECK(strstr(html, "id=\"importance-method\"") && strstr(html, "eta squared"));
    /* runs that did not finish, with their (escaped) reasons */
    const char *problems = strstr(html, "<table id=\"problem-runs\">");
    CHECK(problems != NULL);
    if (problems) {
        CHECK(count_of(problems, "<tr><td class=\"num\">") >= FX_PROBLEMS);
        CHECK(strstr(problems, "out of memory: model needs 12 GB &amp; the node has 8") != NULL);
        CHECK(strstr(problems, ">pruned<") && strstr(problems, ">diverged<") && strstr(problems, ">failed<") &&
              strstr(problems, ">lost<"));
        CHECK(strstr(problems, "early_terminate: hyperband (eta 3) stopped it at epoch 2") != NULL);
    }
    free(html);
}

/* ---- filters, grouping, metric ---- */
static int csv_rows(Store *s, ReportOptions opt, char *err, Csv *c) {
    memset(c, 0, sizeof *c); /* a refused report leaves no rows for the caller's csv_free */
    char *text = render(s, "f.csv", opt, err);
    if (!text) return -1;
    int rc = csv_parse(text, c);
    free(text);
    return rc;
}

static void test_filters(Store *s) {
    char err[ERR_LEN] = "";
    Csv c;
    /* --sweep */
    CHECK_MSG(csv_rows(s, (ReportOptions){.sweep_name = "other"}, err, &c) == 0, "%s", err);
    CHECK(c.count == 2 && csv_col(&c, "status") >= 0 && !strcmp(c.rows[1][csv_col(&c, "status")], "pending"));
    csv_free(&c);
    /* --where over run_overview's columns: hyperparameters and summary columns */
    CHECK_MSG(csv_rows(s, (ReportOptions){.sweep_name = "paper", .where = "lr > 0.05"}, err, &c) == 0, "%s", err);
    int lr = csv_col(&c, "lr"), want = FX_MODELS * FX_SEEDS + 2; /* + the pruned and diverged runs */
    CHECK_MSG(c.count == 1 + want, "%d rows", c.count - 1);
    for (int r = 1; r < c.count && lr >= 0; r++) CHECK(strcmp(c.rows[r][lr], "0.1") == 0);
    csv_free(&c);
    CHECK_MSG(csv_rows(s, (ReportOptions){.where = "model = 'lenet' AND status = 'finished' AND final_test_top1 > 88.3"},
                       err, &c) == 0,
              "%s", err);
    int expect = 0;
    for (int l = 0; l < FX_LRS; l++)
        for (int sd = 0; sd < FX_SEEDS; sd++) expect += FX_TOP1[0][l][sd] > 88.3;
    CHECK_MSG(c.count == 1 + expect, "%d rows, want %d", c.count - 1, expect);
    csv_free(&c);
    /* built-in functions and table-valued functions that read are fine in a condition (SQLite offers
     * table-valued PRAGMA functions only for PRAGMAs without side effects) */
    CHECK_MSG(csv_rows(s, (ReportOptions){.where = "json_extract(config_json, '$.lr') = 0.1 AND abs(seed) >= 0 AND "
                                                   "(SELECT count(*) FROM pragma_table_info('runs')) = 18 AND "
                                                   "(SELECT sum(value) FROM json_each('[1, 2]')) = 3"},
                       err, &c) == 0,
              "%s", err);
    CHECK_MSG(c.count == 1 + FX_MODELS * FX_SEEDS + 2, "%d rows", c.count - 1);
    csv_free(&c);
    /* refused or invalid conditions: an error naming the problem, nothing written */
    static const struct {
        const char *where, *message;
    } bad[] = {
        {"1 = 1; DROP TABLE runs", "';' is not allowed"},
        {"no_such_column > 1", "no such column: no_such_column"},
        {"1 = 1) UNION SELECT id FROM runs --", "--where"},
        {"(DELETE FROM runs)", "--where"},
        {"fts3_tokenizer('simple') IS NOT NULL", "fts3_tokenizer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[600];
        path_in_tmp(path, sizeof path, "bad.md");
        unlink(path);
        err[0] = 0;
        ReportOptions opt = {.where = bad[i].where};
        CHECK_MSG(report_write(s, path, &opt, err) != 0, "accepted: %s", bad[i].where);
        CHECK_MSG(strstr(err, bad[i].message) != NULL, "%s: %s", bad[i].where, err);
        CHECK(access(path, F_OK) != 0);
    }

    /* --group-by model,lr: one row per pair */
    char *md = render(s, "g.md", (ReportOptions){.sweep_name = "paper", .group_by = "model,lr"}, err);
    CHECK_MSG(md != NULL, "%s", err);
    if (md) {
        CHECK(strstr(md, "## Summary by model, lr") != NULL);
        CHECK(strstr(md, "| model | lr | Best configuration |") != NULL);
        char row[256], top1[64];
        stat_text(FX_TOP1[1][1], top1, sizeof top1, " \xC2\xB1 ");
        snprintf(row, sizeof row, "| mlp | 0.1 | lr=0.1 | 1 | 3 | %s |", top1);
        CHECK_MSG(strstr(md, row) != NULL, "%s in\n%s", row, md);
        free(md);
    }
    char *json = render(s, "g.json", (ReportOptions){.sweep_name = "paper", .group_by = "lr"}, err);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(root, "groups")) == FX_LRS);
    cJSON_Delete(root);
    free(json);
    char path[600];
    path_in_tmp(path, sizeof path, "g2.md");
    ReportOptions opt = {.group_by = "model,nonsense"};
    CHECK(report_write(s, path, &opt, err) != 0);
    CHECK_MSG(strstr(err, "--group-by: unknown column or hyperparameter 'nonsense'") && strstr(err, "batch_size"), "%s", err);

    /* --metric test_loss: minimised, so lenet's best configuration is lr 0.01 (lowest loss, not best top-1) */
    json = render(s, "m.json", (ReportOptions){.sweep_name = "paper", .metric = "test_loss"}, err);
    CHECK_MSG(json != NULL, "%s", err);
    root = json ? cJSON_Parse(json) : NULL;
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "metric"), "minimise")));
    const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "groups"), 0);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "configurations"), (int)jnum(g, "best_configuration", NULL));
    CHECK(best_lr(0, 1) == 0 && best_lr(0, 0) == 1); /* the fixture makes the two disagree */
    CHECK(c0 && jnum(c0, "config", "lr") == FX_LR[best_lr(0, 1)]);
    double mean, std;
    stats(FX_TESTLOSS[0][0], &mean, &std);
    CHECK_CLOSE(jnum(c0, "metric", "mean"), mean, 1e-12);
    cJSON_Delete(root);
    free(json);
    md = render(s, "m.md", (ReportOptions){.sweep_name = "paper", .metric = "test_loss"}, err);
    if (md) {
        char cell[64];
        stats(FX_TESTLOSS[2][0], &mean, &std); /* the lowest loss of all: bold */
        snprintf(cell, sizeof cell, "**%.4f \xC2\xB1 %.4f**", mean, std);
        CHECK_MSG(strstr(md, cell) != NULL, "%s", cell);
        CHECK(strstr(md, "| test loss |") != NULL);
        free(md);
    }
    opt = (ReportOptions){.metric = "accuracy"};
    CHECK(report_write(s, path, &opt, err) != 0 && strstr(err, "--metric: unknown metric 'accuracy'"));
}

/* ---- the format table: every entry is reachable by its extension and writes a report of its own ---- */
static void test_format_table(Store *s) {
    char err[ERR_LEN] = "", name[64], known[128];
    char *text[16] = {0};
    CHECK(REPORT_FORMAT_COUNT >= 1 && REPORT_FORMAT_COUNT <= 16);
    report_format_list(known, sizeof known);
    for (int i = 0; i < REPORT_FORMAT_COUNT && i < 16; i++) {
        const ReportFormat *f = &REPORT_FORMATS[i];
        /* the help is one line that fits the 100-column help text after "  .html  " */
        CHECK_MSG(f->extension[0] == '.' && f->write && *f->help && !strchr(f->help, '\n') && strlen(f->help) <= 91,
                  "%s: %s", f->extension, f->help);
        CHECK_MSG(strstr(known, f->extension) != NULL, "%s missing from '%s'", f->extension, known);
        snprintf(name, sizeof name, "dir.x/every%s", f->extension);
        CHECK_MSG(report_format_of(name) == f, "%s", name);
        for (char *p = name; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        CHECK_MSG(report_format_of(name) == f, "%s (case-insensitive)", name);
        snprintf(name, sizeof name, "dir%s/every", f->extension); /* a directory's extension is not the file's */
        CHECK_MSG(report_format_of(name) == NULL, "%s", name);
        snprintf(name, sizeof name, "dir/%s", f->extension); /* a dot file has no extension */
        CHECK_MSG(report_format_of(name) == NULL, "%s", name);
        for (int j = 0; j < i; j++) CHECK(strcmp(REPORT_FORMATS[j].extension, f->extension) != 0);
        /* the paper sweep: every format names the models and the output is its own */
        snprintf(name, sizeof name, "every%s", f->extension);
        text[i] = render(s, name, (ReportOptions){.sweep_name = "paper"}, err);
        CHECK_MSG(text[i] && strstr(text[i], FX_MODEL[0]) && strstr(text[i], FX_MODEL[1]), "%s: %s", name, err);
        for (int j = 0; j < i; j++)
            CHECK_MSG(!text[i] || !text[j] || strcmp(text[i], text[j]) != 0, "%s writes what %s does", f->extension,
                      REPORT_FORMATS[j].extension);
    }
    for (int i = 0; i < 16; i++) free(text[i]);
    CHECK(report_format_of("every.pdf") == NULL && report_format_of("every") == NULL && report_format_of(NULL) == NULL);
}

/* ---- hostile stored text: every format keeps it inert ---- */
#define FFFD "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */
/* The fixture with the third model named FX_HOSTILE and the failed run's error FX_FORMULA. */
static void make_hostile(const char *path) {
    CHECK(fx_build(path) == 0);
    sqlite3 *db;
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, "UPDATE runs SET model = ?1 WHERE model = ?2", -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, FX_HOSTILE, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, FX_WEIRD, -1, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) > 0);
    sqlite3_finalize(st);
    CHECK(sqlite3_prepare_v2(db, "UPDATE runs SET error = ?1 WHERE status = 'failed'", -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, FX_FORMULA, -1, SQLITE_STATIC);
    CHECK(sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_hostile(void) {
    char path[600], err[ERR_LEN] = "";
    path_in_tmp(path, sizeof path, "hostile.db");
    make_hostile(path);
    Store *s = NULL;
    CHECK_MSG(store_open_readonly(&s, path, err) == 0, "%s", err);
    if (!s) return;

    /* Markdown: no control characters or broken UTF-8, '~' escaped (GFM strikethrough) */
    char *md = render(s, "h.md", (ReportOptions){0}, err);
    CHECK_MSG(md && fx_terminal_safe(md, 0), "Markdown with control characters or invalid UTF-8");
    CHECK(md && strstr(md, "red \\~\\~strike\\~\\~ " FFFD FFFD " " FFFD "2J end"));
    CHECK(md && strstr(md, "~~") == NULL);
    free(md);
    /* LaTeX: no control characters, no bytes pdflatex cannot read */
    char *tex = render(s, "h.tex", (ReportOptions){0}, err);
    CHECK_MSG(tex && fx_terminal_safe(tex, 0), "LaTeX with control characters or invalid UTF-8");
    CHECK(tex && strstr(tex, "red \\textasciitilde{}\\textasciitilde{}strike"));
    free(tex);
    /* HTML: no control characters (invalid in HTML) */
    char *html = render(s, "h.html", (ReportOptions){0}, err);
    CHECK_MSG(html && fx_terminal_safe(html, 1), "HTML with control characters or invalid UTF-8");
    CHECK(html && strstr(html, "red ~~strike~~"));
    free(html);
    /* JSON: valid UTF-8 (a parser may refuse anything else); the invalid bytes as U+FFFD, the rest exact */
    char *json = render(s, "h.json", (ReportOptions){0}, err);
    CHECK_MSG(json && fx_utf8_valid(json), "JSON that is not UTF-8");
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    const cJSON *runs = cJSON_GetObjectItem(root, "runs"), *run;
    int hostile = 0;
    cJSON_ArrayForEach(run, runs) {
        const cJSON *model = cJSON_GetObjectItem(run, "model");
        if (cJSON_IsString(model) && strstr(model->valuestring, "strike")) {
            hostile++;
            CHECK_MSG(!strcmp(model->valuestring, "\x1b]0;title\x07red ~~strike~~ " FFFD FFFD
                                                  " \xc2\x9b" "2J\rend"),
                      "%s", model->valuestring);
        }
    }
    CHECK_MSG(hostile == FX_LRS * FX_SEEDS, "%d runs of the hostile model", hostile);
    cJSON_Delete(root);
    free(json);
    /* CSV: a formula is neutralised by default, kept with csv_raw (--no-csv-safe) */
    Csv c;
    CHECK_MSG(csv_rows(s, (ReportOptions){0}, err, &c) == 0, "%s", err);
    int error = csv_col(&c, "error"), formulas = 0, neutral = 0;
    for (int r = 1; r < c.count && error >= 0; r++) {
        formulas += !strcmp(c.rows[r][error], FX_FORMULA);
        neutral += !strcmp(c.rows[r][error], "'" FX_FORMULA);
        CHECK(c.rows[r][error][0] != '=');
    }
    CHECK(formulas == 0 && neutral == 1);
    csv_free(&c);
    CHECK_MSG(csv_rows(s, (ReportOptions){.csv_raw = 1}, err, &c) == 0, "%s", err);
    error = csv_col(&c, "error"), formulas = 0;
    for (int r = 1; r < c.count && error >= 0; r++) formulas += !strcmp(c.rows[r][error], FX_FORMULA);
    CHECK(formulas == 1);
    csv_free(&c);
    store_close(s);
}

static int latex_compile(const char *pdflatex) {
    if (access(pdflatex, X_OK) != 0) {
        fprintf(stderr, "FAILED: %s not found: the LaTeX table cannot be compiled "
                        "(apt-get install texlive-latex-base texlive-latex-recommended; scripts/test.sh does)\n", pdflatex);
        return 1;
    }
    make_hostile(db_path); /* control characters and broken UTF-8 must not stop pdflatex either */
    if (check_failures) return 1;
    char err[ERR_LEN] = "";
    Store *s = NULL;
    if (store_open_readonly(&s, db_path, err)) return 1;
    char *tex = render(s, "report.tex", (ReportOptions){0}, err);
    store_close(s);
    CHECK_MSG(tex != NULL, "%s", err);
    free(tex);
    char doc[600], cmd[2048];
    path_in_tmp(doc, sizeof doc, "doc.tex");
    FILE *f = fopen(doc, "w");
    if (!f) return 1;
    fputs("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n\\begin{document}\n"
          "\\input{report.tex}\n\\end{document}\n",
          f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && %s -interaction=nonstopmode -halt-on-error doc.tex > latex.log 2>&1", tmpdir,
             pdflatex);
    int rc = system(cmd);
    char pdf[600];
    path_in_tmp(pdf, sizeof pdf, "doc.pdf");
    CHECK_MSG(rc == 0 && access(pdf, F_OK) == 0, "pdflatex failed (exit %d); see the log below", rc);
    if (rc) {
        char log[600];
        path_in_tmp(log, sizeof log, "latex.log");
        char *text = read_file(log);
        if (text) fprintf(stderr, "%s\n", text + (strlen(text) > 3000 ? strlen(text) - 3000 : 0));
        free(text);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    path_in_tmp(db_path, sizeof db_path, "paper.db");
    if (argc == 3 && !strcmp(argv[1], "--latex-compile")) {
        int rc = latex_compile(argv[2]);
        remove_tmpdir();
        return rc == 77 ? 77 : rc ? rc : check_report("test_report_formats --latex-compile");
    }
    CHECK(fx_build(db_path) == 0);
    char err[ERR_LEN] = "";
    Store *s = NULL;
    sqlite3 *db = NULL;
    CHECK_MSG(store_open_readonly(&s, db_path, err) == 0, "%s", err); /* reports only read */
    CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    if (s && db) {
        test_markdown(s);
        test_latex(s);
        test_csv(s, db);
        test_json(s, db);
        test_html(s);
        test_filters(s);
        test_format_table(s);
    }
    test_hostile();
    sqlite3_close(db);
    store_close(s);
    remove_tmpdir();
    return check_report("test_report_formats");
}

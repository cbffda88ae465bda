/* cohort report: render the database as HTML, Markdown, LaTeX, CSV or JSON. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "store.h"

static const char USAGE[] =
    "usage: cohort report --db PATH --out FILE [--sweep NAME] [--where 'SQL'] [--group-by KEYS]\n"
    "                     [--metric NAME] [--epochs] [--no-csv-safe]\n"
    "\n"
    "Renders the runs in the database; the format follows FILE's extension:\n";

static const char OPTIONS[] =
    "\n"
    "  --sweep NAME      only this sweep's runs\n"
    "  --where 'SQL'     only runs for which this SQL condition holds, over the columns of the view\n"
    "                    run_overview (e.g. \"lr >= 0.01 AND status = 'finished'\"); read-only, no ';'\n"
    "  --group-by KEYS   comma-separated columns (sweep, model, dataset, status, host) or hyperparameter\n"
    "                    keys (lr, batch_size, ...) for the summary table; default model\n"
    "  --metric NAME     test_top1 (default), test_top5, test_loss, train_loss, train_top1, val_loss,\n"
    "                    val_top1: what summaries, bold entries, the Pareto front and importance use\n"
    "                    (final epoch; losses are minimised)\n"
    "  --epochs          .csv: one row per epoch; .json: include every epoch\n"
    "  --csv-safe        .csv (the default): text cells that start with = + - @, which a spreadsheet would\n"
    "                    run as a formula, get a leading ' (numbers stay as they are)\n"
    "  --no-csv-safe     .csv: every value exactly as stored\n"
    "\n"
    "FILE is written next to itself and renamed into place when complete; it may not be the database, its\n"
    "-wal, -shm or -journal file or its checkpoint directory. Control characters and bytes that are not\n"
    "UTF-8 in stored text are shown as U+FFFD (LaTeX: '?'); .json writes such bytes as \\ufffd.\n";

/* The formats' lines come from the format table, so the help lists exactly what report_write accepts. */
static void help(FILE *f) {
    fputs(USAGE, f);
    for (int i = 0; i < REPORT_FORMAT_COUNT; i++)
        fprintf(f, "  %-6s %s\n", REPORT_FORMATS[i].extension, REPORT_FORMATS[i].help);
    fputs(OPTIONS, f);
}

int cli_report(int argc, char **argv) {
    const char *db = NULL, *out = NULL;
    ReportOptions options = {0};
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            help(stdout);
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--epochs") || !strcmp(argv[i], "--csv-safe") || !strcmp(argv[i], "--no-csv-safe")) {
            if (!strcmp(argv[i], "--epochs")) options.epochs = 1;
            else options.csv_raw = !strcmp(argv[i], "--no-csv-safe");
            continue;
        }
        const char **target = !strcmp(argv[i], "--db")         ? &db
                              : !strcmp(argv[i], "--out")      ? &out
                              : !strcmp(argv[i], "--sweep")    ? &options.sweep_name
                              : !strcmp(argv[i], "--where")    ? &options.where
                              : !strcmp(argv[i], "--group-by") ? &options.group_by
                              : !strcmp(argv[i], "--metric")   ? &options.metric
                                                               : NULL;
        if (!target || i + 1 >= argc) {
            fprintf(stderr, "cohort report: %s '%s'\n\n", target ? "missing value after" : "unexpected argument", argv[i]);
            help(stderr);
            return EXIT_BAD_INPUT;
        }
        *target = argv[++i];
    }
    if (!db || !out) {
        fputs("cohort report: --db and --out are required\n\n", stderr);
        help(stderr);
        return EXIT_BAD_INPUT;
    }
    if (!report_format_of(out)) {
        char known[128];
        report_format_list(known, sizeof known);
        fprintf(stderr, "cohort report: %s: unknown report format (use %s)\n", out, known);
        return EXIT_BAD_INPUT;
    }
    char err[ERR_LEN];
    if (report_check_output(db, out, err)) {
        fprintf(stderr, "cohort report: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    Store *store = NULL;
    if (store_open_readonly(&store, db, err)) {
        fprintf(stderr, "cohort report: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    int rc = report_write(store, out, &options, err);
    store_close(store);
    if (rc) {
        fprintf(stderr, "cohort report: %s\n", err);
        /* bad options are the user's input; anything else (I/O) is a runtime failure */
        int bad = !strncmp(err, "--", 2) || strstr(err, "unknown report format") || strstr(err, "no runs of sweep");
        return bad ? EXIT_BAD_INPUT : EXIT_RUNTIME;
    }
    cli_printf_safe("wrote %s\n", out);
    return EXIT_OK;
}

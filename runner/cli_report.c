/* cohort report: render the database as HTML or Markdown. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "store.h"

static const char HELP[] =
    "usage: cohort report --db PATH --out FILE [--sweep NAME]\n"
    "\n"
    "Renders the runs in the database: FILE.html is a self-contained page with the learning curves and the\n"
    "runs table; FILE.md is the runs table in Markdown. --sweep keeps one sweep's runs.\n";

int cli_report(int argc, char **argv) {
    const char *db = NULL, *out = NULL;
    ReportOptions options = {0};
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(HELP, stdout);
            return EXIT_OK;
        }
        const char **target = !strcmp(argv[i], "--db")      ? &db
                              : !strcmp(argv[i], "--out")   ? &out
                              : !strcmp(argv[i], "--sweep") ? &options.sweep_name
                                                            : NULL;
        if (!target || i + 1 >= argc) {
            fprintf(stderr, "cohort report: unexpected argument '%s'\n\n%s", argv[i], HELP);
            return EXIT_BAD_INPUT;
        }
        *target = argv[++i];
    }
    if (!db || !out) {
        fprintf(stderr, "cohort report: --db and --out are required\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    char err[ERR_LEN];
    Store *store = NULL;
    if (store_open_readonly(&store, db, err)) {
        fprintf(stderr, "cohort report: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    int rc = report_write(store, out, &options, err);
    store_close(store);
    if (rc) {
        fprintf(stderr, "cohort report: %s\n", err);
        return strstr(err, "unknown report format") ? EXIT_BAD_INPUT : EXIT_RUNTIME;
    }
    printf("wrote %s\n", out);
    return EXIT_OK;
}

/* Reports rendered from the results database; the format follows the output file's extension.
 *
 * Every format renders the same analysis of the selected runs:
 *   - runs: selected by --sweep and --where, each with its final-epoch metrics;
 *   - configurations: a run's config without "seed" (the repeats of a configuration differ only in seed);
 *     per configuration the metrics' mean ± sample std over its finished runs (n);
 *   - groups (--group-by, default model): per group its best configuration (best mean metric) with mean ±
 *     std over seeds, the best single run, parameters, epochs and training time;
 *   - the Pareto front of parameters against the metric over configurations;
 *   - hyperparameter importance: eta squared (the first-order variance fraction of a functional ANOVA on
 *     the observed runs) and Spearman's rank correlation for numeric hyperparameters;
 *   - the runs that did not finish (pruned, diverged, failed, lost) with their reasons.
 * Summaries use finished runs only; "final" means the last recorded epoch.
 *
 * .html  one self-contained page (inline CSS and SVG, no scripts, no external references): the tables,
 *        learning curves (test top-1 and train loss per epoch, one line per run coloured by model, mean
 *        and ± std band over seeds), parameters against the metric with the Pareto front, parallel
 *        coordinates of the swept hyperparameters coloured by the metric, and the importance ranking.
 * .md    the tables in GitHub-flavoured Markdown.
 * .tex   booktabs table fragments (\input them; needs \usepackage{booktabs}): mean $\pm$ std, the best
 *        entry of each metric column in bold.
 * .csv   RFC 4180, one row per run (options.epochs: one row per epoch).
 * .json  the analysis as one object (options.epochs: every run's epochs too). */
#ifndef COHORT_REPORT_H
#define COHORT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "errors.h"
#include "store.h"

typedef struct {
    const char *sweep_name; /* only this sweep; NULL = all */
    const char *where;      /* SQL condition over run_overview's columns (see store_query.h); NULL = all */
    const char *group_by;   /* comma-separated columns (sweep, model, dataset, status, host) or hyperparameter
                               keys; NULL = "model" */
    const char *metric;     /* what summaries, bold, the Pareto front and importance use: test_top1 (default),
                               test_top5, test_loss, train_loss, train_top1, val_loss, val_top1; losses are
                               minimised */
    int epochs;             /* .csv: one row per epoch; .json: include the epochs */
    int csv_raw;            /* .csv: 0 (default, --csv-safe) prefixes a text cell starting with = + - @ (a
                               formula to a spreadsheet) with '; 1 (--no-csv-safe) writes every cell as is */
} ReportOptions;

/* Non-zero with err on an unknown extension, a bad option, or an I/O error; nothing is written then. */
int report_write(Store *store, const char *out_path, const ReportOptions *options, char err[ERR_LEN]);

/* Non-zero with err when writing a report to out_path would replace or touch the database db_path: the
 * same file (by path, another spelling of it, a symbolic or hard link: compared by device and inode), its
 * -wal, -shm or -journal file, or its checkpoint directory (db_path.checkpoints) or a file in it. Files
 * that do not exist yet are compared by their directory (device and inode) and name. report_write checks
 * this too; the command line checks first, to refuse before opening anything. */
int report_check_output(const char *db_path, const char *out_path, char err[ERR_LEN]);

struct ReportData; /* the analysis a format renders (private to cohort_reports) */

/* The formats, one per output extension: what report_write picks by the file name, what `cohort report
 * --help` lists and what the tests iterate (report_formats.c). */
typedef struct {
    const char *extension; /* ".html"; matched case-insensitively */
    int (*write)(FILE *out, const struct ReportData *data);
    const char *help;      /* one line: what the file holds */
} ReportFormat;
extern const ReportFormat REPORT_FORMATS[];
extern const int REPORT_FORMAT_COUNT;

/* The format of out_path by its extension; NULL when it has none of theirs. */
const ReportFormat *report_format_of(const char *out_path);

/* The known extensions for a message: ".html, .md, .tex, .csv or .json". */
void report_format_list(char *out, size_t size);

#endif

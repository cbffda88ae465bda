/* Reports rendered from the results database; the format follows the output file's extension. */
#ifndef COHORT_REPORT_H
#define COHORT_REPORT_H

#include "errors.h"
#include "store.h"

typedef struct {
    const char *sweep_name;  /* only this sweep; NULL = all */
} ReportOptions;

/* .html: self-contained page (inline CSS and SVG, no scripts): test top-1 per epoch and train loss per
 *        epoch, one line per run, and a table of runs.
 * .md:   the runs table (run, model, key hyperparameters, params, best test top-1, top-5, epochs, time).
 * Non-zero with err on an unknown extension or an I/O error. */
int report_write(Store *store, const char *out_path, const ReportOptions *options, char err[ERR_LEN]);

#endif

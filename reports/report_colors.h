/* The page's colours (HTML and its SVG charts only; the analysis knows none): a hue family per model, well
 * separated, and a shade of it per configuration; a run takes its configuration's shade. */
#ifndef COHORT_REPORT_COLORS_H
#define COHORT_REPORT_COLORS_H

#include "report_internal.h"

typedef struct {
    char (*model)[8];  /* [model_count] "#rrggbb": each model's base colour */
    char (*config)[8]; /* [config_count]: each configuration's shade */
} ReportColors;

/* -1 when out of memory. */
int report_colors_build(const ReportData *d, ReportColors *c);
void report_colors_free(ReportColors *c);

/* A run's colour: its configuration's. */
const char *report_run_color(const ReportData *d, const ReportColors *c, int run);

#endif

/* Private to the HTML report: its chart sections, each a file of its own. */
#ifndef COHORT_REPORT_HTML_H
#define COHORT_REPORT_HTML_H

#include <stdio.h>

#include "report_colors.h"
#include "report_internal.h"

/* Test top-1 and train loss per epoch with the mean ± std bands, and the note that reads them. */
void html_learning_curves(FILE *out, const ReportData *d, const ReportColors *colors);
/* One Pareto chart: the mean metric of each configuration against parameters, FLOPs or images/s. */
void html_front_chart(FILE *out, const ReportData *d, const ReportColors *colors, FrontAxis axis);
/* The parallel coordinates of the swept hyperparameters and the mean metric. */
void html_parallel_chart(FILE *out, const ReportData *d);

#endif

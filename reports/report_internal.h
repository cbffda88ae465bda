/* Private to cohort_reports: the summary every format renders, computed once in report.c. */
#ifndef COHORT_REPORT_INTERNAL_H
#define COHORT_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "report.h"

typedef struct {
    double best_top1;        /* highest test top-1 %, NaN when no epoch measured it */
    int best_epoch;          /* epoch number of best_top1, 0 when none */
    double final_top1, final_top5, final_train_loss; /* of the last recorded epoch, NaN when none */
    double seconds;          /* sum of the epochs' wall times (training + evaluation) */
    char *key_params;        /* owned: "lr=0.1, batch_size=64" (the varying config keys), "" if none */
    char *label;             /* owned: "#12 lenet lr=0.1", for legends */
    int model_index;         /* into ReportData.models */
    char color[8];           /* "#rrggbb": hue family per model, shade per run */
} RunSummary;

typedef struct {
    RunRecord *runs;
    int count;
    RunSummary *sums;        /* [count] */
    char **models;           /* distinct models, first-appearance order */
    char (*model_colors)[8]; /* base colour of each model */
    int model_count;
    char **sweeps;           /* distinct sweep names, first-appearance order */
    int sweep_count;
    int best_run;            /* index of the run with the highest best_top1, -1 if none */
    char title[512];         /* "Cohort report: sweep-a, sweep-b" */
    char generated_at[32];   /* "2024-05-01 12:00:00 UTC" */
} ReportData;

int report_write_html(FILE *out, const ReportData *data);
int report_write_markdown(FILE *out, const ReportData *data);

/* 1234567 -> "1,234,567"; 0 or less -> "-" (unknown until the run starts). */
void report_format_count(int64_t value, char out[32]);
/* printf "%.*f", or "-" for NaN. */
void report_format_fixed(double value, int decimals, char out[32]);

#endif

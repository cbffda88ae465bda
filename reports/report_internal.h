/* Private to cohort_reports: the analysis every format renders, computed once in report_data.c. */
#ifndef COHORT_REPORT_INTERNAL_H
#define COHORT_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "metrics.h" /* MetricId and its table: metric_name, metric_label, metric_better, ... */
#include "report.h"
#include "report_stats.h"
#include "report_tables.h"

/* ---- flattened configs: nested objects become dotted keys; strings bare, other values as compact JSON ---- */
typedef struct {
    char **keys, **values;
    int n, cap;
} Flat;
const char *flat_get(const Flat *f, const char *key);

typedef struct {
    double best_top1;        /* highest test top-1 %, NaN when no epoch measured it */
    int best_epoch;          /* epoch number of best_top1, 0 when none */
    double final_top1, final_top5, final_train_loss, final_test_loss; /* last recorded epoch, NaN when none */
    double metric;           /* the report's metric at the last recorded epoch, NaN when none */
    double seconds;          /* sum of the epochs' wall times (training + evaluation) */
    int finished;            /* status is "finished" */
    int problem;             /* pruned, diverged, failed or lost */
    char *key_params;        /* owned: "lr=0.1, batch_size=64" (the varying config keys, not model), "" if none */
    char *label;             /* owned: "#12 lenet lr=0.1", for legends */
    int model_index;         /* into ReportData.models */
    int config_index;        /* into ReportData.configs */
    int group_index;         /* into ReportData.groups */
} RunSummary;

typedef struct {
    char *json;              /* owned: the config without "seed" (compact JSON), the configuration's identity */
    char *key_params;        /* owned: varying keys without seed and model, "" if none */
    char *label;             /* owned: "lenet lr=0.1" */
    int model_index, group_index;
    int *runs, run_count;    /* all its runs, report order */
    int n;                   /* finished runs with a metric value */
    Stat metric, top1, top5, seconds;
    int epochs_min, epochs_max; /* epochs of its finished runs (0 when none) */
    int best_run;            /* its best finished run by the metric, -1 if none */
    int64_t params;          /* parameter count (largest of its runs), 0 when unknown */
    int pareto;              /* on the Pareto front of params (fewer) against the mean metric (better) */
    double flops;            /* forward FLOPs per image (largest of its runs), NaN when unknown */
    Stat images_per_sec;     /* training images/s over its finished runs (each run's mean over its epochs) */
    int pareto_flops;        /* on the front of FLOPs (fewer) against the mean metric */
    int pareto_speed;        /* on the front of mean images/s (more) against the mean metric */
} ConfigSummary;

typedef struct {
    char *label;             /* owned: "lenet" or "lenet, mnist" (values of the group keys) */
    char **values;           /* owned: [group_key_count] */
    int *configs, config_count; /* its configurations */
    int run_count, finished;
    int best_config;         /* best mean metric among configurations with n > 0, -1 if none */
} GroupSummary;

typedef struct {
    char *key;               /* owned */
    int numeric;             /* every value present is a JSON number */
    int log_scale;           /* numeric, all > 0, max / min >= 20 */
    char **levels;           /* owned: distinct values (numeric ascending, else first appearance); "-" = unset */
    double *level_value;     /* numeric value of each level (NaN for "-") */
    int level_count;
    int *run_level;          /* [run count]: the run's level */
    double eta2;             /* between-level / total sum of squares of the metric, NaN if undefined */
    double spearman;         /* numeric only, else NaN */
    int bins;                /* numeric keys with more than 10 values: quantile bins used for eta2, else 0 */
    int best_level;          /* level with the best mean metric, -1 if none */
    Stat *level_stat;        /* [level_count]: the metric over finished runs per level */
} HyperParam;

/* A stored `cohort eval` of one of the report's runs. */
typedef struct {
    int run;                 /* index into ReportData.runs */
    char *checkpoint, *split, *dataset; /* owned */
    int epoch, images, classes;
    double top1, top5, loss;
    long long *confusion;    /* owned, [classes][classes]: true, predicted */
    char **names;            /* owned, [classes] */
} ReportEvaluation;

typedef struct ReportData {
    const ReportOptions *options;
    MetricId metric;
    RunRecord *runs;
    int count;
    RunSummary *sums;        /* [count] */
    Flat *flats;             /* [count] flattened configs */
    char **models;           /* distinct models, first-appearance order */
    int model_count;
    char **sweeps;           /* distinct sweep names, first-appearance order */
    int sweep_count;
    char **config_keys;      /* union of the flattened config keys, first-appearance order */
    int config_key_count;
    char **group_keys;       /* --group-by, split */
    int group_key_count;
    ConfigSummary *configs;
    int config_count;
    GroupSummary *groups;
    int group_count;
    HyperParam *hps;         /* swept hyperparameters: config keys that vary between the finished runs (with a
                                metric), but seed and threads */
    int hp_count;
    int *importance_order;   /* hps by eta2, largest first (undefined last) */
    double within_config;    /* share of the metric's sum of squares within configurations (seed noise) */
    int importance_runs;     /* finished runs with a metric value */
    int finished, problems;  /* run counts */
    int best_run;            /* best finished run by the metric, -1 if none */
    int best_top1_run;       /* run with the highest best_top1 (any status), -1 if none */
    int *pareto;             /* configurations on the front, fewest parameters first */
    int pareto_count;
    int *pareto_flops;       /* configurations on the FLOPs front, fewest FLOPs first */
    int pareto_flops_count;
    int *pareto_speed;       /* configurations on the images/s front, fastest first */
    int pareto_speed_count;
    int kept_checkpoints;    /* runs with a kept best or last checkpoint */
    ReportEvaluation *evals; /* stored evaluations of the report's runs, by run id, checkpoint, split */
    int eval_count;
    char title[512];         /* "Cohort report: sweep-a, sweep-b" */
    char generated_at[32];   /* "2024-05-01 12:00:00 UTC" */
    ReportTables tables;     /* the rows every format shows (report_tables.c, built after the analysis) */
} ReportData;

/* The axes of the Pareto fronts: parameters and FLOPs (fewer is better), images/s (more is better). */
typedef enum { AXIS_PARAMS, AXIS_FLOPS, AXIS_SPEED } FrontAxis;
/* A configuration's value on the axis; NaN when unknown. */
double report_axis_value(const ConfigSummary *c, FrontAxis axis);

/* Loads the stored evaluations of d's runs (report.c, before report_data_build). */
int report_load_evaluations(Store *store, ReportData *d, char *err);

/* report_data.c */
int report_data_build(ReportData *d, char *err);
void report_data_free(ReportData *d);
/* How eta squared and rho are computed, one sentence each, for the formats to print. */
extern const char REPORT_IMPORTANCE_METHOD[];
/* The value of a group key for run r ("-" when unset). */
const char *report_key_value(const ReportData *d, int r, const char *key, char buf[64]);

/* The writers of REPORT_FORMATS (report_formats.c). */
int report_write_html(FILE *out, const ReportData *data);
int report_write_markdown(FILE *out, const ReportData *data);
int report_write_latex(FILE *out, const ReportData *data);
int report_write_csv(FILE *out, const ReportData *data);
int report_write_json(FILE *out, const ReportData *data);

/* The extension of out_path's last component (".html"), "" when it has none. */
const char *report_extension(const char *out_path);

/* 1234567 -> "1,234,567"; 0 or less -> "-" (unknown until the run starts). */
void report_format_count(int64_t value, char out[32]);
/* FLOPs with an SI prefix: 833040 -> "833.0 k", 1.82e9 -> "1.82 G"; "-" when unknown (NaN or 0). */
void report_format_flops(double value, char out[32]);
/* The run's kept checkpoints: "best: epoch 2 (482.6 KiB), last: epoch 3 (482.7 KiB), 3 epochs", "-" when none. */
void report_format_kept(const RunRecord *run, char out[160]);
/* printf "%.*f", or "-" for NaN. */
void report_format_fixed(double value, int decimals, char out[32]);
/* "91.20 ± 0.35" (UTF-8 ±), "91.20" when n = 1, "-" when n = 0. */
void report_format_stat(Stat s, int decimals, char out[64]);
/* A configuration's epochs: "3", "2<dash>3" when its runs differ, "-" when none finished (hi = 0). */
void report_format_epochs(int lo, int hi, const char *dash, char out[48]);
/* A best run: "#12: 91.20" (run id: its metric), "-" when r < 0. */
void report_format_best_run(const ReportData *d, int r, char out[48]);
/* A swept hyperparameter's kind: "numeric, 10 bins", "numeric, log", "numeric" or "categorical". */
const char *report_hp_kind(const HyperParam *h);
/* 42 s, 12.5 min, 3.2 h. */
void report_format_duration(double seconds, char out[32]);
/* Shortest "%.*g" that reads back as the same double (JSON, CSV). */
void report_format_exact(double value, char out[32]);

#endif

/* The report's tables as rows, built once from the analysis: which rows each table shows, in which order,
 * which cells hold the best value of their column (bold), and where long tables are cut. The formats only
 * format these rows, so every format orders, marks and caps alike. */
#ifndef COHORT_REPORT_TABLES_H
#define COHORT_REPORT_TABLES_H

enum {
    TABLE_GROUP_CONFIGS = 25,   /* the best configurations of each group in a page's configuration table */
    TABLE_PAPER_CONFIGS = 200,  /* configurations in a paper's table (LaTeX); a longer table breaks the page */
    TABLE_RUNS = 1000,          /* rows of a page's run and problem tables */
    TABLE_RANKED_CONFIGS = 1000 /* configurations drawn in the parallel coordinates */
};

/* The mean ± std columns of the group and configuration tables. */
typedef enum { COL_METRIC, COL_TOP1, COL_TOP5, STAT_COLUMNS } StatColumn;

typedef struct {
    int *index;                          /* [count]: the rows shown, in order (indices into ReportData's
                                            groups, configs or runs) */
    unsigned char (*best)[STAT_COLUMNS]; /* [count]: the row's mean is the best of its column; NULL when the
                                            table marks none */
    int count;                           /* rows shown */
    int total;                           /* rows before the cap */
} TableRows;

typedef struct {
    int metric_column;          /* the metric gets a column of its own (it is neither test top-1 nor top-5) */
    TableRows groups;           /* every group; best among the groups' best configurations */
    TableRows configs;          /* every configuration: by group, the best mean metric first */
    TableRows group_configs;    /* the same, at most TABLE_GROUP_CONFIGS of each group */
    TableRows paper_configs;    /* the configurations with finished runs in the same order, at most
                                   TABLE_PAPER_CONFIGS; best among all of them */
    TableRows ranked_configs;   /* the configurations with a mean metric, best first, at most
                                   TABLE_RANKED_CONFIGS */
    TableRows problems;         /* the runs that did not finish, report order */
    TableRows shown_problems;   /* the first TABLE_RUNS of them */
    TableRows shown_runs;       /* every run in report order; beyond TABLE_RUNS the best TABLE_RUNS by the
                                   metric (finished runs first), still in report order */
} ReportTables;

struct ReportData;
/* Fills t from d (report_data_build first). -1 with err when out of memory. */
int report_tables_build(const struct ReportData *d, ReportTables *t, char *err);
void report_tables_free(ReportTables *t);

#endif

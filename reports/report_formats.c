/* The format table: one entry per output extension. report_write dispatches through it, `cohort report
 * --help` prints its lines and the tests iterate it, so a new format is one entry here. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report_internal.h"

const ReportFormat REPORT_FORMATS[] = {
    {".html", report_write_html, "a self-contained page (no scripts, no network): tables, curves, Pareto fronts, importance"},
    {".md", report_write_markdown, "the tables in Markdown"},
    {".tex", report_write_latex, "booktabs tables for a paper (\\usepackage{booktabs})"},
    {".csv", report_write_csv, "one row per run, or per epoch with --epochs (RFC 4180)"},
    {".json", report_write_json, "the same analysis, structured (--epochs: every run's epochs too)"},
};
const int REPORT_FORMAT_COUNT = (int)(sizeof REPORT_FORMATS / sizeof REPORT_FORMATS[0]);

const char *report_extension(const char *out_path) {
    const char *base = strrchr(out_path, '/');
    base = base ? base + 1 : out_path;
    const char *ext = strrchr(base, '.');
    return ext && ext != base ? ext : "";
}

const ReportFormat *report_format_of(const char *out_path) {
    if (!out_path) return NULL;
    const char *ext = report_extension(out_path);
    for (int i = 0; i < REPORT_FORMAT_COUNT; i++)
        if (strcasecmp(ext, REPORT_FORMATS[i].extension) == 0) return &REPORT_FORMATS[i];
    return NULL;
}

void report_format_list(char *out, size_t size) {
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < REPORT_FORMAT_COUNT && at < size; i++) {
        const char *sep = i == 0 ? "" : i == REPORT_FORMAT_COUNT - 1 ? " or " : ", ";
        int n = snprintf(out + at, size - at, "%s%s", sep, REPORT_FORMATS[i].extension);
        if (n < 0) break;
        at += (size_t)n;
    }
}

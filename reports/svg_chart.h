/* A small SVG line-chart renderer for self-contained HTML reports: axes with "nice" ticks and labels,
 * light grid, one <polyline> per series, a legend under the plot. Output is inline SVG for HTML5 (no
 * xmlns, no scripts, no external references); styling hooks are CSS classes (see report_html.c). */
#ifndef COHORT_SVG_CHART_H
#define COHORT_SVG_CHART_H

#include <stdio.h>

typedef struct {
    const char *label;   /* legend text and the line's tooltip */
    const char *color;   /* CSS colour, e.g. "#1f77b4" */
    int n;
    const double *x, *y; /* [n]; points with a NaN coordinate are skipped */
} SvgSeries;

typedef struct {
    const char *label;
    const char *color;
} SvgLegendEntry;

typedef struct {
    const char *title;
    const char *x_label, *y_label;
    int width;        /* whole chart, px (default 820) */
    int plot_height;  /* plot area, px (default 300) */
    int x_integer;    /* x ticks only at whole numbers (epochs) */
    /* Legend: NULL = one entry per series; otherwise these entries (e.g. one per model for big sweeps). */
    const SvgLegendEntry *legend;
    int legend_count;
} SvgChart;

/* Writes one <svg class="chart">...</svg>. Series without any finite point draw no line. */
void svg_line_chart(FILE *out, const SvgChart *chart, const SvgSeries *series, int count);

/* Writes text with & < > " ' escaped (safe in HTML/SVG text and attribute values). */
void svg_write_escaped(FILE *out, const char *text);

/* "#rrggbb" for a hue (degrees), saturation and lightness (0..1). */
void svg_hsl_color(double hue, double saturation, double lightness, char out[8]);

#endif

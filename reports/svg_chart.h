/* A small SVG chart renderer for self-contained HTML reports: line charts (with ± bands), scatter plots
 * (with error bars and a Pareto staircase), parallel coordinates and horizontal bar charts. Axes get "nice"
 * ticks and labels, a light grid, and a legend under the plot. Output is inline SVG for HTML5 (no xmlns,
 * no scripts, no external references); tooltips are <title> elements; styling hooks are CSS classes (see
 * report_html.c). Every chart is one <svg class="chart" id="..."> whose first child is its <title>. */
#ifndef COHORT_SVG_CHART_H
#define COHORT_SVG_CHART_H

#include <stdio.h>

typedef struct {
    const char *label;     /* legend text and the line's tooltip */
    const char *color;     /* CSS colour, e.g. "#1f77b4" */
    int n;
    const double *x, *y;   /* [n]; points with a NaN coordinate are skipped */
    const double *lo, *hi; /* optional band [n] drawn under the line (NaN = none at that x) */
    double width;          /* stroke width, px (0 = 1.7) */
    double opacity;        /* stroke opacity (0 = opaque) */
    const char *css_class; /* extra class on the polyline, e.g. "run" or "mean" */
} SvgSeries;

typedef struct {
    const char *label;
    const char *color;
} SvgLegendEntry;

typedef struct {
    const char *id;       /* the <svg>'s id (NULL = none) */
    const char *title;
    const char *x_label, *y_label;
    int width;            /* whole chart, px (default 820) */
    int plot_height;      /* plot area, px (default 300) */
    int x_integer;        /* x ticks only at whole numbers (epochs) */
    int x_log;            /* scatter: logarithmic x axis (when the data spans at least 10x) */
    int x_si;             /* x tick labels as 10k, 1.5M */
    /* Legend: NULL = one entry per series (line charts); otherwise these entries. */
    const SvgLegendEntry *legend;
    int legend_count;
    int no_legend;        /* no legend at all */
    int max_points;       /* line charts: at most this many points per series, evenly spaced (0 = all) */
    /* Scatter charts: the front's tooltip (NULL = "Pareto front (fewer parameters, lower|higher metric)"), whether
     * the front runs from the right (x larger is better: its last point's value holds to the left edge), and
     * the text shown when no point can be drawn (NULL = "no finished runs with a parameter count"). */
    const char *front_title;
    int front_from_right;
    const char *empty_note;
} SvgChart;

/* Writes one <svg class="chart">...</svg>. Series without any finite point draw no line. */
void svg_line_chart(FILE *out, const SvgChart *chart, const SvgSeries *series, int count);

typedef struct {
    double x, y;
    double err;         /* error bar half-length in y (NaN or 0 = none) */
    const char *color;
    const char *label;  /* tooltip */
    int highlight;      /* ringed (e.g. Pareto-optimal) */
} SvgPoint;

/* Scatter plot; front (indices into points, increasing x) is joined by a staircase: after each front
 * point the best value holds until the next one (minimise: the staircase steps down). */
void svg_scatter_chart(FILE *out, const SvgChart *chart, const SvgPoint *points, int n, const int *front, int front_n,
                       int minimise);

typedef struct {
    const char *name;
    int categorical;            /* values are level indices 0 .. level_count - 1 */
    const char *const *levels;  /* categorical: the level names */
    int level_count;
    int log;                    /* numeric: log10 axis */
    double lo, hi;              /* numeric: the data's range */
} SvgAxis;

typedef struct {
    const double *values;  /* [axis count]; NaN = absent */
    const char *color;
    const char *label;     /* tooltip */
} SvgLine;

typedef struct {
    const char *label;           /* what the colour shows */
    double lo, hi;               /* value at the first and last colour */
    const char *const *colors;   /* "#rrggbb" stops, evenly spaced */
    int color_count;
    int decimals;
} SvgRamp;

/* Parallel coordinates: one vertical axis per entry, one polyline per line, a colour ramp legend. */
void svg_parallel_chart(FILE *out, const SvgChart *chart, const SvgAxis *axes, int axis_count, const SvgLine *lines,
                        int line_count, const SvgRamp *ramp);

typedef struct {
    const char *label;
    double value;        /* NaN = no bar, text only */
    const char *color;
    const char *text;    /* shown after the bar */
    const char *tooltip; /* NULL = label */
} SvgBar;

/* Horizontal bars from 0 to value, scaled to max_value. */
void svg_bar_chart(FILE *out, const SvgChart *chart, const SvgBar *bars, int n, double max_value);

/* Opens an <svg class="chart EXTRA"> of that size with the chart's id, title and title text (extra_class may be
 * NULL); the caller draws the rest and closes it. */
void svg_open(FILE *out, const SvgChart *chart, const char *extra_class, int width, int height);

/* A confusion matrix (svg_heatmap.c): counts[true][predicted] of `classes` classes named names[k]; <svg
 * class="chart heatmap">, one <rect class="cell"> per pair. */
void svg_heatmap_chart(FILE *out, const SvgChart *chart, const long long *counts, int classes,
                       const char *const *names);

/* The ramp's colour at t in [0, 1]. */
void svg_ramp_color(const SvgRamp *ramp, double t, char out[8]);

/* Writes text with & < > " ' escaped (safe in HTML/SVG text and attribute values); control characters and
 * bytes that are not UTF-8 as &#xFFFD;. */
void svg_write_escaped(FILE *out, const char *text);

/* "#rrggbb" for a hue (degrees), saturation and lightness (0..1). */
void svg_hsl_color(double hue, double saturation, double lightness, char out[8]);

#endif

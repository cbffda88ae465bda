/* A confusion matrix as an SVG heatmap: one square per (true, predicted) class pair, its colour the pair's share
 * of the true class's images (white 0 to dark blue 1), its count written inside while the squares are large
 * enough, and a tooltip per square. */
#include <stdio.h>

#include "svg_chart.h"

void svg_heatmap_chart(FILE *out, const SvgChart *chart, const long long *counts, int classes,
                       const char *const *names) {
    const int cell = classes <= 10 ? 34 : classes <= 20 ? 24 : classes <= 50 ? 12 : 6;
    const int left = 130, top = 60, legend = 40;
    const int size = cell * classes, height = top + size + legend;
    const int width = left + size + 20 > 640 ? left + size + 20 : 640; /* room for the title */
    static const char *const RAMP_COLORS[] = {"#ffffff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"};
    const SvgRamp ramp = {.lo = 0, .hi = 1, .colors = RAMP_COLORS, .color_count = 5};
    svg_open(out, chart, "heatmap", width, height);
    fprintf(out, "<text class=\"axis-label\" x=\"%d\" y=\"%d\">predicted class &#8594;</text>\n", left, top - 24);
    fprintf(out, "<text class=\"axis-label\" x=\"10\" y=\"%d\">true class &#8595;</text>\n", top - 6);
    for (int k = 0; k < classes && cell >= 12; k++) { /* row and column labels */
        fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 4, top + k * cell + cell / 2 + 4);
        svg_write_escaped(out, names[k]);
        fprintf(out, "</text><text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
                left + k * cell + cell / 2, top - 4, k);
    }
    for (int t = 0; t < classes; t++) {
        long long row = 0;
        for (int p = 0; p < classes; p++) row += counts[(size_t)t * classes + p];
        for (int p = 0; p < classes; p++) {
            const long long n = counts[(size_t)t * classes + p];
            const double share = row ? (double)n / (double)row : 0;
            char color[8];
            svg_ramp_color(&ramp, share, color);
            fprintf(out, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>true ",
                    left + p * cell, top + t * cell, cell, cell, color);
            svg_write_escaped(out, names[t]);
            fputs(", predicted ", out);
            svg_write_escaped(out, names[p]);
            fprintf(out, ": %lld of %lld images (%.1f%%)</title></rect>", n, row, 100.0 * share);
            if (cell >= 24 && n > 0)
                fprintf(out, "<text class=\"count\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" style=\"fill:%s\">%lld</text>",
                        left + p * cell + cell / 2, top + t * cell + cell / 2 + 4, share > 0.5 ? "#ffffff" : "#222222", n);
        }
        fputc('\n', out);
    }
    fprintf(out, "<text class=\"note\" x=\"%d\" y=\"%d\">colour: share of the true class's images (white 0, dark blue "
                 "all)</text>\n</svg>\n",
            left, top + size + 24);
}

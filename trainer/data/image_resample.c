/* Resampling (image.h): image_sample and image_shrink_to. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define MAX_TAPS 12 /* 2 * ceil(support) + 2 for support <= 4 (a downscale factor of at most 4) */

/* Taps of output coordinate o along an axis: source start index, count and normalised weights. */
static int taps(double origin, double step, double support, int o, int n_src, int *first, float *w) {
    const double centre = origin + (o + 0.5) * step - 0.5; /* pixel centres sit at integer + 0.5 */
    int lo = (int)floor(centre - support) + 1, hi = (int)floor(centre + support);
    if (hi - lo + 1 > MAX_TAPS) hi = lo + MAX_TAPS - 1;
    double sum = 0;
    int count = 0;
    for (int i = lo; i <= hi; i++) {
        double t = 1.0 - fabs(i - centre) / support;
        w[count++] = (float)(t > 0 ? t : 0);
        sum += t > 0 ? t : 0;
    }
    if (sum <= 0) { /* a degenerate rectangle: nearest pixel */
        count = 1;
        lo = (int)floor(centre + 0.5);
        w[0] = 1.0f;
        sum = 1;
    }
    for (int k = 0; k < count; k++) w[k] = (float)(w[k] / sum);
    (void)n_src;
    *first = lo;
    return count;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

void image_sample(const uint8_t *src, int C, int sw, int sh, double x0, double y0, double cw, double ch, int dw,
                  int dh, real *dst, size_t dst_plane) {
    const double sx = cw / dw, sy = ch / dh;
    const double supx = sx > 1 ? sx : 1, supy = sy > 1 ? sy : 1;
    static _Thread_local float wx[IMAGE_MAX_SIDE][MAX_TAPS];
    static _Thread_local int fx[IMAGE_MAX_SIDE], nx[IMAGE_MAX_SIDE];
    for (int x = 0; x < dw; x++) nx[x] = taps(x0, sx, supx, x, sw, &fx[x], wx[x]);
    float wy[MAX_TAPS];
    for (int y = 0; y < dh; y++) {
        int fy;
        const int ny = taps(y0, sy, supy, y, sh, &fy, wy);
        for (int c = 0; c < C; c++) {
            const uint8_t *plane = src + (size_t)c * sh * sw;
            real *out = dst + (size_t)c * dst_plane + (size_t)y * dw;
            for (int x = 0; x < dw; x++) {
                float acc = 0;
                for (int j = 0; j < ny; j++) {
                    const uint8_t *row = plane + (size_t)clampi(fy + j, 0, sh - 1) * sw;
                    float racc = 0;
                    for (int i = 0; i < nx[x]; i++) racc += wx[x][i] * row[clampi(fx[x] + i, 0, sw - 1)];
                    acc += wy[j] * racc;
                }
                out[x] = (real)acc;
            }
        }
    }
}

int image_shrink_to(Image *img, int min_side, char err[ERR_LEN]) {
    while ((img->width < img->height ? img->width : img->height) >= 2 * min_side && img->width >= 2 &&
           img->height >= 2) {
        const int w = img->width / 2, h = img->height / 2;
        uint8_t *half = malloc((size_t)img->channels * w * h);
        if (!half) return err_set(err, "out of memory shrinking a %dx%d image", img->width, img->height);
        for (int c = 0; c < img->channels; c++) {
            const uint8_t *s = img->pixels + (size_t)c * img->height * img->width;
            uint8_t *d = half + (size_t)c * h * w;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    const uint8_t *p = s + (size_t)(2 * y) * img->width + 2 * x;
                    d[(size_t)y * w + x] = (uint8_t)((p[0] + p[1] + p[img->width] + p[img->width + 1] + 2) / 4);
                }
        }
        free(img->pixels);
        img->pixels = half;
        img->width = w;
        img->height = h;
    }
    return 0;
}

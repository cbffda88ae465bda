/* Images as files: PNG and JPEG decoding (libpng, libjpeg-turbo), PNG writing, and resampling a rectangle of
 * an image to a new size. Used by the image-folder dataset, by `cohort predict` and `cohort features`. */
#ifndef COHORT_IMAGE_H
#define COHORT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "real.h"

typedef struct {
    int width, height, channels; /* channels 1 (gray) or 3 (RGB) */
    uint8_t *pixels;             /* planar: [channels][height][width], malloc'd */
} Image;

/* Decodes a PNG or JPEG file (recognised by its first bytes, not its name) into `channels` channels (1: gray
 * by the ITU-R 601 luma weights as the libraries convert; 3: RGB, gray images replicated). min_side > 0 lets a
 * JPEG be decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) as long as its shorter side stays at least
 * min_side. A truncated or corrupt file, any other format, or a library warning fails with err naming path. */
int image_read(Image *img, const char *path, int channels, int min_side, char err[ERR_LEN]);
void image_free(Image *img);
/* Writes planar 8-bit pixels ([channels][height][width], channels 1 or 3) as a PNG file. */
int image_write_png(const char *path, const uint8_t *pixels, int width, int height, int channels, char err[ERR_LEN]);

/* Halves the image (2x2 box average) until its shorter side is below 2 * min_side: keeps later resampling
 * within a small filter and quick. */
int image_shrink_to(Image *img, int min_side, char err[ERR_LEN]);

/* Samples the rectangle x0 <= x < x0 + cw, y0 <= y < y0 + ch (source pixel units, fractional) of planar
 * src [C][sh][sw] onto a dw x dh grid: dst + c * dst_plane holds channel c, row-major dw per row, values in
 * pixel units 0..255. The filter is a triangle (bilinear) widened by the downscale factor, so shrinking
 * averages instead of aliasing; source pixels past the edge repeat the edge. The downscale factor must be at
 * most 4 per axis (image_shrink_to first); dw <= IMAGE_MAX_SIDE. No allocation. */
#define IMAGE_MAX_SIDE 2048
void image_sample(const uint8_t *src, int C, int sw, int sh, double x0, double y0, double cw, double ch, int dw,
                  int dh, real *dst, size_t dst_plane);

#endif

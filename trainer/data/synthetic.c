/* A seeded synthetic image-classification set, for tests and quick experiments without dataset files.
 *
 * Each class has a smooth random prototype per channel: a mid-grey level, a linear gradient in a random
 * direction and a few Gaussian blobs of random position, width and sign (all low-frequency, so that a
 * convolution sees shapes rather than pixel noise). An image of class k is
 *     prototype[k] shifted by a few pixels, contrast-scaled around mid-grey,
 *     + a random "distractor" blob not tied to any class,
 *     + a uniform brightness shift, + independent per-pixel Gaussian noise,
 * rounded and clamped into 0..255. The shift, contrast, distractor and noise make the classes overlap a
 * little, so a model has to learn them over several steps rather than read them off in one; a nearest-
 * class-mean classifier on raw pixels gets about 80-90% on 1x32x32 with 10 classes (the default), more
 * with 3 channels (more independent evidence per image), about 55% with 100 classes.
 *
 * Random streams (rng_seed_stream of `seed`): 1 = prototypes, 2 = training images, 3 = test images. So train
 * and test share the prototypes but have independent noise, and the set depends on `seed` only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"

#define SYN_STREAM_PROTOTYPES 1
#define SYN_STREAM_TRAIN 2
#define SYN_STREAM_TEST 3

#define SYN_BLOBS 3               /* Gaussian blobs per prototype channel */
#define SYN_BLOB_AMPLITUDE 80.0   /* grey levels, uniform in +-this */
#define SYN_GRADIENT 50.0         /* grey levels across the image, uniform in +-this */
#define SYN_CONTRAST 0.25         /* per-image contrast factor uniform in 1 +- this */
#define SYN_DISTRACTOR 35.0       /* grey levels, standard deviation of the distractor blob's amplitude */
#define SYN_BRIGHTNESS 12.0       /* grey levels, standard deviation of the per-image brightness shift */
#define SYN_NOISE 40.0            /* grey levels, standard deviation of the per-pixel noise */
#define SYN_SHIFT_FRACTION 0.1    /* maximum shift as a fraction of the image side (3 px of 32) */

static void *syn_alloc(size_t size) {
    void *p = calloc(size ? size : 1, 1);
    if (!p) {
        /* synthetic_make has no error path: running out of memory for generated data is fatal. */
        fprintf(stderr, "synthetic_make: out of memory (%zu bytes)\n", size);
        abort();
    }
    return p;
}

/* Adds a Gaussian blob (centre cy, cx in pixels, width sigma in pixels, peak amplitude amp) to f[H][W]. */
static void add_blob(float *f, int H, int W, double cy, double cx, double sigma, double amp) {
    double inv = 1.0 / (2.0 * sigma * sigma);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double dy = y - cy, dx = x - cx;
            f[y * W + x] += (float)(amp * exp(-(dy * dy + dx * dx) * inv));
        }
}

/* One prototype channel into f[H][W], grey levels around 128. */
static void make_prototype(float *f, int H, int W, Rng *rng) {
    double side = H > W ? H : W;
    double angle = 2.0 * M_PI * rng_uniform(rng);
    double slope = SYN_GRADIENT * (2.0 * rng_uniform(rng) - 1.0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            /* position in [-0.5, 0.5] along the gradient's direction */
            double u = (x + 0.5) / W - 0.5, v = (y + 0.5) / H - 0.5;
            f[y * W + x] = (float)(128.0 + slope * (u * cos(angle) + v * sin(angle)));
        }
    for (int b = 0; b < SYN_BLOBS; b++) {
        double cy = rng_uniform(rng) * H, cx = rng_uniform(rng) * W;
        double sigma = side * (0.10 + 0.15 * rng_uniform(rng));
        double amp = SYN_BLOB_AMPLITUDE * (2.0 * rng_uniform(rng) - 1.0);
        add_blob(f, H, W, cy, cx, sigma, amp);
    }
}

/* Fills d (already allocated) with images drawn from the prototypes protos[classes][C][H][W]. */
static void make_images(Dataset *d, const float *protos, Rng *rng) {
    const int C = d->channels, H = d->height, W = d->width;
    const size_t plane = (size_t)H * W;
    const int max_shift = (int)(SYN_SHIFT_FRACTION * (H < W ? H : W));
    const double side = H > W ? H : W;
    float *distractor = syn_alloc(plane * sizeof *distractor);
    for (int i = 0; i < d->count; i++) {
        int k = (int)rng_below(rng, (uint32_t)d->classes);
        d->labels[i] = k;
        int sy = (int)rng_below(rng, (uint32_t)(2 * max_shift + 1)) - max_shift;
        int sx = (int)rng_below(rng, (uint32_t)(2 * max_shift + 1)) - max_shift;
        double contrast = 1.0 + SYN_CONTRAST * (2.0 * rng_uniform(rng) - 1.0);
        double brightness = SYN_BRIGHTNESS * rng_normal(rng);
        /* One distractor shape per image, with its own amplitude in each channel. */
        memset(distractor, 0, plane * sizeof *distractor);
        add_blob(distractor, H, W, rng_uniform(rng) * H, rng_uniform(rng) * W, side * (0.08 + 0.12 * rng_uniform(rng)),
                 1.0);
        for (int c = 0; c < C; c++) {
            const float *p = protos + ((size_t)k * C + c) * plane;
            double amp = SYN_DISTRACTOR * rng_normal(rng);
            uint8_t *dst = d->pixels + ((size_t)i * C + c) * plane;
            for (int y = 0; y < H; y++) {
                int py = y - sy;
                py = py < 0 ? 0 : py >= H ? H - 1 : py; /* edge pixels extend beyond the border */
                for (int x = 0; x < W; x++) {
                    int px = x - sx;
                    px = px < 0 ? 0 : px >= W ? W - 1 : px;
                    double v = 128.0 + contrast * (p[py * W + px] - 128.0) + amp * distractor[y * W + x] + brightness +
                               SYN_NOISE * rng_normal(rng);
                    v = floor(v + 0.5);
                    dst[y * W + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
        }
    }
    free(distractor);
}

static void syn_dataset(Dataset *d, int count, int C, int H, int W, int classes) {
    char err[ERR_LEN];
    if (dataset_alloc(d, count, C, H, W, classes, err)) {
        fprintf(stderr, "synthetic_make: %s\n", err);
        abort();
    }
    snprintf(d->name, sizeof d->name, "synthetic");
    d->label_names = syn_alloc((size_t)classes * sizeof *d->label_names);
    for (int k = 0; k < classes; k++) snprintf(d->label_names[k], sizeof d->label_names[k], "class%d", k);
}

void synthetic_make(Dataset *train, Dataset *test, int channels, int height, int width, int classes, int n_train,
                    int n_test, uint64_t seed) {
    const size_t plane = (size_t)height * width;
    float *protos = syn_alloc((size_t)classes * channels * plane * sizeof *protos);
    Rng rng;
    rng_seed_stream(&rng, seed, SYN_STREAM_PROTOTYPES);
    for (int k = 0; k < classes; k++)
        for (int c = 0; c < channels; c++) make_prototype(protos + ((size_t)k * channels + c) * plane, height, width, &rng);

    syn_dataset(train, n_train, channels, height, width, classes);
    syn_dataset(test, n_test, channels, height, width, classes);
    rng_seed_stream(&rng, seed, SYN_STREAM_TRAIN);
    make_images(train, protos, &rng);
    rng_seed_stream(&rng, seed, SYN_STREAM_TEST);
    make_images(test, protos, &rng);
    free(protos);

    /* Normalise with the training set's own per-channel statistics (both sets use the same constants). */
    for (int c = 0; c < DATA_MAX_CHANNELS; c++) {
        double mean = 0.5, std = 0.25;
        if (c < channels && n_train > 0) {
            double sum = 0, sum_sq = 0;
            for (int i = 0; i < n_train; i++) {
                const uint8_t *p = train->pixels + ((size_t)i * channels + c) * plane;
                for (size_t j = 0; j < plane; j++) {
                    sum += p[j];
                    sum_sq += (double)p[j] * p[j];
                }
            }
            double n = (double)n_train * plane;
            mean = sum / n / 255.0;
            double var = sum_sq / n / (255.0 * 255.0) - mean * mean;
            std = var > 1e-12 ? sqrt(var) : 1.0;
        }
        train->mean[c] = test->mean[c] = (float)mean;
        train->std[c] = test->std[c] = (float)std;
    }
}

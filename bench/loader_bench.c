/* loader_bench: how fast an image folder becomes training input, to set beside `cohort bench` of the model
 * it feeds (docs/benchmarks.md). Two figures: the one-time decode into the cache (imagefolder_load: JPEG/PNG
 * decoding + resize to stored_side, images/s) and, per epoch, the training transform of every image (random
 * resized crop + flip + normalisation from the cache, data_fill_batch, images/s), each on one thread.
 *   build/bench/loader_bench ROOT [IMAGE_SIZE]      (ROOT holds train/<class>/... and val/<class>/...) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: loader_bench ROOT [IMAGE_SIZE]\n");
        return 2;
    }
    const int size = argc > 2 ? atoi(argv[2]) : 224;
    char err[ERR_LEN];
    DataSplits s;
    double t0 = now();
    if (imagefolder_load(&s, argv[1], size, err)) {
        fprintf(stderr, "loader_bench: %s\n", err);
        return 2;
    }
    const double load = now() - t0;
    const int images = s.train.count + s.test.count;
    printf("decode into the cache: %d images in %.2f s = %.1f images/s (stored %dx%d, %.1f MB)\n", images, load,
           images / load, s.train.stored_side, s.train.stored_side,
           (double)images * 3 * s.train.stored_side * s.train.stored_side / 1e6);
    enum { BATCH = 32 };
    real *x = malloc(sizeof *x * 3 * (size_t)size * size * BATCH);
    int32_t labels[BATCH], idx[BATCH];
    Augment aug = {.hflip = 1, .resized_crop = 1, .seed = 1, .epoch = 1};
    const int epochs = 3;
    t0 = now();
    for (int e = 1; e <= epochs; e++) {
        aug.epoch = e;
        for (int start = 0; start < s.train.count; start += BATCH) {
            const int B = s.train.count - start < BATCH ? s.train.count - start : BATCH;
            for (int b = 0; b < B; b++) idx[b] = start + b;
            data_fill_batch(&s.train, idx, B, x, labels, &aug, NULL);
        }
    }
    const double train = now() - t0;
    printf("training transform from the cache: %d images in %.2f s = %.1f images/s\n", epochs * s.train.count, train,
           epochs * s.train.count / train);
    t0 = now();
    for (int start = 0; start < s.test.count; start += BATCH) {
        const int B = s.test.count - start < BATCH ? s.test.count - start : BATCH;
        for (int b = 0; b < B; b++) idx[b] = start + b;
        data_fill_batch(&s.test, idx, B, x, labels, NULL, NULL);
    }
    const double eval = now() - t0;
    printf("evaluation transform from the cache: %d images in %.3f s = %.1f images/s\n", s.test.count, eval,
           s.test.count / eval);
    free(x);
    data_free(&s);
    return 0;
}

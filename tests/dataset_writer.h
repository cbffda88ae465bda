/* Test helper: writes small datasets in exactly the official on-disk formats (IDX plain or gzipped,
 * CIFAR-10 batch files, CIFAR-100 train/test.bin, label-name text files) into a scratch directory, so
 * loader, golden and end-to-end tests can run on hand-made data with known contents.
 *
 * Every writer returns 0 on success, or non-zero with one line in err (ERR_LEN bytes, may be NULL)
 * naming the path. Pixel arrays use the Dataset layout: [count][channels][height][width] bytes. */
#ifndef COHORT_TEST_DATASET_WRITER_H
#define COHORT_TEST_DATASET_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* Creates a fresh empty directory $TMPDIR/cohort-<tag>-XXXXXX (TMPDIR defaults to /tmp) and writes its
 * path into dir (size bytes). */
int dw_make_temp_dir(char *dir, size_t size, const char *tag, char err[ERR_LEN]);
/* Removes dir and everything below it. Returns 0 on success. */
int dw_remove_dir(const char *dir);
/* Writes dir "/" name into out (size bytes) and returns out, for building file paths inline. */
char *dw_path(char *out, size_t size, const char *dir, const char *name);

/* Raw bytes, optionally gzip-compressed: for truncated or corrupt files. */
int dw_write_bytes(const char *path, const void *data, size_t size, int gzip, char err[ERR_LEN]);

/* IDX images: magic 0x00000803, big-endian count, rows, cols, then count*rows*cols pixels. */
int dw_write_idx_images(const char *path, const uint8_t *pixels, int count, int rows, int cols, int gzip,
                        char err[ERR_LEN]);
/* IDX labels: magic 0x00000801, big-endian count, then count label bytes. */
int dw_write_idx_labels(const char *path, const uint8_t *labels, int count, int gzip, char err[ERR_LEN]);
/* The pair of files an MNIST-style directory holds for one split: prefix "train" or "t10k" gives
 * dir/<prefix>-images-idx3-ubyte and dir/<prefix>-labels-idx1-ubyte, each with ".gz" when gzip. */
int dw_write_idx_split(const char *dir, const char *prefix, const uint8_t *pixels, const uint8_t *labels, int count,
                       int rows, int cols, int gzip, char err[ERR_LEN]);

/* One CIFAR-10 batch file: count records of <label><3072 pixels: R, G, B planes of 32x32>.
 * pixels: [count][3][32][32]. */
int dw_write_cifar10(const char *path, const uint8_t *pixels, const uint8_t *labels, int count, char err[ERR_LEN]);
/* A CIFAR-100 file (train.bin / test.bin): count records of <coarse><fine><3072 pixels>. */
int dw_write_cifar100(const char *path, const uint8_t *pixels, const uint8_t *coarse, const uint8_t *fine, int count,
                      char err[ERR_LEN]);

/* A label-name file (batches.meta.txt, fine_label_names.txt, coarse_label_names.txt): one name per line,
 * followed by one blank line as in the official archives. */
int dw_write_label_names(const char *path, const char *const *names, int count, char err[ERR_LEN]);

/* A tar archive (gzipped when gzip) of the files dir/members[k] under their member names members[k]
 * (NULL-terminated); a name ending in '/' is a directory entry, as the official tarballs list their top folder
 * first. */
int dw_write_tar(const char *path, const char *dir, const char *const *members, int gzip, char err[ERR_LEN]);
/* Images from planar pixels [channels][height][width] (channels 1 or 3): PNG with libpng, JPEG with libjpeg at
 * the given quality (1..100). */
int dw_write_png(const char *path, const uint8_t *pixels, int width, int height, int channels, char err[ERR_LEN]);
int dw_write_jpeg(const char *path, const uint8_t *pixels, int width, int height, int channels, int quality,
                  char err[ERR_LEN]);

#endif

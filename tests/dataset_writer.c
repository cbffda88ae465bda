/* Writers for the official dataset file formats; see dataset_writer.h. The layouts are written out here
 * independently of the loaders in trainer/, so a test fails if either side gets the format wrong. */
#include "dataset_writer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CIFAR_PIXELS 3072 /* 3 planes (R, G, B) of 32x32 */

int dw_make_temp_dir(char *dir, size_t size, const char *tag, char err[ERR_LEN]) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0]) tmp = "/tmp";
    int n = snprintf(dir, size, "%s/cohort-%s-XXXXXX", tmp, tag ? tag : "test");
    if (n < 0 || (size_t)n >= size) return err_set(err, "%s: temporary directory path too long", tmp);
    if (!mkdtemp(dir)) return err_set(err, "%s: mkdtemp failed: %s", dir, strerror(errno));
    return 0;
}

int dw_remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int rc = 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        dw_path(path, sizeof path, dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) rc = -1;
        else if (S_ISDIR(st.st_mode)) rc |= dw_remove_dir(path);
        else if (unlink(path) != 0) rc = -1;
    }
    closedir(d);
    if (rmdir(dir) != 0) rc = -1;
    return rc;
}

char *dw_path(char *out, size_t size, const char *dir, const char *name) {
    snprintf(out, size, "%s/%s", dir, name);
    return out;
}

/* An output file that is either plain stdio or gzip. */
typedef struct {
    FILE *f;
    gzFile gz;
    const char *path;
    int failed;
} Out;

static int out_open(Out *o, const char *path, int gzip, char *err) {
    memset(o, 0, sizeof *o);
    o->path = path;
    if (gzip) o->gz = gzopen(path, "wb");
    else o->f = fopen(path, "wb");
    if (!o->f && !o->gz) return err_set(err, "%s: cannot create: %s", path, strerror(errno));
    return 0;
}

static void out_write(Out *o, const void *data, size_t size) {
    if (o->failed || size == 0) return;
    if (o->gz) {
        const uint8_t *p = data;
        while (size > 0) {
            unsigned chunk = size > (1u << 30) ? 1u << 30 : (unsigned)size;
            if (gzwrite(o->gz, p, chunk) != (int)chunk) {
                o->failed = 1;
                return;
            }
            p += chunk;
            size -= chunk;
        }
    } else if (fwrite(data, 1, size, o->f) != size) {
        o->failed = 1;
    }
}

static void out_be32(Out *o, uint32_t v) {
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    out_write(o, b, 4);
}

static int out_close(Out *o, char *err) {
    int bad = o->failed;
    if (o->gz && gzclose(o->gz) != Z_OK) bad = 1;
    if (o->f && fclose(o->f) != 0) bad = 1;
    if (bad) return err_set(err, "%s: write failed", o->path);
    return 0;
}

int dw_write_bytes(const char *path, const void *data, size_t size, int gzip, char err[ERR_LEN]) {
    Out o;
    if (out_open(&o, path, gzip, err)) return -1;
    out_write(&o, data, size);
    return out_close(&o, err);
}

int dw_write_idx_images(const char *path, const uint8_t *pixels, int count, int rows, int cols, int gzip,
                        char err[ERR_LEN]) {
    Out o;
    if (out_open(&o, path, gzip, err)) return -1;
    out_be32(&o, 0x00000803u);
    out_be32(&o, (uint32_t)count);
    out_be32(&o, (uint32_t)rows);
    out_be32(&o, (uint32_t)cols);
    out_write(&o, pixels, (size_t)count * rows * cols);
    return out_close(&o, err);
}

int dw_write_idx_labels(const char *path, const uint8_t *labels, int count, int gzip, char err[ERR_LEN]) {
    Out o;
    if (out_open(&o, path, gzip, err)) return -1;
    out_be32(&o, 0x00000801u);
    out_be32(&o, (uint32_t)count);
    out_write(&o, labels, (size_t)count);
    return out_close(&o, err);
}

int dw_write_idx_split(const char *dir, const char *prefix, const uint8_t *pixels, const uint8_t *labels, int count,
                       int rows, int cols, int gzip, char err[ERR_LEN]) {
    char name[256], path[4096];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte%s", prefix, gzip ? ".gz" : "");
    if (dw_write_idx_images(dw_path(path, sizeof path, dir, name), pixels, count, rows, cols, gzip, err)) return -1;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte%s", prefix, gzip ? ".gz" : "");
    return dw_write_idx_labels(dw_path(path, sizeof path, dir, name), labels, count, gzip, err);
}

int dw_write_cifar10(const char *path, const uint8_t *pixels, const uint8_t *labels, int count, char err[ERR_LEN]) {
    Out o;
    if (out_open(&o, path, 0, err)) return -1;
    for (int i = 0; i < count; i++) {
        out_write(&o, &labels[i], 1);
        out_write(&o, pixels + (size_t)i * CIFAR_PIXELS, CIFAR_PIXELS);
    }
    return out_close(&o, err);
}

int dw_write_cifar100(const char *path, const uint8_t *pixels, const uint8_t *coarse, const uint8_t *fine, int count,
                      char err[ERR_LEN]) {
    Out o;
    if (out_open(&o, path, 0, err)) return -1;
    for (int i = 0; i < count; i++) {
        out_write(&o, &coarse[i], 1);
        out_write(&o, &fine[i], 1);
        out_write(&o, pixels + (size_t)i * CIFAR_PIXELS, CIFAR_PIXELS);
    }
    return out_close(&o, err);
}

int dw_write_label_names(const char *path, const char *const *names, int count, char err[ERR_LEN]) {
    Out o;
    if (out_open(&o, path, 0, err)) return -1;
    for (int i = 0; i < count; i++) {
        out_write(&o, names[i], strlen(names[i]));
        out_write(&o, "\n", 1);
    }
    out_write(&o, "\n", 1);
    return out_close(&o, err);
}

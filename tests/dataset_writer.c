/* Writers for the official dataset file formats; see dataset_writer.h. The layouts are written out here
 * independently of the loaders in trainer/, so a test fails if either side gets the format wrong. */
#include "dataset_writer.h"
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
/* jpeglib.h needs stdio.h's FILE and size_t first */
#include <archive.h>
#include <archive_entry.h>
#include <jpeglib.h>

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

int dw_write_tar(const char *path, const char *dir, const char *const *members, int gzip, char err[ERR_LEN]) {
    struct archive *a = archive_write_new();
    if (!a) return err_set(err, "%s: out of memory", path);
    archive_write_set_format_ustar(a); /* the official CIFAR tarballs are plain (ustar/GNU) tar, gzipped */
    if (gzip) archive_write_add_filter_gzip(a);
    if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
        err_set(err, "%s: %s", path, archive_error_string(a));
        archive_write_free(a);
        return -1;
    }
    int rc = 0;
    char file[4096];
    for (int k = 0; members[k] && !rc; k++) {
        const size_t len = strlen(members[k]);
        const int is_dir = len > 0 && members[k][len - 1] == '/';
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, members[k]);
        archive_entry_set_perm(e, is_dir ? 0755 : 0644);
        archive_entry_set_mtime(e, 1234567890, 0);
        uint8_t *data = NULL;
        size_t size = 0;
        if (is_dir) {
            archive_entry_set_filetype(e, AE_IFDIR);
        } else {
            FILE *f = fopen(dw_path(file, sizeof file, dir, members[k]), "rb");
            if (!f) {
                rc = err_set(err, "%s: cannot open", file);
            } else {
                fseek(f, 0, SEEK_END);
                size = (size_t)ftell(f);
                rewind(f);
                data = malloc(size ? size : 1);
                if (!data || fread(data, 1, size, f) != size) rc = err_set(err, "%s: read failed", file);
                fclose(f);
            }
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, (la_int64_t)size);
        }
        if (!rc && archive_write_header(a, e) != ARCHIVE_OK) rc = err_set(err, "%s: %s", path, archive_error_string(a));
        if (!rc && size && archive_write_data(a, data, size) != (la_ssize_t)size)
            rc = err_set(err, "%s: %s", path, archive_error_string(a));
        free(data);
        archive_entry_free(e);
    }
    if (archive_write_close(a) != ARCHIVE_OK && !rc) rc = err_set(err, "%s: %s", path, archive_error_string(a));
    archive_write_free(a);
    return rc;
}

int dw_write_png(const char *path, const uint8_t *pixels, int width, int height, int channels, char err[ERR_LEN]) {
    return image_write_png(path, pixels, width, height, channels, err); /* libpng's simplified writer */
}

int dw_write_jpeg(const char *path, const uint8_t *pixels, int width, int height, int channels, int quality,
                  char err[ERR_LEN]) {
    FILE *f = fopen(path, "wb");
    if (!f) return err_set(err, "%s: cannot create: %s", path, strerror(errno));
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr); /* errors exit: acceptable in a test helper writing valid input */
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = channels;
    c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)width * channels);
    while (row && c.next_scanline < c.image_height) {
        for (int x = 0; x < width; x++)
            for (int ch = 0; ch < channels; ch++)
                row[x * channels + ch] = pixels[((size_t)ch * height + c.next_scanline) * width + x];
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    if (row) jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    return fclose(f) != 0 || !row ? err_set(err, "%s: write failed", path) : 0;
}

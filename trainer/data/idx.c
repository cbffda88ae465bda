/* IDX files, the format of MNIST and Fashion-MNIST.
 *
 * Layout (all header integers are 32-bit big-endian):
 *   images: magic 0x00000803 (unsigned bytes, 3 dimensions), count, rows, cols, then count*rows*cols pixel
 *           bytes, image after image, each row-major; 0 is the black background, 255 full intensity.
 *   labels: magic 0x00000801 (unsigned bytes, 1 dimension), count, then count label bytes.
 *
 * Files are read through zlib's gz* functions, which decompress gzip files and pass plain files through
 * unchanged, so `train-images-idx3-ubyte.gz` and `train-images-idx3-ubyte` load alike. Byte counts in the
 * error messages are therefore uncompressed bytes. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data.h"

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u
#define IDX_IMAGES_HEADER 16 /* bytes: magic, count, rows, cols */
#define IDX_LABELS_HEADER 8  /* bytes: magic, count */
#define IDX_CLASSES 10       /* MNIST digits and Fashion-MNIST articles: labels 0..9 */
#define IDX_MAX_SIDE 4096    /* larger rows/cols mean a corrupt header, not a real image */
/* Buffers grow as images arrive rather than trusting the header's count up front, so a corrupt count
 * cannot make us allocate gigabytes before the truncation is noticed: the first buffer holds at most 4096
 * images and at most 4 MiB (a single image when one is larger, e.g. 4096x4096), and each doubling follows
 * images actually read. */
#define IDX_FIRST_CAPACITY 4096        /* images */
#define IDX_FIRST_BYTES ((size_t)4 << 20)

typedef struct {
    gzFile gz;
    const char *path;
    uint64_t pos; /* uncompressed bytes consumed so far */
} IdxFile;

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int idx_open(IdxFile *f, const char *path, char *err) {
    f->path = path;
    f->pos = 0;
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz) {
        if (errno == ENOENT) return err_set(err, "%s: missing file", path);
        return err_set(err, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    }
    gzbuffer(f->gz, 1 << 17); /* 128 KiB: fewer system calls than zlib's 8 KiB default */
    return 0;
}

static void idx_close(IdxFile *f) {
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Reads up to n bytes. Returns 0 when all n arrived, 1 when the data ended first (f->pos then holds the
 * file's full uncompressed length), -1 on a read or decompression error (err set). */
static int idx_read(IdxFile *f, void *buf, size_t n, char *err) {
    uint8_t *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        int got = gzread(f->gz, p, chunk);
        if (got < 0) {
            int code = 0;
            const char *msg = gzerror(f->gz, &code);
            if (code == Z_BUF_ERROR) return 1; /* a gzip stream cut short: report it as truncation */
            return err_set(err, "%s: read error after %" PRIu64 " bytes: %s", f->path, f->pos, msg);
        }
        if (got == 0) return 1;
        f->pos += (uint64_t)got;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* Fails unless the file ends exactly where its header says it should. */
static int idx_expect_end(IdxFile *f, uint64_t expected, char *err) {
    uint8_t extra;
    int r = idx_read(f, &extra, 1, err);
    if (r < 0) return -1;
    if (r == 0)
        return err_set(err, "%s: size mismatch: expected %" PRIu64 " bytes, but the file is longer", f->path,
                       expected);
    return 0;
}

/* Reads a header of `size` bytes into h, checking the magic number as soon as its 4 bytes are in: a wrong
 * file (say, a labels file given as images) is reported as such even when it is shorter than the header. */
static int idx_header(IdxFile *f, uint8_t *h, int size, uint32_t magic, const char *what, char *err) {
    int r = idx_read(f, h, 4, err);
    if (r == 0 && be32(h) != magic)
        return err_set(err, "%s: bad magic 0x%08" PRIx32 " (expected 0x%08" PRIx32 ", IDX unsigned-byte %s)", f->path,
                       be32(h), magic, what);
    if (r == 0) r = idx_read(f, h + 4, (size_t)size - 4, err);
    if (r > 0)
        return err_set(err, "%s: truncated: expected at least %d bytes (the IDX header), got %" PRIu64, f->path, size,
                       f->pos);
    return r;
}

static int truncated(const IdxFile *f, uint64_t expected, char *err) {
    return err_set(err, "%s: truncated: expected %" PRIu64 " bytes, got %" PRIu64, f->path, expected, f->pos);
}

int idx_load(Dataset *out, const char *images_path, const char *labels_path, int pad_to, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    IdxFile im = {0}, lb = {0};
    uint8_t header[IDX_IMAGES_HEADER];
    uint8_t *raw = NULL;       /* one unpadded image */
    uint8_t *pixels = NULL;    /* [count][H][W] after padding */
    uint8_t *label_bytes = NULL;
    int32_t *labels = NULL;
    int rc = -1, r;

    /* Both headers first: a count mismatch is reported before decompressing tens of megabytes. */
    if (idx_open(&im, images_path, err)) goto done;
    if (idx_header(&im, header, IDX_IMAGES_HEADER, IDX_IMAGES_MAGIC, "images", err)) goto done;
    uint32_t n_images = be32(header + 4), rows = be32(header + 8), cols = be32(header + 12);
    if (n_images > INT_MAX || rows < 1 || cols < 1 || rows > IDX_MAX_SIDE || cols > IDX_MAX_SIDE) {
        err_set(err, "%s: implausible header: %" PRIu32 " images of %" PRIu32 "x%" PRIu32, images_path, n_images,
                rows, cols);
        goto done;
    }
    int height = (int)rows, width = (int)cols, top = 0, left = 0;
    if (pad_to > height || pad_to > width) {
        if (pad_to < height || pad_to < width) {
            err_set(err, "%s: cannot pad %dx%d images to %dx%d", images_path, height, width, pad_to, pad_to);
            goto done;
        }
        top = (pad_to - height) / 2; /* 28 -> 32: 2 rows above, 2 below */
        left = (pad_to - width) / 2;
        height = width = pad_to;
    }

    if (idx_open(&lb, labels_path, err)) goto done;
    if (idx_header(&lb, header, IDX_LABELS_HEADER, IDX_LABELS_MAGIC, "labels", err)) goto done;
    uint32_t n_labels = be32(header + 4);
    if (n_labels != n_images) {
        err_set(err, "%s: %" PRIu32 " images but %" PRIu32 " labels in %s", images_path, n_images, n_labels,
                labels_path);
        goto done;
    }

    const int count = (int)n_images;
    const size_t in_size = (size_t)rows * cols, out_size = (size_t)height * width;
    const uint64_t images_total = IDX_IMAGES_HEADER + (uint64_t)count * in_size;
    const uint64_t labels_total = IDX_LABELS_HEADER + (uint64_t)count;
    raw = malloc(in_size);
    if (!raw) {
        err_set(err, "%s: out of memory", images_path);
        goto done;
    }
    /* Pixel statistics of the unpadded images, in units of pixel/255. */
    uint64_t sum = 0, sum_sq = 0;
    size_t capacity = 0;
    for (int i = 0; i < count; i++) {
        if ((size_t)i == capacity) {
            size_t first = IDX_FIRST_BYTES / out_size;
            if (first > IDX_FIRST_CAPACITY) first = IDX_FIRST_CAPACITY;
            if (first < 1) first = 1;
            capacity = capacity ? capacity * 2 : first;
            if (capacity > (size_t)count) capacity = (size_t)count;
            uint8_t *bigger = realloc(pixels, capacity * out_size);
            if (!bigger) {
                err_set(err, "%s: out of memory for %d images of %dx%d", images_path, count, height, width);
                goto done;
            }
            pixels = bigger;
        }
        if ((r = idx_read(&im, raw, in_size, err)) != 0) {
            if (r > 0) truncated(&im, images_total, err);
            goto done;
        }
        uint8_t *dst = pixels + (size_t)i * out_size;
        if (out_size != in_size) memset(dst, 0, out_size);
        for (int y = 0; y < (int)rows; y++)
            memcpy(dst + (size_t)(y + top) * width + left, raw + (size_t)y * cols, cols);
        for (size_t k = 0; k < in_size; k++) {
            sum += raw[k];
            sum_sq += (uint64_t)raw[k] * raw[k];
        }
    }
    if (idx_expect_end(&im, images_total, err)) goto done;

    label_bytes = malloc(count ? (size_t)count : 1);
    labels = malloc(count ? (size_t)count * sizeof *labels : 1);
    if (!label_bytes || !labels) {
        err_set(err, "%s: out of memory for %d labels", labels_path, count);
        goto done;
    }
    if ((r = idx_read(&lb, label_bytes, (size_t)count, err)) != 0) {
        if (r > 0) truncated(&lb, labels_total, err);
        goto done;
    }
    if (idx_expect_end(&lb, labels_total, err)) goto done;
    for (int i = 0; i < count; i++) {
        if (label_bytes[i] >= IDX_CLASSES) {
            err_set(err, "%s: record %d: label %d is out of range (expected 0..%d)", labels_path, i, label_bytes[i],
                    IDX_CLASSES - 1);
            goto done;
        }
        labels[i] = label_bytes[i];
    }

    snprintf(out->name, sizeof out->name, "idx");
    out->count = count;
    out->channels = 1;
    out->height = height;
    out->width = width;
    out->classes = IDX_CLASSES;
    out->pixels = pixels;
    out->labels = labels;
    pixels = NULL;
    labels = NULL;
    double n = (double)count * (double)in_size;
    double mean = n > 0 ? (double)sum / n / 255.0 : 0.0;
    double var = n > 0 ? (double)sum_sq / n / (255.0 * 255.0) - mean * mean : 0.0;
    for (int c = 0; c < DATA_MAX_CHANNELS; c++) {
        out->mean[c] = (float)mean;
        out->std[c] = var > 1e-12 ? (float)sqrt(var) : 1.0f;
    }
    rc = 0;

done:
    idx_close(&im);
    idx_close(&lb);
    free(raw);
    free(pixels);
    free(label_bytes);
    free(labels);
    return rc;
}

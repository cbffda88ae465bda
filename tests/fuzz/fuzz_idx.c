/* Fuzzes the IDX reader (MNIST, Fashion-MNIST; trainer/data/idx.c) through idx_load, on an images file and
 * a labels file written from the input, plain or gzipped.
 *
 * Input layout:
 *   byte 0      bit 0: gzip the images file, bit 1: gzip the labels file (the bytes are compressed as they
 *               are, so a plain input still reaches the decompressor with a valid stream; a gzip stream in
 *               the input itself reaches it as it is), bits 2-3: pad_to = 0, 32, 1 or 64
 *   bytes 1-2   length of the images file (little-endian; cut to what is left)
 *   then        the images file, then the labels file (the rest)
 *
 * Properties checked besides memory safety and leaks: a refusal names one of the two files and leaves the
 * Dataset empty; an accepted file gives 1 channel, the padded size, labels 0..9 and finite statistics. */
#include <math.h>
#include <zlib.h>

#include "data.h"
#include "fuzz_common.h"

static char images_path[512], labels_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_scratch_dir("idx");
    fuzz_path(images_path, sizeof images_path, "images-idx3-ubyte");
    fuzz_path(labels_path, sizeof labels_path, "labels-idx1-ubyte");
    return 0;
}

static void write_maybe_gzipped(const char *path, const uint8_t *data, size_t size, int gzip) {
    if (!gzip) {
        fuzz_write_file(path, data, size);
        return;
    }
    gzFile gz = gzopen(path, "wb");
    if (!gz || (size && gzwrite(gz, data, (unsigned)size) != (int)size) || gzclose(gz) != Z_OK) {
        fprintf(stderr, "%s: cannot write the gzip file\n", path);
        abort();
    }
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    static const int pads[4] = {0, 32, 1, 64};
    const int flags = data[0], pad_to = pads[(flags >> 2) & 3];
    size_t images_size = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3, size -= 3;
    if (images_size > size) images_size = size;
    write_maybe_gzipped(images_path, data, images_size, flags & 1);
    write_maybe_gzipped(labels_path, data + images_size, size - images_size, flags & 2);

    Dataset d;
    char err[ERR_LEN] = "";
    if (idx_load(&d, images_path, labels_path, pad_to, err)) {
        FUZZ_REQUIRE(!strncmp(err, images_path, strlen(images_path)) || !strncmp(err, labels_path, strlen(labels_path)),
                     "error names neither file: %s", err);
        FUZZ_REQUIRE(d.count == 0 && !d.pixels && !d.labels, "a refused file left data behind");
        return 0;
    }
    /* Plain images: the header's sides are in the input (gzip streams of our own compress it as is). */
    if (!(flags & 1) && images_size >= 16 && !(data[0] == 0x1f && data[1] == 0x8b)) {
        int rows = (int)be32(data + 8), cols = (int)be32(data + 12);
        int want_h = pad_to > rows ? pad_to : rows, want_w = pad_to > cols ? pad_to : cols;
        FUZZ_REQUIRE(d.height == want_h && d.width == want_w, "%dx%d images padded to %d gave %dx%d", rows, cols,
                     pad_to, d.height, d.width);
        FUZZ_REQUIRE((uint32_t)d.count == be32(data + 4), "count %d, header %u", d.count, be32(data + 4));
    }
    FUZZ_REQUIRE(d.channels == 1 && d.classes == 10 && d.height >= 1 && d.width >= 1 && d.count >= 0,
                 "shape %d x %dx%d, %d classes, %d images", d.channels, d.height, d.width, d.classes, d.count);
    FUZZ_REQUIRE(d.count == 0 || (d.pixels && d.labels), "no arrays for %d images", d.count);
    for (int i = 0; i < d.count; i++) FUZZ_REQUIRE(d.labels[i] >= 0 && d.labels[i] < 10, "label %d", d.labels[i]);
    for (int c = 0; c < DATA_MAX_CHANNELS; c++)
        FUZZ_REQUIRE(isfinite(d.mean[c]) && d.mean[c] >= 0 && d.mean[c] <= 1 && isfinite(d.std[c]) && d.std[c] > 0,
                     "mean %g std %g", d.mean[c], d.std[c]);
    /* Touch every pixel, so ASan sees an array shorter than count x height x width. */
    uint64_t sum = 0;
    for (size_t i = 0; i < (size_t)d.count * d.height * d.width; i++) sum += d.pixels[i];
    FUZZ_REQUIRE(sum <= 255 * (uint64_t)(size_t)d.count * d.height * d.width, "pixel sum %llu", (unsigned long long)sum);
    dataset_free(&d);
    return 0;
}

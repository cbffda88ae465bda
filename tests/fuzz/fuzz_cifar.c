/* Fuzzes the CIFAR-10/100 binary readers (trainer/data/cifar.c): cifar10_load on one or two batch files
 * and cifar100_load (fine or coarse labels), each with or without its label-name file, all written from
 * the input.
 *
 * Input layout:
 *   byte 0      bits 0-1: 0 = CIFAR-10 one batch file, 1 = CIFAR-10 two batch files (the records split in
 *               the middle), 2 = CIFAR-100 fine labels, 3 = CIFAR-100 coarse labels;
 *               bit 2: write the label-name file (batches.meta.txt, fine_/coarse_label_names.txt)
 *   bytes 1-2   length of the label-name file (little-endian; cut to what is left)
 *   then        the label-name file, then the records (the rest)
 *
 * Properties checked besides memory safety and leaks: a refusal names a file and leaves the Dataset
 * empty; an accepted set has 3x32x32 images, count = bytes / record size, labels within the classes and,
 * when there are names, one non-empty name per class. */
#include "data.h"
#include "fuzz_common.h"

#define RECORD10 3073
#define RECORD100 3074

static char batch1[512], batch2[512], meta10[512], train100[512], fine_names[512], coarse_names[512];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_scratch_dir("cifar");
    fuzz_path(batch1, sizeof batch1, "data_batch_1.bin");
    fuzz_path(batch2, sizeof batch2, "data_batch_2.bin");
    fuzz_path(meta10, sizeof meta10, "batches.meta.txt");
    fuzz_path(train100, sizeof train100, "train.bin");
    fuzz_path(fine_names, sizeof fine_names, "fine_label_names.txt");
    fuzz_path(coarse_names, sizeof coarse_names, "coarse_label_names.txt");
    return 0;
}

static int names_a_file(const char *err) {
    const char *paths[] = {batch1, batch2, meta10, train100, fine_names, coarse_names};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!strncmp(err, paths[i], strlen(paths[i])) && err[strlen(paths[i])] == ':') return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    const int mode = data[0] & 3, with_names = data[0] & 4;
    size_t names_size = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3, size -= 3;
    if (names_size > size) names_size = size;
    const uint8_t *records = data + names_size;
    const size_t records_size = size - names_size;

    const char *names_path = mode < 2 ? meta10 : mode == 2 ? fine_names : coarse_names;
    unlink(meta10), unlink(fine_names), unlink(coarse_names);
    if (with_names) fuzz_write_file(names_path, data, names_size);

    Dataset d;
    char err[ERR_LEN] = "";
    int rc, classes;
    size_t record_size;
    if (mode < 2) {
        size_t first = mode == 0 ? records_size : records_size / 2;
        fuzz_write_file(batch1, records, first);
        fuzz_write_file(batch2, records + first, records_size - first);
        const char *files[] = {batch1, mode == 1 ? batch2 : NULL, NULL};
        rc = cifar10_load(&d, files, err);
        classes = 10;
        record_size = RECORD10;
    } else {
        fuzz_write_file(train100, records, records_size);
        rc = cifar100_load(&d, train100, mode == 3, err);
        classes = mode == 3 ? 20 : 100;
        record_size = RECORD100;
    }
    if (rc) {
        FUZZ_REQUIRE(names_a_file(err), "error names no file: %s", err);
        FUZZ_REQUIRE(d.count == 0 && !d.pixels && !d.labels && !d.label_names, "a refused file left data behind");
        return 0;
    }
    FUZZ_REQUIRE(d.channels == 3 && d.height == 32 && d.width == 32 && d.classes == classes,
                 "shape %d x %dx%d, %d classes", d.channels, d.height, d.width, d.classes);
    FUZZ_REQUIRE((size_t)d.count * record_size == records_size, "%d images from %zu bytes", d.count, records_size);
    for (int i = 0; i < d.count; i++)
        FUZZ_REQUIRE(d.labels[i] >= 0 && d.labels[i] < classes, "label %d of %d classes", d.labels[i], classes);
    FUZZ_REQUIRE(!d.label_names == !with_names, "label names %s", d.label_names ? "read from no file" : "missing");
    for (int c = 0; d.label_names && c < classes; c++)
        FUZZ_REQUIRE(d.label_names[c][0] && memchr(d.label_names[c], 0, sizeof d.label_names[c]),
                     "label name %d empty or unterminated", c);
    uint64_t sum = 0;
    for (size_t i = 0; i < (size_t)d.count * 3 * 32 * 32; i++) sum += d.pixels[i];
    FUZZ_REQUIRE(sum <= 255 * (uint64_t)(size_t)d.count * 3 * 32 * 32, "pixel sum %llu", (unsigned long long)sum);
    dataset_free(&d);
    return 0;
}

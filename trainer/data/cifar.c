/* CIFAR-10 and CIFAR-100, "binary version" files.
 *
 * A file is a plain sequence of fixed-size records, no header:
 *   CIFAR-10  (data_batch_1.bin .. data_batch_5.bin, test_batch.bin): 3073 bytes =
 *             <1 byte label 0..9> <3072 pixel bytes>
 *   CIFAR-100 (train.bin, test.bin): 3074 bytes =
 *             <1 byte coarse label 0..19> <1 byte fine label 0..99> <3072 pixel bytes>
 * The 3072 pixel bytes are the red plane, then green, then blue, each 32x32 row-major: exactly the
 * Dataset's [channels][height][width] layout, so a record's pixels are copied as they are.
 *
 * Label names come from text files next to the data, one name per line (blank lines ignored):
 * batches.meta.txt (CIFAR-10), fine_label_names.txt / coarse_label_names.txt (CIFAR-100). They are
 * optional: without them label_names stays NULL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.h"

#define CIFAR_SIDE 32
#define CIFAR_CHANNELS 3
#define CIFAR_PIXELS (CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE) /* 3072 bytes per image */
#define CIFAR10_RECORD (1 + CIFAR_PIXELS)                       /* 3073 */
#define CIFAR100_RECORD (2 + CIFAR_PIXELS)                      /* 3074 */
#define CIFAR10_CLASSES 10
#define CIFAR100_FINE 100
#define CIFAR100_COARSE 20

/* Per-channel (R, G, B) mean and standard deviation of pixel/255 over each training set (50000 images),
 * the statistics conventionally used to normalise CIFAR inputs:
 *   CIFAR-10:  mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616)
 *   CIFAR-100: mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762) */
static const float CIFAR10_MEAN[3] = {0.4914f, 0.4822f, 0.4465f};
static const float CIFAR10_STD[3] = {0.2470f, 0.2435f, 0.2616f};
static const float CIFAR100_MEAN[3] = {0.5071f, 0.4865f, 0.4409f};
static const float CIFAR100_STD[3] = {0.2673f, 0.2564f, 0.2762f};

/* Opens a record file and checks that its size is a positive whole number of records; *records gets
 * the count. */
static FILE *open_records(const char *path, long record_size, const char *record_desc, int *records, char *err) {
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) err_set(err, "%s: missing file", path);
        else err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        err_set(err, "%s: cannot stat: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    if (st.st_size == 0 || st.st_size % record_size != 0) {
        err_set(err, "%s: wrong size: %lld bytes is %s a whole number of %ld-byte records (%s)", path,
                (long long)st.st_size, st.st_size == 0 ? "empty, not" : "not", record_size, record_desc);
        fclose(f);
        return NULL;
    }
    if (st.st_size / record_size > 1000000000) {
        err_set(err, "%s: implausibly large: %lld bytes", path, (long long)st.st_size);
        fclose(f);
        return NULL;
    }
    *records = (int)(st.st_size / record_size);
    return f;
}

/* Path of `name` in the directory holding `file` (written into out, `size` bytes). */
static void sibling_path(char *out, size_t size, const char *file, const char *name) {
    const char *slash = strrchr(file, '/');
    if (!slash) snprintf(out, size, "%s", name);
    else snprintf(out, size, "%.*s/%s", (int)(slash - file), file, name);
}

/* Reads a label-name file: one name per line, blank lines skipped, exactly `classes` names. A missing
 * file is not an error (*names stays NULL); a malformed one is. */
static int read_label_names(const char *path, int classes, char (**names)[64], char *err) {
    *names = NULL;
    errno = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        return err_set(err, "%s: cannot open: %s", path, strerror(errno));
    }
    char (*list)[64] = calloc((size_t)classes, sizeof *list);
    if (!list) {
        fclose(f);
        return err_set(err, "%s: out of memory", path);
    }
    char line[256];
    int n = 0, line_no = 0;
    while (fgets(line, sizeof line, f)) {
        line_no++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fclose(f);
            free(list);
            return err_set(err, "%s: line %d: label name longer than 63 characters", path, line_no);
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                           line[len - 1] == '\t'))
            line[--len] = '\0';
        if (len == 0) continue;
        if (len >= sizeof list[0]) {
            fclose(f);
            free(list);
            return err_set(err, "%s: line %d: label name longer than 63 characters", path, line_no);
        }
        if (n < classes) memcpy(list[n], line, len + 1);
        n++;
    }
    fclose(f);
    if (n != classes) {
        free(list);
        return err_set(err, "%s: %d label names, expected %d (one per line)", path, n, classes);
    }
    *names = list;
    return 0;
}

int cifar10_load(Dataset *out, const char *const *files, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    if (!files || !files[0]) return err_set(err, "cifar10: no batch files given");

    /* Sizes first, so the whole set is allocated once and a bad file fails before any reading. */
    int total = 0;
    for (int k = 0; files[k]; k++) {
        int records;
        FILE *f = open_records(files[k], CIFAR10_RECORD, "1-byte label + 3072 pixels", &records, err);
        if (!f) return -1;
        fclose(f);
        if (records > 1000000000 - total) return err_set(err, "%s: too many images in total", files[k]);
        total += records;
    }
    if (dataset_alloc(out, total, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE, CIFAR10_CLASSES, err)) return -1;
    snprintf(out->name, sizeof out->name, "cifar10");
    memcpy(out->mean, CIFAR10_MEAN, sizeof out->mean);
    memcpy(out->std, CIFAR10_STD, sizeof out->std);

    uint8_t record[CIFAR10_RECORD];
    int at = 0;
    for (int k = 0; files[k]; k++) {
        int records;
        FILE *f = open_records(files[k], CIFAR10_RECORD, "1-byte label + 3072 pixels", &records, err);
        if (!f) goto fail;
        if (records > total - at) { /* the file grew since it was measured */
            fclose(f);
            err_set(err, "%s: changed size while loading", files[k]);
            goto fail;
        }
        for (int i = 0; i < records; i++, at++) {
            if (fread(record, CIFAR10_RECORD, 1, f) != 1) {
                err_set(err, "%s: read error at record %d: %s", files[k], i, ferror(f) ? strerror(errno) : "short file");
                fclose(f);
                goto fail;
            }
            if (record[0] >= CIFAR10_CLASSES) {
                err_set(err, "%s: record %d: label %d is out of range (expected 0..%d)", files[k], i, record[0],
                        CIFAR10_CLASSES - 1);
                fclose(f);
                goto fail;
            }
            out->labels[at] = record[0];
            memcpy(out->pixels + (size_t)at * CIFAR_PIXELS, record + 1, CIFAR_PIXELS);
        }
        fclose(f);
    }

    char names_path[4096];
    sibling_path(names_path, sizeof names_path, files[0], "batches.meta.txt");
    if (read_label_names(names_path, CIFAR10_CLASSES, &out->label_names, err)) goto fail;
    return 0;

fail:
    dataset_free(out);
    return -1;
}

int cifar100_load(Dataset *out, const char *file, int coarse_labels, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    int records;
    FILE *f = open_records(file, CIFAR100_RECORD, "1-byte coarse label + 1-byte fine label + 3072 pixels", &records,
                           err);
    if (!f) return -1;
    const int classes = coarse_labels ? CIFAR100_COARSE : CIFAR100_FINE;
    if (dataset_alloc(out, records, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE, classes, err)) {
        fclose(f);
        return -1;
    }
    snprintf(out->name, sizeof out->name, "cifar100");
    memcpy(out->mean, CIFAR100_MEAN, sizeof out->mean);
    memcpy(out->std, CIFAR100_STD, sizeof out->std);

    uint8_t record[CIFAR100_RECORD];
    for (int i = 0; i < records; i++) {
        if (fread(record, CIFAR100_RECORD, 1, f) != 1) {
            err_set(err, "%s: read error at record %d: %s", file, i, ferror(f) ? strerror(errno) : "short file");
            goto fail;
        }
        /* Both labels are checked whichever is used: either out of range means a wrong or corrupt file. */
        if (record[0] >= CIFAR100_COARSE) {
            err_set(err, "%s: record %d: coarse label %d is out of range (expected 0..%d)", file, i, record[0],
                    CIFAR100_COARSE - 1);
            goto fail;
        }
        if (record[1] >= CIFAR100_FINE) {
            err_set(err, "%s: record %d: fine label %d is out of range (expected 0..%d)", file, i, record[1],
                    CIFAR100_FINE - 1);
            goto fail;
        }
        out->labels[i] = coarse_labels ? record[0] : record[1];
        memcpy(out->pixels + (size_t)i * CIFAR_PIXELS, record + 2, CIFAR_PIXELS);
    }
    fclose(f);
    f = NULL;

    char names_path[4096];
    sibling_path(names_path, sizeof names_path, file, coarse_labels ? "coarse_label_names.txt" : "fine_label_names.txt");
    if (read_label_names(names_path, classes, &out->label_names, err)) goto fail;
    return 0;

fail:
    if (f) fclose(f);
    dataset_free(out);
    return -1;
}

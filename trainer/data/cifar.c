/* CIFAR-10 and CIFAR-100, "binary version", from the unpacked files or straight from the official tarballs.
 *
 * A batch file is a plain sequence of fixed-size records, no header:
 *   CIFAR-10  (data_batch_1.bin .. data_batch_5.bin, test_batch.bin): 3073 bytes =
 *             <1 byte label 0..9> <3072 pixel bytes>
 *   CIFAR-100 (train.bin, test.bin): 3074 bytes =
 *             <1 byte coarse label 0..19> <1 byte fine label 0..99> <3072 pixel bytes>
 * The 3072 pixel bytes are the red plane, then green, then blue, each 32x32 row-major: exactly the
 * Dataset's [channels][height][width] layout, so a record's pixels are copied as they are.
 *
 * Label names come from text files next to the data, one name per line (blank lines ignored):
 * batches.meta.txt (CIFAR-10), fine_label_names.txt / coarse_label_names.txt (CIFAR-100). Beside unpacked
 * files they are optional (without them label_names stays NULL); in a tarball they are required, as the
 * official archives hold them.
 *
 * Whichever the source, each batch file is first held whole in memory (at most 154 MB, CIFAR-100's
 * train.bin) and parsed by the same code, so a tarball and its unpacked files load byte for byte alike. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_members.h"
#include "data.h"

#define CIFAR_SIDE 32
#define CIFAR_CHANNELS 3
#define CIFAR_PIXELS (CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE) /* 3072 bytes per image */
#define CIFAR10_RECORD (1 + CIFAR_PIXELS)                       /* 3073 */
#define CIFAR100_RECORD (2 + CIFAR_PIXELS)                      /* 3074 */
#define CIFAR10_CLASSES 10
#define CIFAR100_FINE 100
#define CIFAR100_COARSE 20
#define CIFAR_MAX_FILE ((size_t)1 << 31) /* 2 GiB: far above the official 154 MB; larger is not CIFAR */

/* Per-channel (R, G, B) mean and standard deviation of pixel/255 over each training set (50000 images),
 * the statistics conventionally used to normalise CIFAR inputs:
 *   CIFAR-10:  mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616)
 *   CIFAR-100: mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762) */
static const float CIFAR10_MEAN[3] = {0.4914f, 0.4822f, 0.4465f};
static const float CIFAR10_STD[3] = {0.2470f, 0.2435f, 0.2616f};
static const float CIFAR100_MEAN[3] = {0.5071f, 0.4865f, 0.4409f};
static const float CIFAR100_STD[3] = {0.2673f, 0.2564f, 0.2762f};

/* The official archives' member names. */
#define CIFAR10_DIR "cifar-10-batches-bin/"
#define CIFAR100_DIR "cifar-100-binary/"

/* One batch file in memory; name is what error messages call it ("file" or "archive: member"). */
typedef struct {
    char name[1100];
    uint8_t *data;
    size_t size;
} Part;

/* Reads a whole file; a missing file is "missing file". */
static int read_whole_file(Part *p, const char *path, char *err) {
    snprintf(p->name, sizeof p->name, "%s", path);
    p->data = NULL;
    p->size = 0;
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return err_set(err, "%s: missing file", path);
        return err_set(err, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return err_set(err, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > CIFAR_MAX_FILE) {
        fclose(f);
        return err_set(err, "%s: implausibly large: %lld bytes", path, (long long)st.st_size);
    }
    p->size = (size_t)st.st_size;
    p->data = malloc(p->size ? p->size : 1);
    if (!p->data) {
        fclose(f);
        return err_set(err, "%s: out of memory for %zu bytes", path, p->size);
    }
    size_t got = fread(p->data, 1, p->size, f);
    int bad = got != p->size || ferror(f);
    fclose(f);
    if (bad) {
        free(p->data);
        p->data = NULL;
        return err_set(err, "%s: read error after %zu bytes", path, got);
    }
    return 0;
}

/* Checks that a part is a positive whole number of records; returns the count or -1. */
static int record_count(const Part *p, size_t record_size, const char *record_desc, char *err) {
    if (p->size == 0 || p->size % record_size != 0) {
        err_set(err, "%s: wrong size: %zu bytes is %s a whole number of %zu-byte records (%s)", p->name, p->size,
                p->size == 0 ? "empty, not" : "not", record_size, record_desc);
        return -1;
    }
    return (int)(p->size / record_size);
}

/* Parses label names from text: one per line, blank lines skipped, exactly `classes` names. */
static int parse_label_names(const char *name, const char *text, size_t size, int classes, char (**names)[64],
                             char *err) {
    *names = NULL;
    char (*list)[64] = calloc((size_t)classes, sizeof *list);
    if (!list) return err_set(err, "%s: out of memory", name);
    int n = 0, line_no = 0;
    size_t at = 0;
    while (at < size) {
        line_no++;
        size_t end = at;
        while (end < size && text[end] != '\n') end++;
        size_t len = end - at;
        while (len > 0 && (text[at + len - 1] == '\r' || text[at + len - 1] == ' ' || text[at + len - 1] == '\t'))
            len--;
        if (len >= sizeof list[0]) {
            free(list);
            return err_set(err, "%s: line %d: label name longer than 63 characters", name, line_no);
        }
        if (len > 0 && memchr(text + at, '\0', len)) { /* a name that would read as shorter, or empty */
            free(list);
            return err_set(err, "%s: line %d: a NUL byte in a label name", name, line_no);
        }
        if (len > 0) {
            if (n < classes) memcpy(list[n], text + at, len), list[n][len] = '\0';
            n++;
        }
        at = end + 1;
    }
    if (n != classes) {
        free(list);
        return err_set(err, "%s: %d label names, expected %d (one per line)", name, n, classes);
    }
    *names = list;
    return 0;
}

/* Label names from a file beside unpacked data; a missing file leaves *names NULL. */
static int read_label_names(const char *path, int classes, char (**names)[64], char *err) {
    *names = NULL;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) return 0;
    Part p;
    if (read_whole_file(&p, path, err)) return -1;
    int rc = parse_label_names(path, (const char *)p.data, p.size, classes, names, err);
    free(p.data);
    return rc;
}

/* Builds a dataset from the record parts, in order. cifar100: records carry <coarse><fine>; `coarse` picks
 * which label is kept (both are range-checked: either out of range means a wrong or corrupt file). */
static int parse_parts(Dataset *out, const Part *parts, int n, int cifar100, int coarse, char *err) {
    const size_t record = cifar100 ? CIFAR100_RECORD : CIFAR10_RECORD;
    const char *desc = cifar100 ? "1-byte coarse label + 1-byte fine label + 3072 pixels" : "1-byte label + 3072 pixels";
    int total = 0;
    for (int k = 0; k < n; k++) {
        int records = record_count(&parts[k], record, desc, err);
        if (records < 0) return -1;
        if (records > 1000000000 - total) return err_set(err, "%s: too many images in total", parts[k].name);
        total += records;
    }
    const int classes = !cifar100 ? CIFAR10_CLASSES : coarse ? CIFAR100_COARSE : CIFAR100_FINE;
    if (dataset_alloc(out, total, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE, classes, err)) return -1;
    snprintf(out->name, sizeof out->name, cifar100 ? "cifar100" : "cifar10");
    memcpy(out->mean, cifar100 ? CIFAR100_MEAN : CIFAR10_MEAN, sizeof out->mean);
    memcpy(out->std, cifar100 ? CIFAR100_STD : CIFAR10_STD, sizeof out->std);
    int at = 0;
    for (int k = 0; k < n; k++) {
        const int records = (int)(parts[k].size / record);
        for (int i = 0; i < records; i++, at++) {
            const uint8_t *r = parts[k].data + (size_t)i * record;
            if (!cifar100 && r[0] >= CIFAR10_CLASSES) {
                dataset_free(out);
                return err_set(err, "%s: record %d: label %d is out of range (expected 0..%d)", parts[k].name, i,
                               r[0], CIFAR10_CLASSES - 1);
            }
            if (cifar100 && (r[0] >= CIFAR100_COARSE || r[1] >= CIFAR100_FINE)) {
                int bad_coarse = r[0] >= CIFAR100_COARSE;
                dataset_free(out);
                return err_set(err, "%s: record %d: %s label %d is out of range (expected 0..%d)", parts[k].name, i,
                               bad_coarse ? "coarse" : "fine", bad_coarse ? r[0] : r[1],
                               (bad_coarse ? CIFAR100_COARSE : CIFAR100_FINE) - 1);
            }
            out->labels[at] = cifar100 ? (coarse ? r[0] : r[1]) : r[0];
            memcpy(out->pixels + (size_t)at * CIFAR_PIXELS, r + (cifar100 ? 2 : 1), CIFAR_PIXELS);
        }
    }
    return 0;
}

static void free_parts(Part *parts, int n) {
    for (int k = 0; k < n; k++) free(parts[k].data), parts[k].data = NULL;
}

/* Path of `name` in the directory holding `file` (written into out, `size` bytes). */
static void sibling_path(char *out, size_t size, const char *file, const char *name) {
    const char *slash = strrchr(file, '/');
    if (!slash) snprintf(out, size, "%s", name);
    else snprintf(out, size, "%.*s/%s", (int)(slash - file), file, name);
}

int cifar10_load(Dataset *out, const char *const *files, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    if (!files || !files[0]) return err_set(err, "cifar10: no batch files given");
    int n = 0;
    while (files[n]) n++;
    Part *parts = calloc((size_t)n, sizeof *parts);
    if (!parts) return err_set(err, "%s: out of memory", files[0]);
    int rc = 0;
    for (int k = 0; k < n && !rc; k++) rc = read_whole_file(&parts[k], files[k], err);
    if (!rc) rc = parse_parts(out, parts, n, 0, 0, err);
    free_parts(parts, n);
    free(parts);
    if (rc) return -1;
    char names_path[4096];
    sibling_path(names_path, sizeof names_path, files[0], "batches.meta.txt");
    if (read_label_names(names_path, CIFAR10_CLASSES, &out->label_names, err)) {
        dataset_free(out);
        return -1;
    }
    return 0;
}

int cifar100_load(Dataset *out, const char *file, int coarse_labels, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    Part part;
    if (read_whole_file(&part, file, err)) return -1;
    int rc = parse_parts(out, &part, 1, 1, coarse_labels, err);
    free(part.data);
    if (rc) return -1;
    char names_path[4096];
    sibling_path(names_path, sizeof names_path, file, coarse_labels ? "coarse_label_names.txt" : "fine_label_names.txt");
    if (read_label_names(names_path, out->classes, &out->label_names, err)) {
        dataset_free(out);
        return -1;
    }
    return 0;
}

/* The pickled ("python version") archives are refused: unpickling can run arbitrary code. */
static int refuse_pickle(const char *path, int cifar100, char *err) {
    return err_set(err,
                   "%s: this is the Python (pickle) version of %s, which Cohort does not read (loading a pickle can "
                   "run code); download the binary version %s from https://www.cs.toronto.edu/~kriz/cifar.html",
                   path, cifar100 ? "CIFAR-100" : "CIFAR-10",
                   cifar100 ? "cifar-100-binary.tar.gz" : "cifar-10-binary.tar.gz");
}

int cifar_load_archive(DataSplits *out, const char *path, int cifar100, int coarse_labels, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!strcmp(base, "cifar-10-python.tar.gz") || !strcmp(base, "cifar-100-python.tar.gz"))
        return refuse_pickle(path, !strcmp(base, "cifar-100-python.tar.gz"), err);
    /* CIFAR-10: five training batches, the test batch, the names; CIFAR-100: train, test, the names */
    static const char *const c10[] = {CIFAR10_DIR "data_batch_1.bin", CIFAR10_DIR "data_batch_2.bin",
                                      CIFAR10_DIR "data_batch_3.bin", CIFAR10_DIR "data_batch_4.bin",
                                      CIFAR10_DIR "data_batch_5.bin", CIFAR10_DIR "test_batch.bin",
                                      CIFAR10_DIR "batches.meta.txt"};
    const char *c100[] = {CIFAR100_DIR "train.bin", CIFAR100_DIR "test.bin",
                          coarse_labels ? CIFAR100_DIR "coarse_label_names.txt" : CIFAR100_DIR "fine_label_names.txt"};
    const char *const *members = cifar100 ? c100 : c10;
    const int count = cifar100 ? 3 : 7, train_parts = cifar100 ? 1 : 5;
    /* the pickled archives' top directories: found there, they mean the wrong download */
    static const char *const pickle_dirs[] = {"cifar-10-batches-py/", "cifar-100-python/", NULL};
    ArchiveMember got[7];
    int pickle = -1;
    if (archive_read_members(path, members, count, pickle_dirs, got, &pickle, CIFAR_MAX_FILE, err)) {
        if (pickle >= 0) refuse_pickle(path, pickle == 1, err);
        return -1;
    }
    Part parts[7];
    for (int k = 0; k < count; k++) {
        snprintf(parts[k].name, sizeof parts[k].name, "%s: %s", path, members[k]);
        parts[k].data = got[k].data;
        parts[k].size = got[k].size;
    }
    int rc = parse_parts(&out->train, parts, train_parts, cifar100, coarse_labels, err);
    if (!rc) rc = parse_parts(&out->test, parts + train_parts, 1, cifar100, coarse_labels, err);
    const Part *names = &parts[count - 1];
    for (int s = 0; s < 2 && !rc; s++) {
        Dataset *d = s ? &out->test : &out->train;
        rc = parse_label_names(names->name, (const char *)names->data, names->size, d->classes, &d->label_names, err);
    }
    free_parts(parts, count);
    if (rc) data_free(out);
    return rc ? -1 : 0;
}

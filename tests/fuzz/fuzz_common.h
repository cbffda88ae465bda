/* Shared by the libFuzzer harnesses: one scratch directory per fuzzing process (removed at exit), files
 * rewritten with each input, and a check that aborts, so that a broken property shows up as a crash with
 * the input saved. */
#ifndef COHORT_FUZZ_COMMON_H
#define COHORT_FUZZ_COMMON_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libFuzzer's entry points. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message (libFuzzer then saves the input as a crash). */
#define FUZZ_REQUIRE(cond, ...)                                                                                    \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "fuzz property failed: %s (%s:%d): ", #cond, __FILE__, __LINE__);                     \
            fprintf(stderr, __VA_ARGS__);                                                                          \
            fputc('\n', stderr);                                                                                   \
            abort();                                                                                               \
        }                                                                                                          \
    } while (0)

static char fuzz_dir[256];

static inline void fuzz_remove_dir(void) {
    if (!fuzz_dir[0]) return;
    DIR *d = opendir(fuzz_dir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", fuzz_dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(fuzz_dir);
}

/* Creates $TMPDIR/cohort-fuzz-<tag>-XXXXXX once per process; the harnesses' files live there. */
static inline const char *fuzz_scratch_dir(const char *tag) {
    if (fuzz_dir[0]) return fuzz_dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/cohort-fuzz-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (!mkdtemp(fuzz_dir)) {
        perror(fuzz_dir);
        abort();
    }
    atexit(fuzz_remove_dir);
    return fuzz_dir;
}

/* dir/name into out[size]. */
static inline char *fuzz_path(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", fuzz_dir, name);
    return out;
}

/* Replaces path's contents with data[0..size); aborts when the scratch file cannot be written. */
static inline void fuzz_write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

#endif

/* A tiny assertion kit for the C test programs: every CHECK prints file:line and the values, counts
 * failures, and the program exits non-zero if any failed. */
#ifndef COHORT_TEST_CHECK_H
#define COHORT_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        check_count++;                                                                \
        if (!(cond)) {                                                                \
            check_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_MSG(cond, ...)                                                          \
    do {                                                                              \
        check_count++;                                                                \
        if (!(cond)) {                                                                \
            check_failures++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

/* A failure (rc non-zero) whose err mentions both the file and the complaint. */
#define CHECK_ERR(rc, err, path, what)                                                                  \
    do {                                                                                                \
        CHECK_MSG((rc) != 0, "expected a failure mentioning '%s'", (what));                            \
        CHECK_MSG(strstr((err), (path)) != NULL, "err does not name %s: %s", (path), (err));            \
        CHECK_MSG(strstr((err), (what)) != NULL, "err does not say '%s': %s", (what), (err));           \
    } while (0)

/* |a - b| <= tol * max(1, |a|, |b|) */
#define CHECK_CLOSE(a, b, tol)                                                                        \
    do {                                                                                              \
        double check_a_ = (double)(a), check_b_ = (double)(b);                                        \
        double check_scale_ = fmax(1.0, fmax(fabs(check_a_), fabs(check_b_)));                        \
        check_count++;                                                                                \
        if (!(fabs(check_a_ - check_b_) <= (tol) * check_scale_)) {                                   \
            check_failures++;                                                                         \
            fprintf(stderr, "%s:%d: CHECK_CLOSE failed: %s = %.10g, %s = %.10g (tol %g)\n", __FILE__, \
                    __LINE__, #a, check_a_, #b, check_b_, (double)(tol));                             \
        }                                                                                             \
    } while (0)

static inline int check_report(const char *name) {
    if (check_failures) {
        fprintf(stderr, "%s: %d of %d checks failed\n", name, check_failures, check_count);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, check_count);
    return 0;
}

#endif

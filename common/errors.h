/* Error text convention for the whole project: a function that can fail takes `char err[ERR_LEN]`,
 * returns non-zero on failure and writes one line saying where (file, line, field) and what. */
#ifndef COHORT_ERRORS_H
#define COHORT_ERRORS_H

#include <stddef.h>

#define ERR_LEN 1024

/* printf-style write into err (ERR_LEN bytes); err may be NULL. Returns -1 so callers can `return err_set(...)`. */
int err_set(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

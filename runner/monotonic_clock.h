/* Wall time for measuring intervals: CLOCK_MONOTONIC in seconds (never jumps with the system clock). */
#ifndef COHORT_MONOTONIC_CLOCK_H
#define COHORT_MONOTONIC_CLOCK_H

#include <time.h>

static inline double monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif

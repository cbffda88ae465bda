/* Data-parallel collectives over MPI (collectives_mpi.h). */
#include "collectives_mpi.h"

#include <limits.h>
#include <time.h>

static double monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int mpi_allreduce_polled(void *values, int n, MPI_Datatype type, MPI_Op op, MPI_Comm comm, double timeout_seconds,
                         int (*abandon)(void *), void *user) {
    MPI_Request request;
    if (MPI_Iallreduce(MPI_IN_PLACE, values, n, type, op, comm, &request) != MPI_SUCCESS) return -1;
    const double started = monotonic_seconds();
    long polls = 0;
    for (;;) {
        int done = 0;
        if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return -1;
        if (done) return 0;
        /* spin briefly (a step's partner is usually close behind), then yield the core to the trainers */
        if (++polls > 1000) {
            const struct timespec pause = {0, 200000};
            nanosleep(&pause, NULL);
            if (timeout_seconds > 0 && monotonic_seconds() - started > timeout_seconds) return -1;
            if (abandon && polls % 16 == 0 && abandon(user)) return -1;
        }
    }
}

/* MPI counts are int: larger arrays go in pieces, each a collective of its own in the same order everywhere. */
#define PIECE (1 << 28)

static int max_i32(int32_t *values, size_t n, void *user) {
    const MpiCollectives *c = user;
    for (size_t at = 0; at < n; at += PIECE) {
        const int len = n - at < PIECE ? (int)(n - at) : PIECE;
        if (mpi_allreduce_polled(values + at, len, MPI_INT32_T, MPI_MAX, c->comm, c->timeout_seconds, NULL, NULL)) return -1;
    }
    return 0;
}

static int sum_i64(int64_t *values, size_t n, void *user) {
    const MpiCollectives *c = user;
    for (size_t at = 0; at < n; at += PIECE) {
        const int len = n - at < PIECE ? (int)(n - at) : PIECE;
        if (mpi_allreduce_polled(values + at, len, MPI_INT64_T, MPI_SUM, c->comm, c->timeout_seconds, NULL, NULL)) return -1;
    }
    return 0;
}

void mpi_collectives_init(MpiCollectives *c, MPI_Comm comm, double timeout_seconds) {
    c->comm = comm;
    c->timeout_seconds = timeout_seconds;
    MPI_Comm_rank(comm, &c->collectives.rank);
    MPI_Comm_size(comm, &c->collectives.size);
    c->collectives.max_i32 = max_i32;
    c->collectives.sum_i64 = sum_i64;
    c->collectives.user = c;
}

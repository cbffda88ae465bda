/* The collectives a data-parallel trial needs (trainer/data_parallel.h), over an MPI communicator: Open MPI's
 * allreduce, non-blocking and polled, so that a group that lost a rank ends with an error after a bounded
 * wait instead of hanging. */
#ifndef COHORT_COLLECTIVES_MPI_H
#define COHORT_COLLECTIVES_MPI_H

#include <mpi.h>

#include "data_parallel.h"

typedef struct {
    MPI_Comm comm;
    double timeout_seconds; /* a collective not complete after this long counts as a lost rank; 0 = wait */
    Collectives collectives;
} MpiCollectives;

/* Fills c for comm (rank and size from it). */
void mpi_collectives_init(MpiCollectives *c, MPI_Comm comm, double timeout_seconds);

/* One allreduce in place of n elements of type with op, polled until complete, until timeout_seconds have
 * passed (0 = no limit) or until abandon(user) (may be NULL, checked every few milliseconds) is non-zero. 0 when complete; -1 on an MPI error or the timeout (the request is left pending:
 * its communicator must not be used again). */
int mpi_allreduce_polled(void *values, int n, MPI_Datatype type, MPI_Op op, MPI_Comm comm, double timeout_seconds,
                         int (*abandon)(void *), void *user);

#endif

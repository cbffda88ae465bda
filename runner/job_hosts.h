/* The hosts a sweep's job runs on, and the runs that a job before it left in flight on a host this job does
 * not have: such a run was lost with its node (its trainer and its node-local checkpoint are out of reach). */
#ifndef COHORT_JOB_HOSTS_H
#define COHORT_JOB_HOSTS_H

#include <stddef.h>

#include "store.h"
#include "sweep_run.h"

/* Every rank's host name (gethostname), gathered on rank 0: a malloc'd list with one line per rank, in rank
 * order, each name followed by '\n' (NULL on the other ranks, or when out of memory). Collective over
 * MPI_COMM_WORLD. */
char *job_hosts_gather(void);
/* Rank `rank`'s line of job_hosts_gather's list into out[size]: 0, or -1 when the list has no such rank. */
int job_hosts_of_rank(const char *hosts, int rank, char *out, size_t size);
/* Is `host` one of the names in `hosts` (job_hosts_gather's list)? */
int job_hosts_has(const char *hosts, const char *host);
/* Rank 0, before the coordinator starts: every queued trial that the database has `running` (a job before
 * this one was interrupted while it ran) on a host that is not in `hosts` gets that host in lost_host; the
 * coordinator records it lost and retries it within max_retries. 0, or -1 with err. */
int job_hosts_find_lost(Store *store, const char *hosts, SweepTrialState *trials, int trial_count, char err[ERR_LEN]);

#endif

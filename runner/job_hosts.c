/* Which hosts a job has. A job that loses a node cannot go on under Open MPI 4.1 (mpirun ends the whole job
 * when one of its daemons is lost; with orte_enable_recovery it keeps the survivors running but can never
 * end the job itself, docs/ARCHITECTURE.md "A lost node"), so a lost node is seen by the job that resumes
 * the sweep on the remaining hosts: a run still `running` in the database on a host that this job does not
 * have was lost with that host. */
#include "job_hosts.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOST_NAME_BYTES 256

char *job_hosts_gather(void) {
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char mine[HOST_NAME_BYTES] = "";
    gethostname(mine, sizeof mine - 1);
    char *all = rank == 0 ? malloc((size_t)size * HOST_NAME_BYTES) : NULL;
    if (rank == 0 && !all) MPI_Abort(MPI_COMM_WORLD, 1); /* the other ranks are in the gather already */
    MPI_Gather(mine, HOST_NAME_BYTES, MPI_CHAR, all, HOST_NAME_BYTES, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (rank != 0) return NULL;
    char *list = malloc((size_t)size * HOST_NAME_BYTES + 1);
    if (list) {
        size_t used = 0;
        for (int r = 0; r < size; r++) {
            const char *name = all + (size_t)r * HOST_NAME_BYTES;
            size_t n = strnlen(name, HOST_NAME_BYTES - 1);
            memcpy(list + used, name, n);
            used += n;
            list[used++] = '\n';
        }
        list[used] = '\0';
    }
    free(all);
    return list;
}

int job_hosts_has(const char *hosts, const char *host) {
    size_t n = strlen(host);
    for (const char *p = hosts; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, host, n)) return 1;
        p = end ? end + 1 : p + len;
    }
    return 0;
}

int job_hosts_of_rank(const char *hosts, int rank, char *out, size_t size) {
    const char *p = hosts;
    for (int r = 0; p && *p && r < rank; r++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p || !*p || size == 0) return -1;
    size_t len = strcspn(p, "\n");
    if (len >= size) len = size - 1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

int job_hosts_find_lost(Store *store, const char *hosts, SweepTrialState *trials, int trial_count, char err[ERR_LEN]) {
    if (!hosts) return 0; /* out of memory when gathering: nothing is taken for lost */
    for (int i = 0; i < trial_count; i++) {
        char status[16] = "", place[1024] = "";
        if (trials[i].state != TRIAL_QUEUED) continue;
        if (store_run_place(store, trials[i].run_id, status, place, sizeof place, err)) return -1;
        if (strcmp(status, RUN_RUNNING)) continue;
        /* A data-parallel run's place lists each of its hosts once ("h1,h3"): losing any of them lost it. */
        for (char *host = strtok(place, ","); host; host = strtok(NULL, ",")) {
            if (!host[0] || job_hosts_has(hosts, host)) continue;
            snprintf(trials[i].lost_host, sizeof trials[i].lost_host, "%s", host);
            break;
        }
    }
    return 0;
}

/* What Open MPI does when a node is lost (docs/ARCHITECTURE.md, "A lost node"): rank 0 receives a heartbeat
 * from every other rank every 0.2 s and says when one goes silent for 2 s; after DURATION seconds it tells
 * the ranks it still hears from to stop, and every rank calls MPI_Finalize and returns PROBE_RC (default 0).
 * Errors are returned, not fatal, so a failed call is printed. lost_node_probe.sh runs it on namespace hosts.
 *   lost_node_probe DURATION */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    const double duration = argc > 1 ? atof(argv[1]) : 10, t0 = now();
    const int rc_at_end = getenv("PROBE_RC") ? atoi(getenv("PROBE_RC")) : 0;
    if (rank == 0) {
        double *last = calloc((size_t)size, sizeof *last);
        int *silent = calloc((size_t)size, sizeof *silent), count = 0;
        for (int r = 0; r < size; r++) last[r] = t0;
        fprintf(stderr, "rank 0 on %s: %d ranks\n", host, size);
        while (now() - t0 < duration) {
            int flag = 0;
            MPI_Status st;
            int rc = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
            if (rc != MPI_SUCCESS) fprintf(stderr, "t=%.1f MPI_Iprobe: error %d\n", now() - t0, rc);
            if (rc == MPI_SUCCESS && flag) {
                char buf[64];
                rc = MPI_Recv(buf, sizeof buf, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (rc != MPI_SUCCESS) fprintf(stderr, "t=%.1f MPI_Recv: error %d\n", now() - t0, rc);
                last[st.MPI_SOURCE] = now();
                count++;
            } else {
                usleep(5000);
            }
            for (int r = 1; r < size; r++)
                if (!silent[r] && now() - last[r] > 2) {
                    silent[r] = 1;
                    fprintf(stderr, "t=%.1f rank %d silent for 2 s (%d heartbeats so far)\n", now() - t0, r, count);
                }
        }
        fprintf(stderr, "rank 0: %d heartbeats in %.0f s\n", count, duration);
        for (int r = 1; r < size; r++) {
            if (silent[r]) continue;
            int x = 1, rc = MPI_Send(&x, 1, MPI_INT, r, 99, MPI_COMM_WORLD);
            fprintf(stderr, "rank 0: stop to rank %d: %s\n", r, rc == MPI_SUCCESS ? "sent" : "error");
        }
    } else {
        for (int n = 0; now() - t0 < duration + 30; n++) {
            char buf[64];
            snprintf(buf, sizeof buf, "%s rank %d beat %d", host, rank, n);
            if (MPI_Send(buf, sizeof buf, MPI_CHAR, 0, 1, MPI_COMM_WORLD) != MPI_SUCCESS)
                fprintf(stderr, "rank %d: MPI_Send to rank 0: error\n", rank);
            int flag = 0;
            MPI_Status st;
            MPI_Iprobe(0, 99, MPI_COMM_WORLD, &flag, &st);
            if (flag) {
                int x;
                MPI_Recv(&x, 1, MPI_INT, 0, 99, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                break;
            }
            usleep(200000);
        }
    }
    fprintf(stderr, "rank %d on %s: MPI_Finalize\n", rank, host);
    MPI_Finalize();
    fprintf(stderr, "rank %d on %s: finalized, returns %d\n", rank, host, rc_at_end);
    return rc_at_end;
}

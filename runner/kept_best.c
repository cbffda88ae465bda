/* Looking up a run's kept best checkpoint (kept_best.h). */
#include "kept_best.h"

#include <stdio.h>
#include <unistd.h>

int kept_best_checkpoint(Store *store, const char *db, int64_t run, char *path, size_t size, char err[ERR_LEN]) {
    KeptCheckpoint best;
    if (store_run_checkpoint(store, run, "best", &best, err)) return -1;
    if (best.epoch == 0)
        return err_set(err,
                       "%s: run %lld has no kept best checkpoint (its sweep's keep_checkpoints, or the run has not "
                       "ended); name one with --checkpoint",
                       db, (long long)run);
    if ((size_t)snprintf(path, size, "%s", best.path) >= size)
        return err_set(err, "%s: run %lld: checkpoint path too long", db, (long long)run);
    return 0;
}

int kept_best_checkpoint_of(const char *db, int64_t run, char *path, size_t size, char err[ERR_LEN]) {
    if (access(db, F_OK) != 0) return err_set(err, "%s: no such results database", db);
    Store *store;
    if (store_open_readonly(&store, db, err)) return -1;
    const int rc = kept_best_checkpoint(store, db, run, path, size, err);
    store_close(store);
    return rc;
}

/* The checkpoint a run is best known by: the kept best checkpoint the results database records for it
 * (`cohort eval --db D --run ID`, `cohort predict --db D --run ID`). */
#ifndef COHORT_KEPT_BEST_H
#define COHORT_KEPT_BEST_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The path of run `run`'s kept best checkpoint into path[size]. 0, or -1 with err naming the database and run
 * (no such run; none kept: the sweep's keep_checkpoints, or the run has not ended). */
int kept_best_checkpoint(Store *store, const char *db, int64_t run, char *path, size_t size, char err[ERR_LEN]);
/* The same, opening the database read-only for the lookup alone. */
int kept_best_checkpoint_of(const char *db, int64_t run, char *path, size_t size, char err[ERR_LEN]);

#endif

/* A coordinator's exclusive claim on its results database and its checkpoint directory, held for the
 * process's lifetime, so that two sweeps never write the same database or the same run-N.ckpt files.
 *
 * The claim is an OS lock (fcntl F_SETLK, a POSIX write lock over the whole file) on two lock files:
 * DB.lock next to the database and cohort.lock inside the checkpoint directory. The kernel releases it
 * when the process ends in any way, kill -9 included, so a stale lock file never blocks a resumed sweep.
 * The files hold text naming the holder ("host H, pid P, since T, database D") for the refusal message;
 * they are left in place when the sweep ends (only the lock counts, never the file's existence).
 * POSIX locks are not inherited by fork(), so trainer processes forked by rank 0 never hold the claim.
 * On NFS the lock goes through the NFS lock protocol (NLM for v3, built into v4): it works across hosts
 * only where the mount has working locks, and a `nolock` mount makes it local to each host. */
#ifndef COHORT_SWEEP_CLAIM_H
#define COHORT_SWEEP_CLAIM_H

#include "errors.h"

typedef struct {
    int db_fd, dir_fd; /* -1 when not held */
} SweepClaim;

typedef enum { CLAIM_TAKEN = 0, CLAIM_HELD_BY_OTHER = 1, CLAIM_ERROR = -1 } ClaimResult;

/* Claims db_path and checkpoint_dir (created if missing) for this process. CLAIM_HELD_BY_OTHER: err names
 * the holder; CLAIM_ERROR: err says what failed. On anything but CLAIM_TAKEN nothing stays claimed and
 * lock files this call created are removed again. */
ClaimResult sweep_claim(SweepClaim *claim, const char *db_path, const char *checkpoint_dir, char err[ERR_LEN]);
/* Releases the claim (also released by the process's exit). */
void sweep_claim_release(SweepClaim *claim);

#endif

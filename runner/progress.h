/* The coordinator's progress output: one line per epoch and per ending, and a status summary (trials
 * finished / running / queued, best test top-1 so far, ETA) — a live bar redrawn in place on a terminal,
 * a plain line every 30 s and at every ending otherwise (logs of batch jobs). */
#ifndef COHORT_PROGRESS_H
#define COHORT_PROGRESS_H

#include "metrics.h"
#include "sweep_run.h"

typedef struct {
    const SweepTrialState *trials;
    int count;
    double start, last_status, last_draw;
    int epochs_at_start;   /* epochs already done when this invocation began (for the ETA's rate) */
    int tty, bar_shown;
} Progress;

/* auto: a bar when stdout is a terminal — except under mpirun, which gives rank 0 a pseudo-terminal even
 * when its own output goes to a file, so there lines unless --progress bar is asked for. */
void progress_init(Progress *p, const SweepTrialState *trials, int count, double start, ProgressMode mode);
void progress_note(Progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like progress_note, on standard error (things that went wrong and were handled). */
void progress_warn(Progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void progress_epoch(Progress *p, const SweepTrialState *trial, int rank, const EpochMetrics *m);
void progress_ended(Progress *p, const SweepTrialState *trial, const char *status, const char *text);
void progress_update(Progress *p, double now);
/* Trials known so far (a random/bayes search adds them as it goes). */
void progress_set_count(Progress *p, int count);
void progress_finish(Progress *p, double now);

#endif

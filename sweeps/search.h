/* Search (which trial to run next) and early stopping (whether a running trial goes on), for the
 * coordinator. Neither prints, touches the database or knows about MPI: the runner feeds them what
 * happened and asks.
 *
 * ---- Search -------------------------------------------------------------------------------------------
 *   grid    the sweep's trials in grid order, skipping those already known.
 *   random  each parameter drawn from its distribution (sweeps.h), seeded: proposal i draws from a stream
 *           derived from (seed, i), so a sweep proposes the same configurations in every run.
 *   bayes   TPE (Bergstra et al. 2011) with Optuna's default TPESampler settings (3.x): the first 10
 *           finished trials are random; then the observations are split into the best gamma(n) =
 *           min(ceil(0.1 n), 25) ("below") and the rest ("above"); a Parzen estimator is fitted to each
 *           group (a truncated Gaussian per observation, bandwidth = the larger distance to its sorted
 *           neighbours, clipped to [range / min(100, 1 + n), range] ("magic clip"), endpoints not
 *           considered, plus a prior component over the whole range with weight 1; observations older than
 *           the last 25 ramp down in weight; kernels evaluated on the standardised scale as Optuna does),
 *           24 candidates are drawn from the "below" estimator and the one maximising l(x)/g(x) is proposed.
 *           Log distributions are modelled in log space, integer and q distributions as discrete bins,
 *           categoricals as smoothed frequencies (prior = their probabilities), normal ones within 4 sigma
 *           of mu (cut to the key's valid range) with N(mu, sigma) as the prior.
 *           Unlike Optuna's default (univariate), the top-level parameters are modelled jointly: each
 *           observation is one kernel, a product over the parameters (as Optuna's multivariate=True), with
 *           each parameter's neighbour bandwidth widened by n^(1/5 - 1/(d+4)) for d parameters (Scott's
 *           d-dimensional rate over the one-dimensional one; 1 when d = 1). Chosen on held-out benchmark
 *           seeds (bench/compare_optuna.py): joint kernels gain most on Hartmann-6 and Rosenbrock, the
 *           neighbour bandwidths keep univariate TPE's lead on Branin. Parameters of conditional blocks are
 *           modelled one at a time, from the trials where they applied.
 *           Asynchronous: trials still running count as the worst observations (Optuna's constant liar), so
 *           a free worker does not get what a busy one is evaluating; pruned trials rank after finished
 *           ones (deeper first), diverged ones at the bottom, failed ones are left out. Each proposal draws
 *           from a random stream derived from (seed, proposal number), so proposals depend only on the
 *           seed and the history.
 * With seeds/repeats every proposed configuration is returned once per seed (consecutive calls). A
 * configuration whose key is already known is never proposed again; random/bayes stop at run_cap runs
 * (counting every known trial, failed ones included).
 *
 * The order of calls. Fresh sweep:
 *     s = search_create(sweep, sweep->search_seed, err)
 *     while a worker is free:  r = search_next(s, &trial, err)   1: run trial; 0: nothing more to start
 *     when a run ends:         search_report(s, key, status, epochs, value)
 *     search_free(s)
 * Resumed sweep (the database already holds runs of this sweep): after search_create and before the first
 * search_next, call search_restore once per run in the database (any order; trial_index order keeps the
 * proposals identical to an uninterrupted run), with the run's status and value:
 *     finished -> SEARCH_FINISHED, value = the metric at its last epoch
 *     pruned   -> SEARCH_PRUNED, epoch = its last epoch, value = the metric there
 *     diverged -> SEARCH_DIVERGED;  failed or lost with no retry left -> SEARCH_FAILED
 *     pending, running, or failed/lost to be retried (the runner re-runs those itself) -> SEARCH_RUNNING
 * When the runner re-runs a trial it had reported failed, it calls search_running(key) first.
 *
 * ---- Early stopping --------------------------------------------------------------------------------------
 * The coordinator calls stopper_should_stop after every committed epoch of a running trial (epoch 1-based,
 * value = sweep_epoch_metric); 1 means stop it now and record the run as pruned with `reason`.
 *   asha    asynchronous successive halving (Li et al. 2018) as Optuna's SuccessiveHalvingPruner: rungs at
 *           epochs min_epochs * eta^k (below max_epochs). A trial reaching a rung records its value there
 *           and continues only if it is among the best max(1, floor(n / eta)) of the n values recorded at
 *           that rung so far (its own included); otherwise it stops. Between rungs it always continues.
 *   median  the median stopping rule of Google Vizier (Golovin et al. 2017): after warmup_epochs, stop a
 *           trial at epoch t when its best value so far is strictly worse than the median of the running
 *           averages (mean of epochs 1..t) of the other trials that reached epoch t (running, finished or
 *           stopped: asynchronous sweeps need not wait for completed trials), once there are at least
 *           min_trials (default 5) of them.
 * Replayed epochs (a trial resumed from a checkpoint) replace the earlier values. On a resumed sweep,
 * replay the database's epochs of every run through stopper_record (no decision) before the first
 * stopper_should_stop. */
#ifndef COHORT_SEARCH_H
#define COHORT_SEARCH_H

#include <stdint.h>

#include "sweeps.h"

typedef enum {
    SEARCH_RUNNING,  /* proposed (or to be re-run), no result yet */
    SEARCH_FINISHED, /* value = the metric at its last epoch */
    SEARCH_PRUNED,   /* stopped early at `epoch`, value = the metric there */
    SEARCH_DIVERGED, /* loss became NaN or infinite: the worst result */
    SEARCH_FAILED,   /* no result (bad config, crash): left out of the model, counted in the budget */
} SearchStatus;

typedef struct Search Search;

/* NULL with err on failure. The sweep must outlive the search. */
Search *search_create(const Sweep *sweep, uint64_t seed, char err[ERR_LEN]);
/* A trial already in the database (its config as stored, parsed; NULL when it is not JSON): the search keeps
 * a copy. Non-zero with err when the config is not a JSON object. A key restored twice keeps the later status. */
int search_restore(Search *search, const cJSON *config, SearchStatus status, int epoch, double value,
                   char err[ERR_LEN]);
/* The next trial to start: 1 with *out filled (out->config is the caller's: sweep_trial_clear), 0 when
 * nothing is left (grid exhausted, run_cap reached, or no new configuration found), -1 with err when no
 * valid configuration could be drawn. */
int search_next(Search *search, SweepTrial *out, char err[ERR_LEN]);
/* How a trial ended (or SEARCH_RUNNING for a retry). Returns -1 for an unknown key. */
int search_report(Search *search, const char *trial_key, SearchStatus status, int epoch, double value);
/* Shorthands: finished with value (NaN = failed); running again (a retry). */
int search_observe(Search *search, const char *trial_key, double value);
int search_running(Search *search, const char *trial_key);
/* Trials known (restored or proposed): what counts against run_cap. */
int search_trial_count(const Search *search);
/* The best finished trial so far (NULL when none) and its value. */
const char *search_best(const Search *search, double *value);
void search_free(Search *search);

typedef struct Stopper Stopper;

/* Always succeeds (NULL only when out of memory); a sweep without early_terminate never stops a trial. */
Stopper *stopper_create(const Sweep *sweep);
/* Records an epoch's value and decides: 1 = stop now (reason filled, e.g. "asha: epoch 3 rung, 0.412 not in
 * top 1/3 (cutoff 0.55)"), 0 = go on. NaN values are recorded as missing and never stop a trial. */
int stopper_should_stop(Stopper *stopper, const char *trial_key, int epoch, double value, char reason[256]);
/* Records without deciding (history of a resumed sweep). */
void stopper_record(Stopper *stopper, const char *trial_key, int epoch, double value);
void stopper_free(Stopper *stopper);

#endif

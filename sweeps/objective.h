/* Analytic objectives: trials that evaluate a test function instead of training, so that search and early
 * stopping can be exercised in seconds. A trial's config (sweeps.h, `model: objective`):
 *   model: objective, function: branin | hartmann6 | rosenbrock, x1..xN (N = 2, 6, 5),
 *   curve_epochs: E (optional, default 1), seed (optional).
 * Functions (minimise; standard definitions, e.g. Surjanovic & Bingham's library):
 *   branin     x1 in [-5, 10], x2 in [0, 15]; minimum 0.397887 at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475)
 *   hartmann6  x in [0, 1]^6; minimum -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
 *   rosenbrock x in [-5, 10]^5, sum 100 (x[i+1] - x[i]^2)^2 + (x[i] - 1)^2; minimum 0 at (1, ..., 1)
 * Learning curve: with curve_epochs E, epoch e in 1..E reports
 *   value(e) = f(x) + S * (0.5 + u) * (E/e - 1) / (E - 1)
 * where S is the function's scale (branin 10, hartmann6 1, rosenbrock 100) and u in [0, 1) a hash of the
 * config (x and seed): a decaying gap, different per trial, that reaches f(x) at the last epoch. So the
 * final value is f(x) and the curves of two trials can cross. */
#ifndef COHORT_OBJECTIVE_H
#define COHORT_OBJECTIVE_H

#include <cjson/cJSON.h>

#include "errors.h"
#include "metrics.h"

/* The model name that makes a config an objective trial, and the metric objective sweeps rank by. */
#define OBJECTIVE_MODEL "objective"
#define OBJECTIVE_METRIC "value"

/* Whether a config is an objective trial's: its "model" is the string OBJECTIVE_MODEL. */
int objective_is_trial(const cJSON *config);

/* Number of inputs of a function (2, 6, 5), or 0 for an unknown name. */
int objective_dimension(const char *function);
/* The domain of input i (0-based) of a known function. */
void objective_domain(const char *function, int i, double *low, double *high);
/* f(x) of a known function (x has objective_dimension entries). */
double objective_function(const char *function, const double *x);

/* Checks an objective trial's config: model, function, exactly x1..xN each within the domain,
 * curve_epochs >= 1, no other key but seed. */
int objective_check(const cJSON *config, char err[ERR_LEN]);
/* Epochs the trial runs: curve_epochs, or 1. */
int objective_epochs(const cJSON *config);
/* The trial's value at epoch (1..objective_epochs). Non-zero with err on a bad config or epoch. */
int objective_evaluate(const cJSON *config, int epoch, double *value, char err[ERR_LEN]);
/* An epoch's metrics for the database: epoch, train_loss = test_loss = value, everything else NaN. */
void objective_epoch_metrics(int epoch, double value, EpochMetrics *out);

#endif

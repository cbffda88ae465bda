/* Optimisers and learning-rate schedules. */
#ifndef COHORT_OPTIM_H
#define COHORT_OPTIM_H

#include "config.h"
#include "model.h"

/* SGD with momentum, as torch.optim.SGD (dampening 0):
 *   g = grad + weight_decay * w;  v = momentum * v + g;  w -= lr * (nesterov ? g + momentum * v : v)
 * velocity: [param_count], zero before the first step. */
void sgd_step(Model *model, real *velocity, double lr, double momentum, double weight_decay, bool nesterov);

/* Learning rate for global step `step` (0-based) of a run with steps_per_epoch steps per epoch:
 * linear warmup over warmup_epochs, then constant | step (x gamma every step_size epochs) | cosine
 * (annealed per step from lr to 0 over the epochs after warmup). */
double schedule_lr(const TrainConfig *cfg, long step, long steps_per_epoch);

#endif

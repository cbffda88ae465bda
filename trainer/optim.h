/* Optimisers and learning-rate schedules. */
#ifndef COHORT_OPTIM_H
#define COHORT_OPTIM_H

#include "config.h"
#include "errors.h"
#include "model.h"

/* An optimiser's settings and state. state is one flat array that lines up with the parameters
 * (SGD: velocity [P]; AdamW: first moments [P] then second moments [P]); it and `step` are what a
 * checkpoint must save. */
typedef struct {
    char kind[8];            /* "sgd" | "adamw" */
    double momentum, weight_decay;
    bool nesterov;
    bool decay_norm_bias;    /* weight decay also on tensors marked !decay (biases, norm parameters) */
    double beta1, beta2, eps;
    double grad_clip;        /* global L2 norm to clip to; 0 = off */
    real *state;
    size_t state_count;
    long step;               /* updates done so far */
} Optimizer;

int optimizer_init(Optimizer *opt, const TrainConfig *cfg, const Model *model, char err[ERR_LEN]);
void optimizer_free(Optimizer *opt);
/* One update of every parameter from model->grads with learning rate lr: gradient clipping first (when
 * grad_clip > 0, as torch.nn.utils.clip_grad_norm_), then SGD or AdamW per tensor; weight decay applies to
 * tensors marked `decay`, and to all of them when decay_norm_bias is set (PyTorch's default). */
void optimizer_step(Optimizer *opt, Model *model, double lr);

/* SGD with momentum on one tensor, as torch.optim.SGD (dampening 0):
 *   g = grad + weight_decay * w;  v = momentum * v + g;  w -= lr * (nesterov ? g + momentum * v : v) */
void sgd_update(real *w, const real *grad, real *velocity, size_t n, double lr, double momentum,
                double weight_decay, bool nesterov);

/* AdamW on one tensor, as torch.optim.AdamW (amsgrad off), for update number `step` (1-based):
 *   w *= 1 - lr * weight_decay  (decoupled decay, before the Adam step);
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
 *   w -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps) */
void adamw_update(real *w, const real *grad, real *m, real *v, size_t n, double lr, double beta1, double beta2,
                  double eps, double weight_decay, long step);

/* Learning rate for global step `step` (0-based) of a run with steps_per_epoch steps per epoch:
 * linear warmup over warmup_epochs, then constant | step (x gamma every step_size epochs) |
 * multistep (x gamma at each of `milestones`) | cosine (annealed per step to 0) | onecycle. */
double schedule_lr(const TrainConfig *cfg, long step, long steps_per_epoch);

#endif

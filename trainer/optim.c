#include "optim.h"

#include <math.h>
#include <string.h>

void sgd_step(Model *model, real *velocity, double lr, double momentum, double weight_decay, bool nesterov) {
    const real mu = (real)momentum, eta = (real)lr, wd = (real)weight_decay;
    real *w = model->params;
    const real *grad = model->grads;
    for (size_t i = 0; i < model->param_count; i++) {
        real g = grad[i] + wd * w[i];
        real v = mu * velocity[i] + g;
        velocity[i] = v;
        w[i] -= eta * (nesterov ? g + mu * v : v);
    }
}

double schedule_lr(const TrainConfig *cfg, long step, long steps_per_epoch) {
    double base = cfg->lr;
    double warmup_steps = cfg->warmup_epochs * (double)steps_per_epoch;
    if (step < warmup_steps) return base * (double)(step + 1) / warmup_steps;
    double total_steps = (double)cfg->epochs * (double)steps_per_epoch;
    if (!strcmp(cfg->schedule, "step")) {
        long epoch = step / steps_per_epoch;
        return base * pow(cfg->gamma, (double)(epoch / cfg->step_size));
    }
    if (!strcmp(cfg->schedule, "cosine")) {
        double span = total_steps - warmup_steps;
        double t = span > 0 ? ((double)step - warmup_steps) / span : 1.0;
        return base * 0.5 * (1.0 + cos(M_PI * t));
    }
    return base; /* constant */
}

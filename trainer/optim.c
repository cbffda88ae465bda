#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int optimizer_init(Optimizer *opt, const TrainConfig *cfg, const Model *model, char err[ERR_LEN]) {
    memset(opt, 0, sizeof *opt);
    snprintf(opt->kind, sizeof opt->kind, "%s", cfg->optimizer);
    opt->momentum = cfg->momentum;
    opt->weight_decay = cfg->weight_decay;
    opt->nesterov = cfg->nesterov;
    opt->decay_norm_bias = cfg->wd_norm_bias;
    opt->beta1 = cfg->beta1;
    opt->beta2 = cfg->beta2;
    opt->eps = cfg->adam_eps;
    opt->grad_clip = cfg->grad_clip;
    if (strcmp(opt->kind, "sgd") != 0) return err_set(err, "optimizer: '%s' is not implemented", opt->kind);
    opt->state_count = model->param_count;
    opt->state = calloc(opt->state_count ? opt->state_count : 1, sizeof(real));
    if (!opt->state) return err_set(err, "out of memory for the optimiser state");
    return 0;
}

void optimizer_free(Optimizer *opt) {
    free(opt->state);
    opt->state = NULL;
}

void sgd_update(real *w, const real *grad, real *velocity, size_t n, double lr, double momentum,
                double weight_decay, bool nesterov) {
    const real mu = (real)momentum, eta = (real)lr, wd = (real)weight_decay;
    for (size_t i = 0; i < n; i++) {
        real g = grad[i] + wd * w[i];
        real v = mu * velocity[i] + g;
        velocity[i] = v;
        w[i] -= eta * (nesterov ? g + mu * v : v);
    }
}

/* Scales all gradients so that their global L2 norm is at most max_norm (torch.nn.utils.clip_grad_norm_). */
static void clip_gradients(Model *model, double max_norm) {
    double sum = 0;
    for (size_t i = 0; i < model->param_count; i++) sum += (double)model->grads[i] * model->grads[i];
    double norm = sqrt(sum);
    if (norm <= max_norm) return;
    real scale = (real)(max_norm / (norm + 1e-6));
    for (size_t i = 0; i < model->param_count; i++) model->grads[i] *= scale;
}

void optimizer_step(Optimizer *opt, Model *model, double lr) {
    if (opt->grad_clip > 0) clip_gradients(model, opt->grad_clip);
    for (int t = 0; t < model->tensor_count; t++) {
        const ParamTensor *pt = &model->tensors[t];
        double wd = pt->decay || opt->decay_norm_bias ? opt->weight_decay : 0.0;
        sgd_update(model->params + pt->offset, model->grads + pt->offset, opt->state + pt->offset, pt->count, lr,
                   opt->momentum, wd, opt->nesterov);
    }
    opt->step++;
}

/* The epochs at which a multistep schedule has decayed by `step`'s epoch. */
static int milestones_passed(const char *milestones, long epoch) {
    int passed = 0;
    const char *p = milestones;
    while (*p) {
        char *end;
        long m = strtol(p, &end, 10);
        if (end == p) break;
        if (epoch >= m) passed++;
        p = *end ? end + 1 : end;
    }
    return passed;
}

double schedule_lr(const TrainConfig *cfg, long step, long steps_per_epoch) {
    double base = cfg->lr;
    double total_steps = (double)cfg->epochs * (double)steps_per_epoch;
    if (!strcmp(cfg->schedule, "onecycle")) {
        /* torch.optim.lr_scheduler.OneCycleLR defaults: 30% of the steps cosine-annealed up from lr/25,
         * then cosine down to lr/25/1e4. */
        double up = 0.3 * total_steps - 1, down_end = total_steps - 1;
        double initial = base / 25.0, final = initial / 1e4;
        double s = (double)step;
        if (s <= up) return initial + (base - initial) * 0.5 * (1 - cos(M_PI * s / up));
        double t = (s - up) / (down_end - up);
        return final + (base - final) * 0.5 * (1 + cos(M_PI * (t > 1 ? 1 : t)));
    }
    double warmup_steps = cfg->warmup_epochs * (double)steps_per_epoch;
    if (step < warmup_steps) return base * (double)(step + 1) / warmup_steps;
    long epoch = step / steps_per_epoch;
    if (!strcmp(cfg->schedule, "step")) return base * pow(cfg->gamma, (double)(epoch / cfg->step_size));
    if (!strcmp(cfg->schedule, "multistep")) return base * pow(cfg->gamma, milestones_passed(cfg->milestones, epoch));
    if (!strcmp(cfg->schedule, "cosine")) {
        double span = total_steps - warmup_steps;
        double t = span > 0 ? ((double)step - warmup_steps) / span : 1.0;
        return base * 0.5 * (1.0 + cos(M_PI * t));
    }
    return base; /* constant */
}

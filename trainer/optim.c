#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef COHORT_REAL_DOUBLE
#define R_SQRT sqrt
#else
#define R_SQRT sqrtf
#endif

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
    if (strcmp(opt->kind, "sgd") != 0 && strcmp(opt->kind, "adamw") != 0)
        return err_set(err, "optimizer: '%s' is not implemented", opt->kind);
    /* SGD: velocity [P]; AdamW: first moments [P], then second moments [P] */
    opt->state_count = (strcmp(opt->kind, "adamw") == 0 ? 2 : 1) * model->param_count;
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

OPS_VECTOR_CLONES
void adamw_update(real *w, const real *grad, real *m, real *v, size_t n, double lr, double beta1, double beta2,
                  double eps, double weight_decay, long step) {
    const double bias_correction1 = 1.0 - pow(beta1, (double)step);
    const double bias_correction2 = 1.0 - pow(beta2, (double)step);
    const real decay = (real)(1.0 - lr * weight_decay);
    const real b1 = (real)beta1, b2 = (real)beta2, one_minus_b1 = (real)(1.0 - beta1), one_minus_b2 = (real)(1.0 - beta2);
    const real step_size = (real)(lr / bias_correction1);
    const real sqrt_bc2 = (real)sqrt(bias_correction2), epsilon = (real)eps;
    for (size_t i = 0; i < n; i++) {
        const real g = grad[i];
        const real mi = b1 * m[i] + one_minus_b1 * g;
        const real vi = b2 * v[i] + one_minus_b2 * g * g;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i] * decay - step_size * mi / (R_SQRT(vi) / sqrt_bc2 + epsilon);
    }
}

/* Scales all gradients by min(1, max_norm / (norm + 1e-6)) where norm is their global L2 norm, exactly as
 * torch.nn.utils.clip_grad_norm_ (which also scales, by a hair, when the norm is within 1e-6 below max_norm). */
static void clip_gradients(Model *model, double max_norm) {
    double sum = 0;
    for (size_t i = 0; i < model->param_count; i++) sum += (double)model->grads[i] * model->grads[i];
    double coefficient = max_norm / (sqrt(sum) + 1e-6);
    if (coefficient >= 1.0) return;
    real scale = (real)coefficient;
    for (size_t i = 0; i < model->param_count; i++) model->grads[i] *= scale;
}

void optimizer_step(Optimizer *opt, Model *model, double lr) {
    if (opt->grad_clip > 0) clip_gradients(model, opt->grad_clip);
    const bool adamw = strcmp(opt->kind, "adamw") == 0;
    const long step = opt->step + 1; /* AdamW's bias corrections count this update */
    for (int t = 0; t < model->tensor_count; t++) {
        const ParamTensor *pt = &model->tensors[t];
        double wd = pt->decay || opt->decay_norm_bias ? opt->weight_decay : 0.0;
        real *w = model->params + pt->offset;
        const real *g = model->grads + pt->offset;
        if (adamw)
            adamw_update(w, g, opt->state + pt->offset, opt->state + model->param_count + pt->offset, pt->count, lr,
                         opt->beta1, opt->beta2, opt->eps, wd, step);
        else
            sgd_update(w, g, opt->state + pt->offset, pt->count, lr, opt->momentum, wd, opt->nesterov);
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

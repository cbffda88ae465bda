/* Parameter initialisations shared by the ops' descriptors (layer.h). Each draws from the run's
 * initialisation stream in parameter order, so a model's initial weights depend on its seed only. */
#include <math.h>

#include "layer.h"

void init_uniform(real *p, size_t n, double bound, Rng *rng) {
    for (size_t i = 0; i < n; i++) p[i] = (real)((2.0 * rng_uniform(rng) - 1.0) * bound);
}

void init_normal(real *p, size_t n, double std, Rng *rng) {
    for (size_t i = 0; i < n; i++) p[i] = (real)(std * rng_normal(rng));
}

/* normal(0, std) truncated to +-2 std, by rejection */
static void init_trunc_normal(real *p, size_t n, double std, Rng *rng) {
    for (size_t i = 0; i < n; i++) {
        double z;
        do z = rng_normal(rng);
        while (fabs(z) > 2.0);
        p[i] = (real)(std * z);
    }
}

void init_fill(real *p, size_t n, real value) {
    for (size_t i = 0; i < n; i++) p[i] = value;
}

void init_affine(Model *m, const Layer *l, size_t fan_in, size_t fan_out, Rng *rng) {
    real *w = m->params + l->weight, *b = l->bias != SIZE_MAX ? m->params + l->bias : NULL;
    switch (l->init) {
    case INIT_TORCH_DEFAULT:
    case INIT_TORCH_ZERO_BIAS: {
        double bound = 1.0 / sqrt((double)fan_in);
        init_uniform(w, l->weight_count, bound, rng);
        if (b && l->init == INIT_TORCH_DEFAULT) init_uniform(b, l->bias_count, bound, rng);
        if (b && l->init == INIT_TORCH_ZERO_BIAS) init_fill(b, l->bias_count, 0);
        break;
    }
    case INIT_TRUNC_NORMAL:
        init_trunc_normal(w, l->weight_count, l->init_std, rng);
        if (b) init_fill(b, l->bias_count, 0);
        break;
    case INIT_XAVIER_UNIFORM:
        init_uniform(w, l->weight_count, sqrt(6.0 / ((double)fan_in + (double)fan_out)), rng);
        if (b) init_fill(b, l->bias_count, 0);
        break;
    case INIT_KAIMING_FAN_OUT:
    case INIT_KAIMING_FAN_OUT_ZERO_BIAS:
        init_normal(w, l->weight_count, sqrt(2.0 / (double)fan_out), rng);
        if (b && l->init == INIT_KAIMING_FAN_OUT) init_uniform(b, l->bias_count, 1.0 / sqrt((double)fan_in), rng);
        if (b && l->init == INIT_KAIMING_FAN_OUT_ZERO_BIAS) init_fill(b, l->bias_count, 0);
        break;
    case INIT_KAIMING_FAN_IN:
        init_normal(w, l->weight_count, sqrt(2.0 / (double)fan_in), rng);
        if (b) init_fill(b, l->bias_count, 0);
        break;
    case INIT_KAIMING_UNIFORM_FAN_IN:
        init_uniform(w, l->weight_count, sqrt(6.0 / (double)fan_in), rng);
        if (b) init_fill(b, l->bias_count, 0);
        break;
    case INIT_NORMAL:
    case INIT_NORMAL_TORCH_BIAS:
        init_normal(w, l->weight_count, l->init_std, rng);
        if (b && l->init == INIT_NORMAL) init_fill(b, l->bias_count, 0);
        if (b && l->init == INIT_NORMAL_TORCH_BIAS) init_uniform(b, l->bias_count, 1.0 / sqrt((double)fan_in), rng);
        break;
    }
}

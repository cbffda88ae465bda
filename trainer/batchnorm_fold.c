/* The evaluation-mode affine form of a batch norm channel (batchnorm_fold.h). */
#include "batchnorm_fold.h"

#include <math.h>

BatchNormAffine batchnorm_affine(const Model *m, const Layer *bn, int c) {
    const int C = m->slots[bn->out].C;
    const real *gamma = m->params + bn->weight, *beta = m->params + bn->bias;
    const real *mean = m->buffers + bn->buffer, *var = mean + C; /* running mean [C], then running variance [C] */
    const double scale = (double)gamma[c] / sqrt((double)var[c] + (double)bn->eps);
    return (BatchNormAffine){.scale = scale, .shift = (double)beta[c] - scale * (double)mean[c]};
}

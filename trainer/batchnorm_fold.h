/* A batch norm in evaluation mode is an affine map per channel, y = scale·x + shift, with
 *   scale = γ / √(running variance + ε),   shift = β − scale · running mean.
 * Folding it into the convolution that writes its input scales that convolution's filter for output channel c by
 * scale[c] and makes its bias b[c]·scale[c] + shift[c]. The evaluation form (eval_model.c) and RepVGG's
 * re-parameterisation (reparameterise.c) both fold through this one definition, in double. */
#ifndef COHORT_BATCHNORM_FOLD_H
#define COHORT_BATCHNORM_FOLD_H

#include "model.h"

typedef struct {
    double scale, shift;
} BatchNormAffine;

/* channel c of the batch norm layer `bn` of m, from its parameters and running statistics */
BatchNormAffine batchnorm_affine(const Model *m, const Layer *bn, int c);

#endif

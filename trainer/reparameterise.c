/* RepVGG's structural re-parameterisation (Ding et al. 2021, section 3.3): in evaluation mode every training-time
 * block, BN(conv3x3(x)) + BN(conv1x1(x)) [+ BN(x)], is one affine map of x, which a single 3x3 convolution with
 * bias computes exactly:
 *   a batch norm is y = s x + t per channel (batchnorm_fold.h); folded into the convolution before it, its
 *   filter o is scaled by s[o] and t is the bias;
 *   the 1x1 filter becomes a 3x3 one with the 1x1 weight at its centre (the same stride, padding 1 instead of 0);
 *   the identity branch is the 3x3 filter with 1 at the centre of input channel o in filter o;
 * and the three filters and biases add. The results equal the training-time model's evaluation-mode outputs up
 * to rounding. Sums in double. */
#include <stdlib.h>
#include <string.h>

#include "batchnorm_fold.h"
#include "model.h"

/* adds the batch norm `bn`'s folded form of `conv` (kernel k x k, or the identity when conv is NULL) into
 * weight [OC][C][3][3] and bias [OC] */
static void add_folded(const Model *m, const Layer *bn, const Layer *conv, int C, double *weight, double *bias) {
    const int OC = m->slots[bn->out].C;
    for (int o = 0; o < OC; o++) {
        const BatchNormAffine affine = batchnorm_affine(m, bn, o);
        const double s = affine.scale;
        bias[o] += affine.shift;
        double *filter = weight + (size_t)o * C * 9;
        if (!conv) {
            filter[(size_t)o * 9 + 4] += s;
            continue;
        }
        const int k = conv->kernel;
        const real *w = m->params + conv->weight + (size_t)o * C * k * k;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < k * k; i++) {
                /* a 1x1 tap is the 3x3 filter's centre, a 3x3 tap itself */
                const int tap = k == 1 ? 4 : i;
                filter[(size_t)c * 9 + tap] += s * (double)w[(size_t)c * k * k + i];
            }
    }
}

/* the layer that produced slot `out` (the latest one), or NULL */
static const Layer *producer(const Model *m, int out) {
    for (int i = m->layer_count - 1; i >= 0; i--)
        if (m->layers[i].out == out) return &m->layers[i];
    return NULL;
}

int repvgg_reparameterise(const Model *train, Model *deploy, char err[ERR_LEN]) {
    int next = 0; /* the deploy model's layers, walked in step */
    for (int i = 0; i < train->layer_count; i++) {
        const Layer *sum = &train->layers[i];
        if (sum->kind != LAYER_SUM && sum->kind != LAYER_LINEAR) continue;
        while (next < deploy->layer_count && deploy->layers[next].kind != sum->kind &&
               !(sum->kind == LAYER_SUM && deploy->layers[next].kind == LAYER_CONV))
            next++;
        if (next == deploy->layer_count) return err_set(err, "reparameterise: the deploy model has fewer blocks");
        const Layer *target = &deploy->layers[next++];
        if (sum->kind == LAYER_LINEAR) { /* the head: copied */
            if (target->weight_count != sum->weight_count || target->bias_count != sum->bias_count)
                return err_set(err, "reparameterise: the heads differ");
            memcpy(deploy->params + target->weight, train->params + sum->weight, sum->weight_count * sizeof(real));
            memcpy(deploy->params + target->bias, train->params + sum->bias, sum->bias_count * sizeof(real));
            continue;
        }
        /* the block's input: what the first branch's (the 3x3's) convolution reads */
        const Layer *dense_bn = producer(train, sum->inputs[0]);
        const Layer *dense = dense_bn ? producer(train, dense_bn->in) : NULL;
        if (!dense || dense->kind != LAYER_CONV || dense->kernel != 3)
            return err_set(err, "reparameterise: block %d does not start with a 3x3 convolution", next);
        const int block_in = dense->in, C = train->slots[block_in].C, OC = train->slots[sum->out].C;
        if (target->kernel != 3 || target->bias_count != (size_t)OC || target->weight_count != (size_t)OC * C * 9)
            return err_set(err, "reparameterise: block %d's deploy convolution has another shape", next);
        double *weight = calloc((size_t)OC * C * 9 + (size_t)OC, sizeof(double)), *bias = weight + (size_t)OC * C * 9;
        if (!weight) return err_set(err, "reparameterise: out of memory");
        for (int k = 0; k < sum->input_count; k++) {
            const Layer *bn = producer(train, sum->inputs[k]);
            /* the identity branch is a batch norm of the block's input itself */
            const Layer *conv = bn && bn->in != block_in ? producer(train, bn->in) : NULL;
            if (!bn || bn->kind != LAYER_BATCHNORM || (bn->in != block_in && (!conv || conv->kind != LAYER_CONV))) {
                free(weight);
                return err_set(err, "reparameterise: a branch of block %d is not conv + BN or a BN", next);
            }
            add_folded(train, bn, conv, C, weight, bias);
        }
        for (size_t j = 0; j < (size_t)OC * C * 9; j++) deploy->params[target->weight + j] = (real)weight[j];
        for (int o = 0; o < OC; o++) deploy->params[target->bias + o] = (real)bias[o];
        free(weight);
    }
    return 0;
}

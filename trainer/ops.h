/* The engine's ops: each a forward/backward pair in its own file under trainer/ops/.
 *
 * Layouts (B = batch size):
 *   spatial activations are channel-major over the batch, [C][B][H][W], so that a convolution over the
 *     whole mini-batch is one GEMM with N = B*OH*OW, and batch-norm statistics of a channel are one
 *     contiguous run of B*H*W values;
 *   flat activations (features, logits) are [B][F], row-major;
 *   weights are stored as PyTorch stores them (conv [OC][C][KH][KW], linear [OUT][IN]), so fixtures and
 *     checkpoints line up with the peer framework.
 * Conventions: forward overwrites its output; backward ADDS into every gradient it is given (input and
 * parameter gradients), so fan-out needs no special case; a NULL gradient pointer means "not needed". */
#ifndef COHORT_OPS_H
#define COHORT_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"
#include "rng.h"

/* ---- linear: in [B][IN], weight [OUT][IN], bias [OUT] (may be NULL), out [B][OUT] ---- */
void linear_forward(real *out, const real *in, const real *weight, const real *bias, int B, int in_features,
                    int out_features);
void linear_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in, const real *weight,
                     int B, int in_features, int out_features);

/* ---- conv2d: in [C][B][H][W], weight [OC][C][KH][KW], bias [OC] (may be NULL), out [OC][B][OH][OW] ---- */
typedef struct {
    int B, C, H, W;        /* input */
    int OC, KH, KW;        /* filters */
    int stride, pad;       /* same in both directions; zero padding */
    int OH, OW;            /* output: (H + 2*pad - KH) / stride + 1 */
} ConvShape;

/* Fills OH and OW from the rest. */
void conv_shape_init(ConvShape *s, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad);
/* reals of scratch that conv2d_forward/backward need for a shape (im2col of a chunk of the batch). */
size_t conv2d_workspace_size(const ConvShape *s);
/* Images per im2col chunk of the batch (the whole batch on the 1x1, stride 1, pad 0 path, which needs no
 * workspace at all). Exposed so that tests can make sure a shape really spans several chunks. */
int conv2d_chunk_images(const ConvShape *s);
void conv2d_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s,
                    real *workspace);
void conv2d_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in, const real *weight,
                     const ConvShape *s, real *workspace);

/* ---- batch norm over channels: x [C][N] where N = B*H*W (spatial layout) ----
 * Training: normalise with the batch mean and biased variance; save mean and 1/sqrt(var+eps) for backward;
 * running_mean/var <- (1-momentum)*running + momentum*batch (running_var uses the unbiased variance),
 * exactly as PyTorch's BatchNorm2d. Evaluation: normalise with the running statistics. */
void batchnorm_forward_train(real *out, real *saved_mean, real *saved_invstd, real *running_mean, real *running_var,
                             const real *in, const real *gamma, const real *beta, int C, int N, real momentum,
                             real eps);
void batchnorm_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                            const real *running_mean, const real *running_var, int C, int N, real eps);
void batchnorm_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *in, const real *gamma,
                        const real *saved_mean, const real *saved_invstd, int C, int N);

/* ---- relu: n elements; backward reads the forward output (out > 0 exactly where in > 0) ---- */
void relu_forward(real *out, const real *in, size_t n);
void relu_backward(real *din, const real *dout, const real *out, size_t n);

/* ---- pooling over planes: in [P][H][W] with P = C*B planes, out [P][OH][OW] ---- */
typedef struct {
    int planes, H, W;
    int K, stride, pad;  /* square window; max pool pads with -inf, average pool counts padding as zeros */
    int OH, OW;
} PoolShape;
void pool_shape_init(PoolShape *s, int planes, int H, int W, int K, int stride, int pad);
/* argmax [P][OH][OW]: index within the input plane of the chosen element (first maximum wins). */
void maxpool_forward(real *out, int32_t *argmax, const real *in, const PoolShape *s);
void maxpool_backward(real *din, const real *dout, const int32_t *argmax, const PoolShape *s);
void avgpool_forward(real *out, const real *in, const PoolShape *s);
void avgpool_backward(real *din, const real *dout, const PoolShape *s);

/* ---- global average pool: in [C][B][HW] -> out [B][C] ---- */
void global_avgpool_forward(real *out, const real *in, int C, int B, int HW);
void global_avgpool_backward(real *din, const real *dout, int C, int B, int HW);

/* ---- flatten: in [C][B][HW] -> out [B][C*HW], each sample's features in PyTorch's (c, h, w) order ---- */
void flatten_forward(real *out, const real *in, int C, int B, int HW);
void flatten_backward(real *din, const real *dout, int C, int B, int HW);

/* ---- residual add: out = a + b, n elements; backward adds dout into both ---- */
void add_forward(real *out, const real *a, const real *b, size_t n);
void add_backward(real *da, real *db, const real *dout, size_t n);

/* ---- dropout (inverted): mask[i] is 0 or 1/(1-p), drawn from rng; out = in * mask ---- */
void dropout_forward(real *out, real *mask, const real *in, size_t n, real p, Rng *rng);
void dropout_backward(real *din, const real *dout, const real *mask, size_t n);

/* ---- option-A shortcut (He et al. 2016): in [C][B][H][W] -> out [OC][B][OH][OW] with OC >= C,
 * taking every stride-th pixel and zero-filling the extra channels, split evenly before and after
 * ((OC - C) / 2 zero channels in front), as the common CIFAR ResNet implementations do. ---- */
void shortcut_pad_forward(real *out, const real *in, int B, int C, int H, int W, int OC, int stride);
void shortcut_pad_backward(real *din, const real *dout, int B, int C, int H, int W, int OC, int stride);

/* ---- softmax cross-entropy with optional label smoothing ----
 * logits [B][K], labels [B] in [0, K); probs [B][K] saved for backward. The target distribution is
 * (1 - smoothing) * onehot + smoothing / K (PyTorch's label_smoothing). Returns the mean loss over the batch
 * (accumulated in double); backward adds d(mean loss)/d(logits) = (probs - target) / B into dlogits. */
double softmax_xent_forward(real *probs, const real *logits, const int32_t *labels, int B, int K, real smoothing);
void softmax_xent_backward(real *dlogits, const real *probs, const int32_t *labels, int B, int K, real smoothing);

#endif

/* The engine's ops: each a forward/backward pair in its own file under trainer/ops/.
 *
 * Layouts (B = batch size):
 *   spatial activations are channel-major over the batch, [C][B][H][W], so that a convolution over the
 *     whole mini-batch is one GEMM with N = B*OH*OW, and batch-norm statistics of a channel are one
 *     contiguous run of B*H*W values;
 *   flat activations (features, logits) are [B][F], row-major; token tensors (ViT, MLP-Mixer) are flat
 *     activations with T tokens of F features per sample, [B][T][F] row-major, i.e. B*T rows of F, so a
 *     linear layer applied to every token is one GEMM over B*T rows;
 *   weights are stored as PyTorch stores them (conv [OC][C][KH][KW], linear [OUT][IN]), so fixtures and
 *     checkpoints line up with the peer framework.
 * Conventions: forward overwrites its output; backward ADDS into every gradient it is given (input and
 * parameter gradients), so fan-out needs no special case; a NULL gradient pointer means "not needed".
 * The elementwise ops (relu, add, add + relu, dropout, gelu) and batch norm (+ ReLU) also take an input
 * gradient that is dout's own buffer (din == dout): it holds d/d(output) on entry and becomes d/d(input) in
 * place. The gradient plan (grad_plan.c) arranges this where the op is the first writer of that input
 * gradient, which would otherwise be zeroed only to receive a copy of dout as dout dies.
 * The linear and attention backwards take a GradMode for their input gradient: GRAD_ADD is the convention
 * above; GRAD_WRITE overwrites it, ignoring what it holds on entry (NaN included). The model passes GRAD_WRITE
 * where the op is the first writer of that gradient: GEMMs that write their results (beta 0), tile by tile in
 * the cache, replace a pass that zeroes the whole region through memory and the GEMMs' reading those zeros
 * back (a ViT: 12.8 million reals, 51 MB, per block and step). */
#ifndef COHORT_OPS_H
#define COHORT_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"
#include "rng.h"

typedef enum { GRAD_ADD, GRAD_WRITE } GradMode; /* see the conventions above */

/* Elementwise ops and per-channel loops run on the engine's threads (OpenMP) from this many elements on;
 * below it, starting the threads costs more than it saves. Each thread writes its own elements or channels,
 * in the same order whatever the thread count, so results do not depend on it. */
#define OPS_PARALLEL_MIN ((size_t)1 << 15)

/* The engine's parallel loops hand out their iterations dynamically, OPS_ELEMENT_CHUNK elements (or one
 * channel, row block, panel group...) at a time: on a shared node or a VM one core is often slowed by a
 * neighbour (measured on the development VM: one core 40 % slower than the other for minutes), and with a
 * static split the other core then waits at the end of every loop. Every such loop computes each iteration on
 * its own (sums run in fixed groups, then in order), so results still do not depend on which thread ran what. */
#define OPS_ELEMENT_CHUNK 8192

/* The elementwise and per-row ops are compiled twice, for AVX-512 and for any x86-64, and the dynamic loader
 * picks the one this CPU runs (GCC function multiversioning), so that the engine stays one portable binary
 * while its loops use 16-float vectors where there are any. On a given CPU the choice is fixed, so results
 * stay independent of thread counts and ranks; across CPU generations they may differ in the last bits (as
 * OpenBLAS's kernels already do). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OPS_VECTOR_CLONES __attribute__((target_clones("avx512f", "default")))
#else
#define OPS_VECTOR_CLONES
#endif

/* Whether this CPU runs AVX-512F: the run-time choice of the hand-written AVX-512 paths (convolution panels,
 * batch-norm sums), which exist only in the float build. */
static inline bool ops_cpu_has_avx512(void) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(COHORT_REAL_DOUBLE)
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

/* ---- linear: in [B][IN], weight [OUT][IN], bias [OUT] (may be NULL), out [B][OUT] ---- */
void linear_forward(real *out, const real *in, const real *weight, const real *bias, int B, int in_features,
                    int out_features);
/* out = residual + linear(in), residual [B][OUT]: a linear layer and the residual add after it (a transformer
 * block's projection and second MLP layer) in one pass, each row chunk starting from residual + bias before
 * its GEMM. The backward is linear_backward's (the add's backward passes its gradient through). */
void linear_add_forward(real *out, const real *in, const real *weight, const real *bias, const real *residual, int B,
                        int in_features, int out_features);
void linear_backward(real *din, GradMode din_mode, real *dweight, real *dbias, const real *dout, const real *in,
                     const real *weight, int B, int in_features, int out_features, real *workspace);
/* reals of the workspace linear_backward needs: per-block bias column sums and the weight gradient's row-group
 * slots */
size_t linear_workspace_size(int B, int in_features, int out_features);
/* A linear layer over token tensors in [B][T][IN] -> out [B][T][OUT] whose first `lead` outputs are computed
 * for each sample's first token only (out[b][t][0..lead) for t > 0 is neither written nor, in dout, read): a
 * ViT's last-block QKV projection with class-token pooling, whose queries attention needs for the class token
 * alone. Same results as linear_forward / linear_backward on the entries computed, within float rounding;
 * workspace: linear_workspace_size(B * T, IN, OUT). */
void linear_first_token_forward(real *out, const real *in, const real *weight, const real *bias, int B, int T,
                                int in_features, int out_features, int lead);
void linear_first_token_backward(real *din, GradMode din_mode, real *dweight, real *dbias, const real *dout,
                                 const real *in, const real *weight, int B, int T, int in_features, int out_features,
                                 int lead, real *workspace);

/* ---- conv2d: in [C][B][H][W], weight [OC][C][KH][KW], bias [OC] (may be NULL), out [OC][B][OH][OW] ---- */
typedef struct {
    int B, C, H, W;        /* input */
    int OC, KH, KW;        /* filters */
    int stride;            /* the same in both directions */
    int pad_h, pad_w;      /* zero padding of the rows (top and bottom) and of the columns (left and right) */
    int OH, OW;            /* output: (H + 2*pad_h - KH) / stride + 1, (W + 2*pad_w - KW) / stride + 1 */
    int slots;             /* threads that may run chunks at once: the workspace holds this many im2col chunks */
} ConvShape;

/* Fills OH and OW from the rest; slots = 1 (set it before sizing the workspace to run chunks in parallel).
 * conv_shape_init pads rows and columns alike; conv_shape_init_rect takes them apart (Inception-v3's 1x7 with
 * padding (0, 3) and 7x1 with (3, 0)). */
void conv_shape_init(ConvShape *s, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad);
void conv_shape_init_rect(ConvShape *s, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad_h,
                          int pad_w);
/* reals of scratch that conv2d_forward/backward need for a shape (im2col of a chunk of the batch). */
size_t conv2d_workspace_size(const ConvShape *s);
/* Images per im2col chunk of the batch (the whole batch on the 1x1, stride 1, pad 0 path, which needs no
 * workspace at all). Exposed so that tests can make sure a shape really spans several chunks. */
int conv2d_chunk_images(const ConvShape *s);
/* Whether a shape takes the parallel-chunk path (small filters: chunks sized for the cache, one per thread,
 * single-threaded GEMMs) rather than one OpenBLAS-threaded GEMM per large chunk. Exposed for tests. */
bool conv2d_parallel_chunks(const ConvShape *s);
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
/* Batch norm followed by a ReLU, in one pass over the data each way instead of two: out = max(0, BN(in)).
 * The backward takes dout, the gradient of that out, and out itself (the ReLU passes dout where out > 0);
 * dout and out may be the buffers the ReLU would have run in place on. Same arguments otherwise. */
void batchnorm_relu_forward_train(real *out, real *saved_mean, real *saved_invstd, real *running_mean,
                                  real *running_var, const real *in, const real *gamma, const real *beta, int C, int N,
                                  real momentum, real eps);
void batchnorm_relu_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                                 const real *running_mean, const real *running_var, int C, int N, real eps);
void batchnorm_relu_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *out, const real *in,
                             const real *gamma, const real *saved_mean, const real *saved_invstd, int C, int N);

/* ---- batch norm over features: x [B][F] (flat layout), PyTorch's BatchNorm1d on (N, C) input ----
 * The same statistics, updates and formulas as the channel form above, per feature f over the B rows (column
 * f); relu: out = max(0, BN(in)) in the same pass, and in the backward relu_out (NULL: no ReLU) is that output,
 * which gates dout as in batchnorm_relu_backward. din may be dout (in place). */
void batchnorm1d_forward_train(real *out, real *saved_mean, real *saved_invstd, real *running_mean,
                               real *running_var, const real *in, const real *gamma, const real *beta, int B, int F,
                               real momentum, real eps, bool relu);
void batchnorm1d_forward_eval(real *out, const real *in, const real *gamma, const real *beta, const real *running_mean,
                              const real *running_var, int B, int F, real eps, bool relu);
void batchnorm1d_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *relu_out,
                          const real *in, const real *gamma, const real *saved_mean, const real *saved_invstd, int B,
                          int F);

/* ---- relu: n elements; backward reads the forward output (out > 0 exactly where in > 0) ---- */
void relu_forward(real *out, const real *in, size_t n);
void relu_backward(real *din, const real *dout, const real *out, size_t n);

/* ---- pooling over planes: in [P][H][W] with P = C*B planes, out [P][OH][OW] ---- */
typedef struct {
    int planes, H, W;
    int K, stride, pad;  /* square window; max pool pads with -inf, average pool counts padding as zeros */
    bool ceil_mode;      /* PyTorch's ceil_mode: output sizes rounded up (pool_output_size) */
    int OH, OW;
} PoolShape;
/* One output dimension as PyTorch's pooling computes it: floor((size + 2 pad - K) / stride) + 1, or with
 * ceil_mode the ceiling, less one if that last window would start at or past size + pad. A ceil-mode window
 * that runs past the input covers only its elements inside it (max pooling takes their maximum; average
 * pooling divides by the window's extent up to size + pad in each axis, padding included). */
int pool_output_size(int size, int K, int stride, int pad, bool ceil_mode);
void pool_shape_init(PoolShape *s, int planes, int H, int W, int K, int stride, int pad); /* floor mode */
void pool_shape_init_mode(PoolShape *s, int planes, int H, int W, int K, int stride, int pad, bool ceil_mode);
/* argmax [P][OH][OW]: the chosen element's position in its window, kh * K + kw counted from the window's
 * unclipped top-left corner (first maximum wins; MAXPOOL_NO_ELEMENT for a window that is all padding). One
 * byte per output instead of a 4-byte plane index: K <= MAXPOOL_MAX_KERNEL. */
#define MAXPOOL_NO_ELEMENT 255
#define MAXPOOL_MAX_KERNEL 15
void maxpool_forward(real *out, uint8_t *argmax, const real *in, const PoolShape *s);
void maxpool_backward(real *din, const real *dout, const uint8_t *argmax, const PoolShape *s);
/* the index within the input plane of output `o`'s (index within its output plane) chosen element, or -1 */
int32_t maxpool_input_index(const PoolShape *s, size_t o, uint8_t position);
void avgpool_forward(real *out, const real *in, const PoolShape *s);
void avgpool_backward(real *din, const real *dout, const PoolShape *s);

/* ---- adaptive average pool (nn.AdaptiveAvgPool2d): in [P][H][W] -> out [P][OH][OW], output row i the mean of
 * input rows [floor(i H / OH), ceil((i+1) H / OH)) (columns alike); any OH, OW >= 1, larger than H, W too ---- */
void adaptive_avgpool_forward(real *out, const real *in, int planes, int H, int W, int OH, int OW);
void adaptive_avgpool_backward(real *din, const real *dout, int planes, int H, int W, int OH, int OW);

/* ---- global average pool: in [C][B][HW] -> out [B][C] ---- */
void global_avgpool_forward(real *out, const real *in, int C, int B, int HW);
void global_avgpool_backward(real *din, const real *dout, int C, int B, int HW);

/* ---- flatten: in [C][B][HW] -> out [B][C*HW], each sample's features in PyTorch's (c, h, w) order ---- */
void flatten_forward(real *out, const real *in, int C, int B, int HW);
void flatten_backward(real *din, const real *dout, int C, int B, int HW);

/* ---- residual add: out = a + b, n elements; backward adds dout into both ---- */
/* ---- graph nodes of several inputs (concat.c, sum.c, channel_gate.c) ---- */
/* inputs[k] [channels[k]][rest] -> out [sum of channels][rest] (spatial: rest = B*H*W), and its adjoint adding
 * into dinputs[k] (NULL entries skipped) */
void concat_blocks_forward(real *out, const real *const *inputs, const int *channels, int n, size_t rest);
void concat_blocks_backward(real *const *dinputs, const real *dout, const int *channels, int n, size_t rest);
/* the same over rows of tokens: inputs[k] [rows][channels[k]] -> out [rows][sum of channels] */
void concat_rows_forward(real *out, const real *const *inputs, const int *channels, int n, size_t rows);
void concat_rows_backward(real *const *dinputs, const real *dout, const int *channels, int n, size_t rows);
/* out [n] = inputs[0] + ... + inputs[count-1] in that order; backward adds dout into every dinputs[k] but one
 * that is dout itself */
void sum_forward(real *out, const real *const *inputs, int count, size_t n);
void sum_backward(real *const *dinputs, int count, const real *dout, size_t n);
/* out [C][B][HW] = x * gate[b][c] (gate [B][C]); backward adds into dx and dgate (either may be NULL) */
void channel_gate_forward(real *out, const real *x, const real *gate, int C, int B, int HW);
void channel_gate_backward(real *dx, real *dgate, const real *dout, const real *x, const real *gate, int C, int B,
                           int HW);

/* ---- grouped convolution's depthwise kernel (grouped_conv.c): s with C = OC channels, one filter each.
 * in [C][B][H][W], weight [C][1][KH][KW], bias [C] or NULL -> out [C][B][OH][OW]; the backward adds into din,
 * dweight, dbias (any may be NULL). Direct loops, no workspace. ---- */
void depthwise_conv_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s);
void depthwise_conv_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in,
                             const real *weight, const ConvShape *s);
/* ---- channel shuffle: in [C][rest] -> out [C][rest], output channel j*groups + i = input i*(C/groups) + j;
 * the backward adds the inverse permutation of dout into din ---- */
void channel_shuffle_forward(real *out, const real *in, int C, int groups, size_t rest);
void channel_shuffle_backward(real *din, const real *dout, int C, int groups, size_t rest);
/* ---- activations of pointwise_activation.h, n elements: out = f(in); the backward adds dout * f'(in) into
 * din (in place when din == dout). relu6 min(max(x, 0), 6), whose backward reads its output instead; sigmoid;
 * hard_sigmoid relu6(x + 3) / 6; hard_swish x relu6(x + 3) / 6; silu x sigmoid(x) ---- */
void relu6_forward(real *out, const real *in, size_t n);
void relu6_backward(real *din, const real *dout, const real *out, size_t n);
void sigmoid_forward(real *out, const real *in, size_t n);
void sigmoid_backward(real *din, const real *dout, const real *in, size_t n);
void hard_sigmoid_forward(real *out, const real *in, size_t n);
void hard_sigmoid_backward(real *din, const real *dout, const real *in, size_t n);
void hard_swish_forward(real *out, const real *in, size_t n);
void hard_swish_backward(real *din, const real *dout, const real *in, size_t n);
void silu_forward(real *out, const real *in, size_t n);
void silu_backward(real *din, const real *dout, const real *in, size_t n);

void add_forward(real *out, const real *a, const real *b, size_t n);
void add_backward(real *da, real *db, const real *dout, size_t n);
/* the add and a ReLU after it in one pass: out = max(0, a + b); the backward takes dout, the gradient of that
 * out, and out itself, and adds dout where out > 0 into da and db */
void add_relu_forward(real *out, const real *a, const real *b, size_t n);
void add_relu_backward(real *da, real *db, const real *dout, const real *out, size_t n);

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

/* ======================= transformer / MLP-Mixer ops (token tensors [B][T][D]) ======================= */

/* ---- patch embedding: a PxP convolution with stride P as a reshape of patches + one GEMM.
 * in [C][B][H][W], weight [D][C][P][P] (PyTorch Conv2d), bias [D] (may be NULL) -> out [B][T][D],
 * T = GH * GW with GH = H / P, GW = W / P (floor), tokens in row-major patch-grid order. ---- */
typedef struct {
    int B, C, H, W, P, D;
    int GH, GW, T;         /* filled by patch_shape_init */
} PatchShape;
void patch_shape_init(PatchShape *s, int B, int C, int H, int W, int P, int D);
size_t patch_embed_workspace_size(const PatchShape *s); /* reals: the [B*T][C*P*P] patch matrix + linear_backward's */
void patch_embed_forward(real *out, const real *in, const real *weight, const real *bias, const PatchShape *s,
                         real *workspace);
void patch_embed_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in, const real *weight,
                          const PatchShape *s, real *workspace);

/* ---- class token + learned position embedding: in [B][T][D], cls [D], pos [T+1][D] -> out [B][T+1][D]
 * with out[b][0] = cls + pos[0] and out[b][1+t] = in[b][t] + pos[1+t]. ---- */
void cls_pos_forward(real *out, const real *in, const real *cls, const real *pos, int B, int T, int D);
void cls_pos_backward(real *din, real *dcls, real *dpos, const real *dout, int B, int T, int D);

/* ---- layer norm over the last dimension (nn.LayerNorm(D)): in [N][D] rows (N = B*T tokens), gamma/beta [D]
 * -> out [N][D]; saved_mean/saved_invstd [N] for backward. ---- */
void layernorm_forward(real *out, real *saved_mean, real *saved_invstd, const real *in, const real *gamma,
                       const real *beta, int N, int D, real eps);
void layernorm_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *in, const real *gamma,
                        const real *saved_mean, const real *saved_invstd, int N, int D, real *workspace);
/* reals of workspace layernorm_backward needs for N rows of D features */
size_t layernorm_workspace_size(int N, int D);

/* ---- GELU, n elements: exact x * Phi(x) (erf), or the tanh approximation when tanh_form; backward reads the
 * forward input. ---- */
void gelu_forward(real *out, const real *in, size_t n, bool tanh_form);
void gelu_backward(real *din, const real *dout, const real *in, size_t n, bool tanh_form);

/* ---- multi-head self-attention core: qkv [B][T][3D] (q | k | v per token, head h = columns h*dh.. of each,
 * dh = D / heads, as nn.MultiheadAttention's fused in_proj) -> out [B][Tq][D], the heads' contexts
 * softmax(Q K^T / sqrt(dh)) V side by side for the first Tq tokens as queries (Tq <= T; all T but in a ViT's
 * last block with class-token pooling) over all T as keys and values. probs [B][heads][Tq][T] saves the
 * softmax; mask (same shape, or NULL for no attention dropout) the inverted-dropout mask drawn from rng with
 * probability dropout_p. One GEMM per (sample, head) and product, on strided views of qkv. Workspace:
 * attention_workspace_size(Tq, T, slots): two [Tq][T] blocks for each of `slots` threads that may run samples
 * at once. ---- */
size_t attention_workspace_size(int Tq, int T, int slots);
void attention_forward(real *out, real *probs, real *mask, const real *qkv, int B, int Tq, int T, int D, int heads,
                       real dropout_p, Rng *rng, real *workspace, int slots);
void attention_backward(real *dqkv, GradMode dqkv_mode, const real *dout, const real *qkv, const real *probs,
                        const real *mask, int B, int Tq, int T, int D, int heads, real *workspace, int slots);

/* ---- token transpose: in [B][R][C] -> out [B][C][R] (MLP-Mixer token mixing as a linear layer) ---- */
void token_transpose_forward(real *out, const real *in, int B, int R, int C);
void token_transpose_backward(real *din, const real *dout, int B, int R, int C);

/* ---- mean over tokens first..T-1: in [B][T][D] -> out [B][D] ---- */
void token_mean_forward(real *out, const real *in, int B, int T, int D, int first);
void token_mean_backward(real *din, const real *dout, int B, int T, int D, int first);

/* ---- one token of every sample (ViT class-token pooling): in [B][T][D] -> out [B][D] = in[b][index] ---- */
void token_select_forward(real *out, const real *in, int B, int T, int D, int index);
void token_select_backward(real *din, const real *dout, int B, int T, int D, int index);

#endif

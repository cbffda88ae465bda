/* AVX-512 path of conv2d for stride-1 'same' and for stride-2 convolutions (every layer of the CIFAR ResNets,
 * VGG's first ones), used by conv2d.c behind the conv2d_forward/backward interface.
 *
 * It is im2col + GEMM like the general path, but in pieces small enough to stay in the L1/L2 cache: the
 * output pixels of the whole batch are cut into panels of 48 columns; for each panel the im2col is written
 * straight into packed form [K][48] (K = C*KH*KW), and an 8x48 register-tile micro-kernel multiplies it by
 * the filters, packed [OC/8][K][8]. No OpenBLAS packing, no large im2col buffer. Threads take whole panels,
 * and every output element is one kernel's sum over k in order, so results do not depend on the thread count.
 *
 * Only in the float build, and only where the CPU has AVX-512F; elsewhere conv2d.c uses its GEMM paths. */
#ifndef COHORT_CONV2D_PANELS_H
#define COHORT_CONV2D_PANELS_H

#include <stdbool.h>
#include <stddef.h>

#include "../ops.h"

/* Whether the panel path computes the convolution of shape s here: float build, AVX-512F CPU, a batch > 1,
 * output planes of a multiple of 16 pixels, and stride 1 with 'same' padding in each axis (2 pad_h = KH - 1,
 * 2 pad_w = KW - 1: rectangular kernels such as 1x7 with padding (0, 3) too) or stride 2 with output rows
 * of 8 or a multiple of 16 pixels. (conv2d.c runs the input gradient here only where it is itself a
 * stride-1 'same' convolution.) */
bool conv_panels_apply(const ConvShape *s);
/* reals of workspace conv_panels_convolve needs for shape s with out_channels filters (s->slots threads). */
size_t conv_panels_workspace(const ConvShape *s, int out_channels);

/* out[M][B*OH*OW] (= or += when accumulate) the convolution of in [C][B][H][W] (shape s: C, H, W, KH, KW,
 * stride, pad) with filters [M][C][KH][KW]. workspace: conv_panels_workspace(s, M) reals. */
void conv_panels_convolve(real *out, const real *in, const real *filters, int M, const ConvShape *s,
                          bool accumulate, real *workspace);

/* Whether conv_panels_weight_grad computes the weight gradient of shape s: as conv_panels_apply, and OC a
 * multiple of 16. */
bool conv_panels_weight_grad_apply(const ConvShape *s);
/* reals of workspace conv_panels_weight_grad needs for shape s (s->slots threads). */
size_t conv_panels_weight_grad_workspace(const ConvShape *s);
/* dweight[OC][C][KH][KW] += the weight gradient from dout [OC][B][OH][OW] and in [C][B][H][W];
 * workspace: conv_panels_weight_grad_workspace(s) reals. Summed in fixed groups of panels, then in order. */
void conv_panels_weight_grad(real *dweight, const real *dout, const real *in, const ConvShape *s, real *workspace);

#endif

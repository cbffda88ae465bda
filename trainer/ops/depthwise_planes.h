/* AVX-512 path of the depthwise convolution (grouped_conv.c) for stride-1 'same' layers whose planes are a
 * whole number of 16-pixel vectors (MobileNet's and ShuffleNet's 3x3 and 5x5 depthwise layers at 32x32 down to
 * 4x4): each plane is one flat run of vectors, every tap a masked load at the tap's shift, instead of rows of
 * 4-16 pixels with a loop (and, for the filter gradient, a horizontal sum) per row and tap.
 * Float build and AVX-512F CPUs only; grouped_conv.c keeps its row kernels for every other shape. */
#ifndef COHORT_DEPTHWISE_PLANES_H
#define COHORT_DEPTHWISE_PLANES_H

#include <stdbool.h>

#include "../ops.h"

/* Whether the vector-plane path computes the depthwise convolution of shape s here. */
bool depthwise_planes_apply(const ConvShape *s);

/* out [C][B][H][W] = bias + the depthwise convolution of in [C][B][H][W] with weight [C][1][KH][KW]: per output
 * pixel, the bias and then the taps in (kh, kw) order. */
void depthwise_planes_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s);

/* din [C][B][H][W] += the input gradient (the convolution of dout with the flipped filter), dweight
 * [C][1][KH][KW] += the filter gradient (per lane summed over the images and the plane's vectors in order, then
 * the 16 lanes in order); either may be NULL. Threads take whole channels. */
void depthwise_planes_backward(real *din, real *dweight, const real *dout, const real *in, const real *weight,
                               const ConvShape *s);

#endif

/* Whole-graph gradient check for the double build: every parameter gradient of a built model (sampled entries
 * of each tensor) against central differences of its training-mode softmax cross-entropy loss on a fixed batch.
 * Dropout draws the same masks on every pass. */
#ifndef COHORT_TEST_GRAPH_CHECK_H
#define COHORT_TEST_GRAPH_CHECK_H

#include "model.h"

/* The worst relative error (gradcheck_relative_error) over up to `samples` entries of every parameter tensor of
 * m (built for at least `batch` images of C x H x W and `classes` outputs), on normal(0, 1) images from `seed`. */
double graph_gradient_error(Model *m, int batch, int C, int H, int W, int classes, int samples, uint64_t seed);

#endif

/* Softmax followed by cross-entropy against a (optionally label-smoothed) target, as PyTorch's
 * CrossEntropyLoss(label_smoothing=s) with mean reduction. */
#include <math.h>

#include "ops.h"

/* logits [B][K], labels [B] -> probs [B][K]; returns the mean loss over the batch.
 * With log Z = max + log sum_k exp(x_k - max) (stable: every exponent <= 0) and the target
 * t = (1 - s) * onehot(y) + s / K, which sums to 1, the loss of a sample is
 *   -sum_k t_k (x_k - log Z) = log Z - (1 - s) x_y - (s / K) sum_k x_k,
 * computed from the logits directly rather than from log(probs), which would underflow. */
double softmax_xent_forward(real *probs, const real *logits, const int32_t *labels, int B, int K, real smoothing) {
    if (B <= 0 || K <= 0) return 0;
    const double s = smoothing;
    double total = 0;
    for (int b = 0; b < B; b++) {
        const real *x = logits + (size_t)b * K;
        real *p = probs + (size_t)b * K;
        real max = x[0];
        for (int k = 1; k < K; k++)
            if (x[k] > max) max = x[k];
        double sum_exp = 0, sum_logits = 0;
        for (int k = 0; k < K; k++) {
            double e = exp((double)x[k] - (double)max);
            p[k] = (real)e; /* normalised below */
            sum_exp += e;
            sum_logits += x[k];
        }
        const double inv_sum = 1.0 / sum_exp;
        for (int k = 0; k < K; k++) p[k] = (real)(p[k] * inv_sum);
        const double log_z = (double)max + log(sum_exp);
        total += log_z - (1.0 - s) * (double)x[labels[b]] - s / K * sum_logits;
    }
    return total / B;
}

/* probs [B][K], labels [B]; adds d(mean loss)/d(logits) = (probs - target) / B into dlogits [B][K]. */
void softmax_xent_backward(real *dlogits, const real *probs, const int32_t *labels, int B, int K, real smoothing) {
    if (!dlogits || B <= 0 || K <= 0) return;
    const double inv_batch = 1.0 / B;
    const real off_target = (real)((double)smoothing / K);   /* target of every class */
    const real on_target = (real)(1.0 - (double)smoothing);  /* extra target of the labelled class */
    const real scale = (real)inv_batch;
    for (int b = 0; b < B; b++) {
        const real *p = probs + (size_t)b * K;
        real *d = dlogits + (size_t)b * K;
        for (int k = 0; k < K; k++) d[k] += (p[k] - off_target) * scale;
        d[labels[b]] -= on_target * scale;
    }
}

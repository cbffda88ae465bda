/* A forward-only form of a trained model, for evaluation and inference.
 *
 * It runs the trained model's layers with three differences, none of which changes what is computed beyond
 * float rounding:
 * - every batch norm whose input is a convolution's output and nothing else's is folded into that convolution:
 *   per output channel c, scale = gamma / sqrt(running_var + eps), W'[c] = W[c] * scale and
 *   b'[c] = (b[c] - running_mean) * scale + beta (computed in double), so evaluation skips one pass over
 *   those activations; a ReLU that ran fused with the batch norm runs on its own, in place;
 * - no gradient arenas, and one shared region for the per-layer state that training keeps for backward (a
 *   forward-only pass reads it within the layer that wrote it);
 * - activations live only while something still reads them: regions are reused in the order of the layers
 *   (first fit), so the arena is a few of the largest activations rather than all of them.
 * The folded parameters are a copy: eval_model_refresh re-derives them after the trained model changed (each
 * epoch). Auxiliary heads are left out. */
#ifndef COHORT_EVAL_MODEL_H
#define COHORT_EVAL_MODEL_H

#include "model.h"

typedef struct EvalModel EvalModel;

/* Plans the forward-only form of `trained` for batches of up to max_batch images and folds its parameters. */
int eval_model_create(EvalModel **out, const Model *trained, int max_batch, char err[ERR_LEN]);
void eval_model_free(EvalModel *eval);
/* The same plan in the trained model's own memory, for evaluation between training steps: the folded parameters
 * in its gradient arena, the activations, saved state and workspace in the span of its activations, activation
 * gradients, saved state and workspace, the buffers shared (evaluation reads them only). Nothing there survives
 * from one training step to the next (each step recomputes them, starting by zeroing the gradients), so
 * evaluating between steps costs no memory; it clobbers them, so never evaluate between a backward pass and its
 * optimiser step. Falls back to eval_model_create when the plan does not fit (a larger batch than training's).
 * Call eval_model_refresh before every evaluation. */
int eval_model_create_borrowing(EvalModel **out, Model *trained, int max_batch, char err[ERR_LEN]);
/* Re-derives the folded parameters (and copies the buffers, unless shared) from the model it was created from. */
void eval_model_refresh(EvalModel *eval);
/* x: [C][B][H][W], B <= max_batch. Returns the logits [B][classes] (inside the eval model's arena). */
const real *eval_model_forward(EvalModel *eval, const real *x, int B);
/* What the plan did, for `cohort bench --eval`: batch norms folded, and the arena's reals against the trained
 * model's activation, gradient and saved-state reals. */
typedef struct {
    int folded_batchnorms;
    size_t arena_reals, trained_reals;
} EvalModelStats;
EvalModelStats eval_model_stats(const EvalModel *eval);
/* The model that runs the forward (its layers and slots are the plan): for profiling and FLOPs. */
Model *eval_model_model(EvalModel *eval);

#endif

#include "graph_check.h"

#include <stdlib.h>

#include "gradcheck.h"
#include "ops.h"

typedef struct {
    Model *m;
    int batch, classes;
    real *x, *probs;
    int32_t *labels;
    Rng dropout_start;
} Graph;

static double graph_loss(Graph *g) {
    g->m->dropout_rng = g->dropout_start;
    const real *logits = model_forward(g->m, g->x, g->batch, true);
    return softmax_xent_forward(g->probs, logits, g->labels, g->batch, g->classes, 0);
}

double graph_gradient_error(Model *m, int batch, int C, int H, int W, int classes, int samples, uint64_t seed) {
    Rng rng;
    rng_seed(&rng, seed);
    Graph g = {.m = m, .batch = batch, .classes = classes};
    const size_t n = (size_t)C * H * W * batch;
    g.x = test_alloc(n, sizeof(real));
    g.probs = test_alloc((size_t)batch * classes, sizeof(real));
    g.labels = test_alloc((size_t)batch, sizeof(int32_t));
    for (size_t i = 0; i < n; i++) g.x[i] = (real)rng_normal(&rng);
    for (int b = 0; b < batch; b++) g.labels[b] = b % classes;
    g.dropout_start = m->dropout_rng;
    graph_loss(&g);
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), g.probs, g.labels, batch, classes, 0);
    model_backward(m, batch);
    double worst = 0;
    for (int t = 0; t < m->tensor_count; t++) {
        const ParamTensor *pt = &m->tensors[t];
        const int count = pt->count < (size_t)samples ? (int)pt->count : samples;
        for (int k = 0; k < count; k++) {
            const bool every = pt->count <= (size_t)samples;
            const size_t i = pt->offset + (every ? (size_t)k : rng_below(&rng, (uint32_t)pt->count));
            const real saved = m->params[i];
            const double eps = 1e-6;
            m->params[i] = saved + eps;
            const double up = graph_loss(&g);
            m->params[i] = saved - eps;
            const double down = graph_loss(&g);
            m->params[i] = saved;
            const double error = gradcheck_relative_error(m->grads[i], (up - down) / (2 * eps));
            if (!(error <= worst)) worst = error; /* NaN stays */
        }
    }
    free(g.x), free(g.probs), free(g.labels);
    return worst;
}

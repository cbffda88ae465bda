/* The registry-wide gradient checker: every op the engine registers (trainer/op_registry.c) is checked from its
 * descriptor's cases, in the double build. For each case the test builds
 *     image -> 1x1 convolution with bias (the stem) -> the case's graph -> [token mean | flatten] -> linear -> loss
 * and compares every parameter gradient of the whole graph with central differences of the loss. The stem's and
 * the case's parameters sit before the op, so a wrong input gradient of the op shows in theirs; the head's after
 * it. An op whose descriptor lacks a name, a forward or backward pass, or any case fails. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gradcheck.h"
#include "graph_check.h"
#include "layer.h"
#include "ops.h"

_Static_assert(sizeof(real) == sizeof(double), "finite differences need the double engine");

#define BATCH 3
#define CLASSES 3
#define SAMPLES_PER_TENSOR 8
/* max relative error (gradcheck_relative_error: entries whose gradient is ~0, e.g. a bias before a batch norm,
 * are judged on an absolute scale) */
#define GRAD_TOL 1e-6

/* The case's graph with the stem and head around it; NULL (and a failed check) if it does not build. */
static Model *build_case(const OpCheckCase *c, char err[ERR_LEN]) {
    Model *m = calloc(1, sizeof *m);
    if (!m) abort();
    snprintf(m->name, sizeof m->name, "check");
    ModelBuilder mb;
    builder_start(&mb, m, c->C, c->H, c->W);
    const int stem = builder_conv(&mb, builder_input(&mb), c->C, 1, 1, 0, true);
    int y = c->build(&mb, stem);
    const TensorSlot *out = &m->slots[y];
    if (out->flat && out->H > 1) y = builder_token_mean(&mb, y, 0);
    else if (!out->flat) y = builder_flatten(&mb, y);
    const int logits = builder_linear(&mb, y, CLASSES, true);
    if (builder_finish(&mb, logits, BATCH, 5, err)) {
        model_free(m);
        return NULL;
    }
    return m;
}

/* the worst relative error of the case's graph; whether it contains the op */
static double check_case(const OpCheckCase *c, const char *op, bool *uses_op, LayerKind kind) {
    char err[ERR_LEN];
    Model *m = build_case(c, err);
    CHECK_MSG(m != NULL, "%s / %s: %s", op, c->label, err);
    if (!m) return INFINITY;
    *uses_op = false;
    for (int i = 0; i < m->layer_count; i++) *uses_op |= m->layers[i].kind == kind;
    const double worst = graph_gradient_error(m, BATCH, c->C, c->H, c->W, CLASSES, SAMPLES_PER_TENSOR, 11);
    model_free(m);
    return worst;
}

int main(void) {
    int ops = 0, cases = 0;
    for (int kind = 0; kind < LAYER_KIND_COUNT; kind++) {
        const OpDescriptor *op = op_descriptor((LayerKind)kind);
        CHECK_MSG(op && op->name && op->forward && op->backward, "layer kind %d has no complete descriptor", kind);
        if (!op || !op->name) continue;
        CHECK_MSG(op->check_case_count > 0, "op %s has no gradient-check cases", op->name);
        ops++;
        for (int k = 0; k < op->check_case_count; k++) {
            const OpCheckCase *c = &op->check_cases[k];
            bool uses_op = false;
            const double worst = check_case(c, op->name, &uses_op, (LayerKind)kind);
            CHECK_MSG(uses_op, "%s / %s: the case's graph does not contain the op", op->name, c->label);
            CHECK_MSG(worst < GRAD_TOL, "%s / %s: worst relative gradient error %.3e", op->name, c->label, worst);
            printf("  %-16s %-58s worst relative error %.1e\n", op->name, c->label, worst);
            cases++;
        }
    }
    printf("%d ops, %d cases\n", ops, cases);
    return check_report("test_op_registry");
}

/* Gradient checks of every op in trainer/ops.h, in double precision (linked with cohort_trainer_f64).
 *
 * For each op, L = sum(out .* R) for a fixed random R, so dL/dout = R is what backward receives; each input
 * and parameter gradient from backward is compared entry by entry with central differences of L. Backward is
 * always run into gradient buffers pre-filled with random values, which are subtracted afterwards: a
 * backward that overwrote instead of adding would fail every check. Where a cheap direct computation exists
 * the forward values are checked too (a gradcheck alone only proves backward matches forward). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "gradcheck.h"
#include "naive_ops.h"
#include "ops.h"

_Static_assert(sizeof(real) == sizeof(double), "test_ops_gradcheck must link the double engine");

/* Central-difference step. The ops other than batchnorm and softmax are linear (or piecewise linear) in
 * every input, so the only error is rounding noise of order 1e-16 * |L| / FD_EPS: the larger step wins. */
#define FD_EPS 1e-5
#define GRAD_TOL 1e-6       /* max relative error of a gradient entry (see gradcheck_relative_error) */
#define EXACT_TOL 1e-12     /* double results that should agree up to rounding */

static Rng rng;

/* ---- per-op summary of the worst gradient error ---- */

typedef struct {
    const char *op;
    double max_error;
    size_t checked;
} OpSummary;
static OpSummary summaries[32];
static int summary_count;

static void record(const char *op, const char *tensor, GradcheckResult r) {
    printf("  %-34s d%-7s %6zu entries, max rel error %.2e\n", op, tensor, r.checked, r.max_error);
    CHECK_MSG(r.checked > 0 && r.max_error <= GRAD_TOL, "%s d%s[%zu]: analytic %.12g, numeric %.12g (error %.3e)",
              op, tensor, r.worst_index, r.worst_analytic, r.worst_numeric, r.max_error);
    /* summarise by op name up to the first space ("conv2d 3x3 s1 p1" -> "conv2d") */
    size_t name_length = strcspn(op, " ");
    OpSummary *s = NULL;
    for (int i = 0; i < summary_count; i++)
        if (strlen(summaries[i].op) == name_length && strncmp(summaries[i].op, op, name_length) == 0) s = &summaries[i];
    if (!s && summary_count < 32) {
        static char names[32][32];
        snprintf(names[summary_count], sizeof names[0], "%.*s", (int)name_length, op);
        s = &summaries[summary_count++];
        s->op = names[summary_count - 1];
    }
    if (s) {
        if (r.max_error > s->max_error) s->max_error = r.max_error;
        s->checked += r.checked;
    }
}

/* ---- gradient buffers pre-filled with a random prior ---- */

typedef struct {
    real *grad;   /* what backward adds into */
    real *prior;  /* its initial contents */
    size_t n;
} Grad;

static Grad grad_new(size_t n) {
    Grad g = {test_alloc(n, sizeof(real)), test_alloc(n, sizeof(real)), n};
    fill_normal(g.prior, n, 1.0, &rng);
    memcpy(g.grad, g.prior, n * sizeof(real));
    return g;
}

/* Leaves grad = what backward added. */
static void grad_finish(Grad *g) {
    for (size_t i = 0; i < g->n; i++) g->grad[i] -= g->prior[i];
}

static void grad_free(Grad *g) {
    free(g->grad);
    free(g->prior);
}

static real *random_tensor(size_t n, double scale) {
    real *x = test_alloc(n, sizeof(real));
    fill_normal(x, n, scale, &rng);
    return x;
}

/* max |a - b| / max(1, |b|) */
static double max_scaled_difference(const real *a, const double *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]) / fmax(1.0, fabs(b[i])));
    return worst;
}

/* ================================ linear ================================ */

typedef struct {
    real *in, *weight, *bias, *out, *R;
    int B, IN, OUT;
} LinearCtx;

static double linear_loss(void *p) {
    LinearCtx *c = p;
    linear_forward(c->out, c->in, c->weight, c->bias, c->B, c->IN, c->OUT);
    return dot_product(c->out, c->R, (size_t)c->B * c->OUT);
}

static void test_linear(const char *label, int B, int IN, int OUT, bool with_bias) {
    LinearCtx c = {random_tensor((size_t)B * IN, 1.0), random_tensor((size_t)OUT * IN, 0.5),
                   with_bias ? random_tensor((size_t)OUT, 0.5) : NULL, test_alloc((size_t)B * OUT, sizeof(real)),
                   random_tensor((size_t)B * OUT, 1.0), B, IN, OUT};
    double *expected = test_alloc((size_t)B * OUT, sizeof(double));
    linear_forward(c.out, c.in, c.weight, c.bias, B, IN, OUT);
    naive_linear_forward(expected, c.in, c.weight, c.bias, B, IN, OUT);
    CHECK(max_scaled_difference(c.out, expected, (size_t)B * OUT) <= EXACT_TOL);

    Grad din = grad_new((size_t)B * IN), dw = grad_new((size_t)OUT * IN), db = grad_new((size_t)OUT);
    real *workspace = test_alloc(linear_workspace_size(B, IN, OUT) + 1, sizeof(real)); /* bias sums, weight slots */
    linear_backward(din.grad, GRAD_ADD, dw.grad, with_bias ? db.grad : NULL, c.R, c.in, c.weight, B, IN, OUT,
                    workspace);
    free(workspace);
    grad_finish(&din);
    grad_finish(&dw);
    grad_finish(&db);
    record(label, "in", gradcheck(linear_loss, &c, c.in, din.grad, din.n, FD_EPS, 0, &rng));
    record(label, "weight", gradcheck(linear_loss, &c, c.weight, dw.grad, dw.n, FD_EPS, 0, &rng));
    if (with_bias) record(label, "bias", gradcheck(linear_loss, &c, c.bias, db.grad, db.n, FD_EPS, 0, &rng));
    grad_free(&din);
    grad_free(&dw);
    grad_free(&db);
    free(expected);
    free(c.in);
    free(c.weight);
    free(c.bias);
    free(c.out);
    free(c.R);
}

/* Backward twice into zeroed buffers must give exactly twice one backward (up to GEMM rounding). */
static void test_linear_accumulates(void) {
    const int B = 3, IN = 6, OUT = 4;
    real *in = random_tensor((size_t)B * IN, 1), *w = random_tensor((size_t)OUT * IN, 1);
    real *dout = random_tensor((size_t)B * OUT, 1);
    real *din = test_alloc((size_t)B * IN, sizeof(real)), *dw = test_alloc((size_t)OUT * IN, sizeof(real));
    real *db = test_alloc((size_t)OUT, sizeof(real));
    real *once[3] = {test_alloc((size_t)B * IN, sizeof(real)), test_alloc((size_t)OUT * IN, sizeof(real)),
                     test_alloc((size_t)OUT, sizeof(real))};
    real *workspace = test_alloc(linear_workspace_size(B, IN, OUT), sizeof(real));
    linear_backward(din, GRAD_ADD, dw, db, dout, in, w, B, IN, OUT, workspace);
    memcpy(once[0], din, (size_t)B * IN * sizeof(real));
    memcpy(once[1], dw, (size_t)OUT * IN * sizeof(real));
    memcpy(once[2], db, (size_t)OUT * sizeof(real));
    linear_backward(din, GRAD_ADD, dw, db, dout, in, w, B, IN, OUT, workspace);
    for (int i = 0; i < B * IN; i++) CHECK_CLOSE(din[i], 2 * once[0][i], EXACT_TOL);
    for (int i = 0; i < OUT * IN; i++) CHECK_CLOSE(dw[i], 2 * once[1][i], EXACT_TOL);
    for (int i = 0; i < OUT; i++) CHECK_CLOSE(db[i], 2 * once[2][i], EXACT_TOL);
    /* and the gradient is not trivially zero */
    CHECK(fabs(once[0][0]) > 0 && fabs(once[1][0]) > 0 && fabs(once[2][0]) > 0);
    /* GRAD_WRITE: din is written over whatever it held (NaN here); the parameter gradients still add */
    for (int i = 0; i < B * IN; i++) din[i] = NAN;
    linear_backward(din, GRAD_WRITE, dw, db, dout, in, w, B, IN, OUT, workspace);
    for (int i = 0; i < B * IN; i++) CHECK_CLOSE(din[i], once[0][i], EXACT_TOL);
    for (int i = 0; i < OUT * IN; i++) CHECK_CLOSE(dw[i], 3 * once[1][i], EXACT_TOL);
    for (int i = 0; i < OUT; i++) CHECK_CLOSE(db[i], 3 * once[2][i], EXACT_TOL);
    free(in), free(w), free(dout), free(din), free(dw), free(db), free(workspace);
    for (int i = 0; i < 3; i++) free(once[i]);
}

/* ================================ conv2d ================================ */

typedef struct {
    ConvShape s;
    real *in, *weight, *bias, *out, *R, *workspace;
    size_t out_n;
} ConvCtx;

static double conv_loss(void *p) {
    ConvCtx *c = p;
    conv2d_forward(c->out, c->in, c->weight, c->bias, &c->s, c->workspace);
    return dot_product(c->out, c->R, c->out_n);
}

/* max_samples = 0 checks every entry; otherwise that many random entries per tensor (large shapes), with the
 * full backward still compared against the direct reference. */
static void test_conv(const char *label, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad,
                      bool with_bias, size_t max_samples, bool expect_several_chunks) {
    ConvCtx c;
    conv_shape_init(&c.s, B, C, H, W, OC, KH, KW, stride, pad);
    const NaiveConv n = naive_conv(B, C, H, W, OC, KH, KW, stride, pad);
    CHECK(c.s.OH == n.OH && c.s.OW == n.OW);
    const size_t in_n = (size_t)C * B * H * W, w_n = (size_t)OC * C * KH * KW;
    c.out_n = (size_t)OC * B * c.s.OH * c.s.OW;
    c.in = random_tensor(in_n, 1.0);
    c.weight = random_tensor(w_n, 0.5);
    c.bias = with_bias ? random_tensor((size_t)OC, 0.5) : NULL;
    c.out = test_alloc(c.out_n, sizeof(real));
    c.R = random_tensor(c.out_n, 1.0);
    const size_t workspace_n = conv2d_workspace_size(&c.s);
    c.workspace = workspace_n ? test_alloc(workspace_n, sizeof(real)) : NULL; /* NULL is fine without im2col */

    const int chunk = conv2d_chunk_images(&c.s);
    const int chunks = (B + chunk - 1) / chunk;
    CHECK(chunk >= 1 && chunk <= B);
    CHECK(workspace_n == 0 || workspace_n >= (size_t)chunk * C * KH * KW * c.s.OH * c.s.OW);
    if (expect_several_chunks) CHECK_MSG(chunks > 1, "%s: %d images per chunk of %d", label, chunk, B);
    if (KH == 1 && KW == 1 && stride == 1 && pad == 0) CHECK(workspace_n == 0);

    /* forward against the direct convolution */
    double *expected = test_alloc(c.out_n, sizeof(double));
    conv_loss(&c);
    naive_conv2d_forward(expected, c.in, c.weight, c.bias, &n);
    double forward_error = max_scaled_difference(c.out, expected, c.out_n);
    CHECK_MSG(forward_error <= EXACT_TOL, "%s forward error %.3e", label, forward_error);

    /* backward against the direct transpose, then against finite differences */
    Grad din = grad_new(in_n), dw = grad_new(w_n), db = grad_new((size_t)OC);
    conv2d_backward(din.grad, dw.grad, with_bias ? db.grad : NULL, c.R, c.in, c.weight, &c.s, c.workspace);
    grad_finish(&din);
    grad_finish(&dw);
    grad_finish(&db);
    double *ref_din = test_alloc(in_n, sizeof(double)), *ref_dw = test_alloc(w_n, sizeof(double));
    double *ref_db = test_alloc((size_t)OC, sizeof(double));
    naive_conv2d_backward(ref_din, ref_dw, ref_db, c.R, c.in, c.weight, &n);
    double backward_error = fmax(max_scaled_difference(din.grad, ref_din, in_n),
                                 max_scaled_difference(dw.grad, ref_dw, w_n));
    if (with_bias) backward_error = fmax(backward_error, max_scaled_difference(db.grad, ref_db, (size_t)OC));
    CHECK_MSG(backward_error <= 1e-10, "%s backward vs direct: %.3e", label, backward_error);
    printf("  %-34s %d chunk(s) of <= %d images, workspace %zu reals; vs direct: fwd %.1e bwd %.1e\n", label, chunks,
           chunk, workspace_n, forward_error, backward_error);

    record(label, "in", gradcheck(conv_loss, &c, c.in, din.grad, in_n, FD_EPS, max_samples, &rng));
    record(label, "weight", gradcheck(conv_loss, &c, c.weight, dw.grad, w_n, FD_EPS, max_samples, &rng));
    if (with_bias) record(label, "bias", gradcheck(conv_loss, &c, c.bias, db.grad, (size_t)OC, FD_EPS, 0, &rng));

    grad_free(&din);
    grad_free(&dw);
    grad_free(&db);
    free(ref_din), free(ref_dw), free(ref_db), free(expected);
    free(c.in), free(c.weight), free(c.bias), free(c.out), free(c.R), free(c.workspace);
}

static void test_conv_accumulates(int KH, int stride, int pad) {
    ConvShape s;
    conv_shape_init(&s, 2, 3, 5, 5, 4, KH, KH, stride, pad);
    const size_t in_n = (size_t)s.C * s.B * s.H * s.W, w_n = (size_t)s.OC * s.C * s.KH * s.KW;
    const size_t out_n = (size_t)s.OC * s.B * s.OH * s.OW;
    real *in = random_tensor(in_n, 1), *w = random_tensor(w_n, 1), *dout = random_tensor(out_n, 1);
    real *workspace = test_alloc(conv2d_workspace_size(&s) + 1, sizeof(real));
    real *din = test_alloc(in_n, sizeof(real)), *dw = test_alloc(w_n, sizeof(real));
    real *db = test_alloc((size_t)s.OC, sizeof(real));
    real *din1 = test_alloc(in_n, sizeof(real)), *dw1 = test_alloc(w_n, sizeof(real));
    real *db1 = test_alloc((size_t)s.OC, sizeof(real));
    conv2d_backward(din, dw, db, dout, in, w, &s, workspace);
    memcpy(din1, din, in_n * sizeof(real));
    memcpy(dw1, dw, w_n * sizeof(real));
    memcpy(db1, db, (size_t)s.OC * sizeof(real));
    conv2d_backward(din, dw, db, dout, in, w, &s, workspace);
    for (size_t i = 0; i < in_n; i++) CHECK_CLOSE(din[i], 2 * din1[i], EXACT_TOL);
    for (size_t i = 0; i < w_n; i++) CHECK_CLOSE(dw[i], 2 * dw1[i], EXACT_TOL);
    for (int i = 0; i < s.OC; i++) CHECK_CLOSE(db[i], 2 * db1[i], EXACT_TOL);
    CHECK(fabs(din1[in_n / 2]) > 0 && fabs(dw1[0]) > 0 && fabs(db1[0]) > 0);
    /* only the requested gradients are touched: NULL for din and dbias leaves dweight alone correct */
    real *dw_only = test_alloc(w_n, sizeof(real));
    conv2d_backward(NULL, dw_only, NULL, dout, in, w, &s, workspace);
    for (size_t i = 0; i < w_n; i++) CHECK_CLOSE(dw_only[i], dw1[i], EXACT_TOL);
    free(in), free(w), free(dout), free(workspace), free(din), free(dw), free(db), free(din1), free(dw1), free(db1);
    free(dw_only);
}

/* ================================ batchnorm ================================ */

typedef struct {
    real *in, *gamma, *beta, *out, *R, *saved_mean, *saved_invstd, *running_mean, *running_var;
    int C, N;
    real momentum, eps;
} BatchnormCtx;

static double batchnorm_loss(void *p) {
    BatchnormCtx *c = p;
    batchnorm_forward_train(c->out, c->saved_mean, c->saved_invstd, c->running_mean, c->running_var, c->in, c->gamma,
                            c->beta, c->C, c->N, c->momentum, c->eps);
    return dot_product(c->out, c->R, (size_t)c->C * c->N);
}

static void test_batchnorm(const char *label, int C, int N, double input_offset, double input_scale) {
    const size_t n = (size_t)C * N;
    BatchnormCtx c = {random_tensor(n, input_scale), random_tensor((size_t)C, 0.3), random_tensor((size_t)C, 0.5),
                      test_alloc(n, sizeof(real)), random_tensor(n, 1.0), test_alloc((size_t)C, sizeof(real)),
                      test_alloc((size_t)C, sizeof(real)), test_alloc((size_t)C, sizeof(real)),
                      test_alloc((size_t)C, sizeof(real)), C, N, 0.1, 1e-5};
    for (size_t i = 0; i < n; i++) c.in[i] += input_offset;
    for (int i = 0; i < C; i++) c.gamma[i] += 1.0;

    /* one training step from known running statistics, against a direct two-pass computation */
    real *running_mean0 = random_tensor((size_t)C, 1.0), *running_var0 = test_alloc((size_t)C, sizeof(real));
    fill_uniform(running_var0, (size_t)C, 0.5, 2.0, &rng);
    memcpy(c.running_mean, running_mean0, (size_t)C * sizeof(real));
    memcpy(c.running_var, running_var0, (size_t)C * sizeof(real));
    batchnorm_loss(&c);
    for (int ch = 0; ch < C; ch++) {
        const real *x = c.in + (size_t)ch * N;
        double mean = 0, var = 0;
        for (int i = 0; i < N; i++) mean += x[i];
        mean /= N;
        for (int i = 0; i < N; i++) var += (x[i] - mean) * (x[i] - mean);
        const double biased = var / N, unbiased = var / (N - 1);
        const double invstd = 1.0 / sqrt(biased + (double)c.eps);
        CHECK_CLOSE(c.saved_mean[ch], mean, EXACT_TOL);
        CHECK_CLOSE(c.saved_invstd[ch], invstd, EXACT_TOL);
        CHECK_CLOSE(c.running_mean[ch], 0.9 * running_mean0[ch] + 0.1 * mean, EXACT_TOL);
        CHECK_CLOSE(c.running_var[ch], 0.9 * running_var0[ch] + 0.1 * unbiased, EXACT_TOL);
        for (int i = 0; i < N; i++)
            CHECK_CLOSE(c.out[(size_t)ch * N + i], (x[i] - mean) * invstd * c.gamma[ch] + c.beta[ch], EXACT_TOL);
    }

    /* evaluation mode: the formula with the running statistics */
    batchnorm_forward_eval(c.out, c.in, c.gamma, c.beta, running_mean0, running_var0, C, N, c.eps);
    for (int ch = 0; ch < C; ch++)
        for (int i = 0; i < N; i++) {
            size_t k = (size_t)ch * N + i;
            CHECK_CLOSE(c.out[k],
                        (c.in[k] - running_mean0[ch]) / sqrt(running_var0[ch] + c.eps) * c.gamma[ch] + c.beta[ch],
                        EXACT_TOL);
        }

    /* gradients through the training-mode forward (batch statistics depend on the input) */
    batchnorm_loss(&c);
    Grad din = grad_new(n), dgamma = grad_new((size_t)C), dbeta = grad_new((size_t)C);
    batchnorm_backward(din.grad, dgamma.grad, dbeta.grad, c.R, c.in, c.gamma, c.saved_mean, c.saved_invstd, C, N);
    grad_finish(&din);
    grad_finish(&dgamma);
    grad_finish(&dbeta);
    record(label, "in", gradcheck(batchnorm_loss, &c, c.in, din.grad, n, FD_EPS, 0, &rng));
    record(label, "gamma", gradcheck(batchnorm_loss, &c, c.gamma, dgamma.grad, (size_t)C, FD_EPS, 0, &rng));
    record(label, "beta", gradcheck(batchnorm_loss, &c, c.beta, dbeta.grad, (size_t)C, FD_EPS, 0, &rng));
    grad_free(&din);
    grad_free(&dgamma);
    grad_free(&dbeta);
    free(running_mean0), free(running_var0);
    free(c.in), free(c.gamma), free(c.beta), free(c.out), free(c.R), free(c.saved_mean), free(c.saved_invstd);
    free(c.running_mean), free(c.running_var);
}

/* batch norm + ReLU in one op: the forward equals max(0, batchnorm) (training and evaluation), and the
 * gradients through it match finite differences */
static double batchnorm_relu_loss(void *p) {
    BatchnormCtx *c = p;
    batchnorm_relu_forward_train(c->out, c->saved_mean, c->saved_invstd, NULL, NULL, c->in, c->gamma, c->beta, c->C,
                                 c->N, c->momentum, c->eps);
    return dot_product(c->out, c->R, (size_t)c->C * c->N);
}

static void test_batchnorm_relu(const char *label, int C, int N) {
    const size_t n = (size_t)C * N;
    BatchnormCtx c = {random_tensor(n, 1.5), random_tensor((size_t)C, 0.3), random_tensor((size_t)C, 0.5),
                      test_alloc(n, sizeof(real)), random_tensor(n, 1.0), test_alloc((size_t)C, sizeof(real)),
                      test_alloc((size_t)C, sizeof(real)), NULL, NULL, C, N, 0.1, 1e-5};
    for (int i = 0; i < C; i++) c.gamma[i] += 1.0;
    real *plain = test_alloc(n, sizeof(real)), *mean = test_alloc((size_t)C, sizeof(real));
    real *invstd = test_alloc((size_t)C, sizeof(real)), *running_var = test_alloc((size_t)C, sizeof(real));
    batchnorm_forward_train(plain, mean, invstd, NULL, NULL, c.in, c.gamma, c.beta, C, N, c.momentum, c.eps);
    batchnorm_relu_loss(&c);
    int negatives = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(c.out[i] == (plain[i] > 0 ? plain[i] : 0));
        negatives += plain[i] < 0;
    }
    CHECK_MSG(negatives > 0 && negatives < (int)n, "%s: the ReLU should cut some outputs and keep others", label);
    fill_uniform(running_var, (size_t)C, 0.5, 2.0, &rng);
    batchnorm_forward_eval(plain, c.in, c.gamma, c.beta, mean, running_var, C, N, c.eps);
    batchnorm_relu_forward_eval(c.out, c.in, c.gamma, c.beta, mean, running_var, C, N, c.eps);
    for (size_t i = 0; i < n; i++) CHECK(c.out[i] == (plain[i] > 0 ? plain[i] : 0));

    batchnorm_relu_loss(&c);
    Grad din = grad_new(n), dgamma = grad_new((size_t)C), dbeta = grad_new((size_t)C);
    batchnorm_relu_backward(din.grad, dgamma.grad, dbeta.grad, c.R, c.out, c.in, c.gamma, c.saved_mean,
                            c.saved_invstd, C, N);
    grad_finish(&din);
    grad_finish(&dgamma);
    grad_finish(&dbeta);
    record(label, "in", gradcheck(batchnorm_relu_loss, &c, c.in, din.grad, n, FD_EPS, 0, &rng));
    record(label, "gamma", gradcheck(batchnorm_relu_loss, &c, c.gamma, dgamma.grad, (size_t)C, FD_EPS, 0, &rng));
    record(label, "beta", gradcheck(batchnorm_relu_loss, &c, c.beta, dbeta.grad, (size_t)C, FD_EPS, 0, &rng));
    grad_free(&din);
    grad_free(&dgamma);
    grad_free(&dbeta);
    free(plain), free(mean), free(invstd), free(running_var);
    free(c.in), free(c.gamma), free(c.beta), free(c.out), free(c.R), free(c.saved_mean), free(c.saved_invstd);
}

/* ================================ relu ================================ */

typedef struct {
    real *in, *out, *R;
    size_t n;
} UnaryCtx;

static double relu_loss(void *p) {
    UnaryCtx *c = p;
    relu_forward(c->out, c->in, c->n);
    return dot_product(c->out, c->R, c->n);
}

static void test_relu(void) {
    const size_t n = 97;
    UnaryCtx c = {test_alloc(n, sizeof(real)), test_alloc(n, sizeof(real)), random_tensor(n, 1.0), n};
    /* keep every input at least 0.05 away from the kink, so finite differences never straddle it */
    for (size_t i = 0; i < n; i++) {
        double sign = rng_uniform(&rng) < 0.5 ? -1 : 1;
        c.in[i] = (real)(sign * (0.05 + 2 * rng_uniform(&rng)));
    }
    relu_loss(&c);
    for (size_t i = 0; i < n; i++) CHECK(c.out[i] == (c.in[i] > 0 ? c.in[i] : 0));
    Grad din = grad_new(n);
    relu_backward(din.grad, c.R, c.out, n);
    grad_finish(&din);
    record("relu", "in", gradcheck(relu_loss, &c, c.in, din.grad, n, FD_EPS, 0, &rng));
    grad_free(&din);
    free(c.in), free(c.out), free(c.R);
}

/* ================================ pooling ================================ */

typedef struct {
    PoolShape s;
    real *in, *out, *R;
    uint8_t *argmax;
    bool max;
} PoolCtx;

static double pool_loss(void *p) {
    PoolCtx *c = p;
    if (c->max)
        maxpool_forward(c->out, c->argmax, c->in, &c->s);
    else
        avgpool_forward(c->out, c->in, &c->s);
    return dot_product(c->out, c->R, (size_t)c->s.planes * c->s.OH * c->s.OW);
}

static void test_pool(const char *label, bool max, int planes, int H, int W, int K, int stride, int pad, int OH,
                      int OW) {
    PoolCtx c = {.max = max};
    pool_shape_init(&c.s, planes, H, W, K, stride, pad);
    CHECK(c.s.OH == OH && c.s.OW == OW);
    const size_t in_n = (size_t)planes * H * W, out_n = (size_t)planes * c.s.OH * c.s.OW;
    c.in = test_alloc(in_n, sizeof(real));
    c.out = test_alloc(out_n, sizeof(real));
    c.R = random_tensor(out_n, 1.0);
    c.argmax = test_alloc(out_n, sizeof(uint8_t));
    /* tie-free input for max pooling: a random permutation of values 0.01 apart (far more than FD_EPS) */
    int32_t *order = test_alloc(in_n, sizeof(int32_t));
    for (size_t i = 0; i < in_n; i++) order[i] = (int32_t)i;
    rng_shuffle(&rng, order, (int)in_n);
    for (size_t i = 0; i < in_n; i++) c.in[i] = (real)(0.01 * (order[i] - (double)in_n / 2));
    free(order);
    pool_loss(&c);

    /* forward against a direct window scan (max: -inf padding, first maximum; avg: divide by K*K) */
    for (int p = 0; p < planes; p++)
        for (int oh = 0; oh < c.s.OH; oh++)
            for (int ow = 0; ow < c.s.OW; ow++) {
                double best = -INFINITY, sum = 0;
                int best_index = -1;
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++) {
                        int ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        double v = c.in[(size_t)p * H * W + (size_t)ih * W + iw];
                        sum += v;
                        if (v > best) best = v, best_index = ih * W + iw;
                    }
                size_t o = ((size_t)p * c.s.OH + oh) * c.s.OW + ow;
                if (max) {
                    CHECK(c.out[o] == best);
                    CHECK(maxpool_input_index(&c.s, (size_t)oh * c.s.OW + ow, c.argmax[o]) == best_index);
                } else {
                    CHECK_CLOSE(c.out[o], sum / (K * K), EXACT_TOL);
                }
            }

    Grad din = grad_new(in_n);
    if (max)
        maxpool_backward(din.grad, c.R, c.argmax, &c.s);
    else
        avgpool_backward(din.grad, c.R, &c.s);
    grad_finish(&din);
    record(label, "in", gradcheck(pool_loss, &c, c.in, din.grad, in_n, FD_EPS, 0, &rng));
    grad_free(&din);
    free(c.in), free(c.out), free(c.R), free(c.argmax);
}

/* First maximum wins on ties; argmax is the position within the window, the index within the plane through
 * maxpool_input_index. */
static void test_maxpool_ties(void) {
    PoolShape s;
    pool_shape_init(&s, 2, 2, 4, 2, 2, 0);
    const real in[16] = {1, 5, 2, 2, 5, 0, 2, 2, /* plane 0: ties 5/5 and 2/2/2/2 */
                         -3, -1, -7, -7, -1, -2, -7, -7};
    real out[4];
    uint8_t argmax[4];
    maxpool_forward(out, argmax, in, &s);
    CHECK(out[0] == 5 && argmax[0] == 1 && maxpool_input_index(&s, 0, argmax[0]) == 1);
    CHECK(out[1] == 2 && argmax[1] == 0 && maxpool_input_index(&s, 1, argmax[1]) == 2);
    CHECK(out[2] == -1 && argmax[2] == 1 && maxpool_input_index(&s, 0, argmax[2]) == 1);
    CHECK(out[3] == -7 && argmax[3] == 0 && maxpool_input_index(&s, 1, argmax[3]) == 2);
}

/* ================================ global average pool ================================ */

typedef struct {
    real *in, *out, *R;
    int C, B, HW;
} SpatialCtx;

static double global_avgpool_loss(void *p) {
    SpatialCtx *c = p;
    global_avgpool_forward(c->out, c->in, c->C, c->B, c->HW);
    return dot_product(c->out, c->R, (size_t)c->B * c->C);
}

static void test_global_avgpool(void) {
    const int C = 3, B = 2, HW = 10;
    const size_t in_n = (size_t)C * B * HW;
    SpatialCtx c = {random_tensor(in_n, 1.0), test_alloc((size_t)B * C, sizeof(real)),
                    random_tensor((size_t)B * C, 1.0), C, B, HW};
    global_avgpool_loss(&c);
    for (int ch = 0; ch < C; ch++)
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int i = 0; i < HW; i++) sum += c.in[((size_t)ch * B + b) * HW + i];
            CHECK_CLOSE(c.out[(size_t)b * C + ch], sum / HW, EXACT_TOL);
        }
    Grad din = grad_new(in_n);
    global_avgpool_backward(din.grad, c.R, C, B, HW);
    grad_finish(&din);
    record("global_avgpool", "in", gradcheck(global_avgpool_loss, &c, c.in, din.grad, in_n, FD_EPS, 0, &rng));
    grad_free(&din);
    free(c.in), free(c.out), free(c.R);
}

/* ================================ flatten ================================ */

static double flatten_loss(void *p) {
    SpatialCtx *c = p;
    flatten_forward(c->out, c->in, c->C, c->B, c->HW);
    return dot_product(c->out, c->R, (size_t)c->C * c->B * c->HW);
}

static void test_flatten(void) {
    const int C = 3, B = 2, HW = 4;
    const size_t n = (size_t)C * B * HW;
    SpatialCtx c = {random_tensor(n, 1.0), test_alloc(n, sizeof(real)), random_tensor(n, 1.0), C, B, HW};
    flatten_loss(&c);
    for (int ch = 0; ch < C; ch++)
        for (int b = 0; b < B; b++)
            for (int i = 0; i < HW; i++)
                CHECK(c.out[(size_t)b * C * HW + (size_t)ch * HW + i] == c.in[((size_t)ch * B + b) * HW + i]);
    Grad din = grad_new(n);
    flatten_backward(din.grad, c.R, C, B, HW);
    grad_finish(&din);
    record("flatten", "in", gradcheck(flatten_loss, &c, c.in, din.grad, n, FD_EPS, 0, &rng));
    grad_free(&din);
    free(c.in), free(c.out), free(c.R);
}

/* ================================ add ================================ */

typedef struct {
    real *a, *b, *out, *R;
    size_t n;
    bool relu; /* add_relu_*: out = max(0, a + b) */
} AddCtx;

static double add_loss(void *p) {
    AddCtx *c = p;
    if (c->relu)
        add_relu_forward(c->out, c->a, c->b, c->n);
    else
        add_forward(c->out, c->a, c->b, c->n);
    return dot_product(c->out, c->R, c->n);
}

/* add, and add + ReLU in one op (max(0, a + b); the ReLU must cut some outputs and keep others) */
static void test_add(const char *label, bool relu) {
    const size_t n = 40;
    AddCtx c = {random_tensor(n, 1), random_tensor(n, 1), test_alloc(n, sizeof(real)), random_tensor(n, 1), n, relu};
    add_loss(&c);
    int cut = 0;
    for (size_t i = 0; i < n; i++) {
        const real sum = c.a[i] + c.b[i];
        CHECK(c.out[i] == (relu && !(sum > 0) ? 0 : sum));
        cut += relu && c.out[i] == 0;
    }
    if (relu) CHECK_MSG(cut > 0 && cut < (int)n, "%s: the ReLU should cut some outputs and keep others", label);
    Grad da = grad_new(n), db = grad_new(n);
    if (relu)
        add_relu_backward(da.grad, db.grad, c.R, c.out, n);
    else
        add_backward(da.grad, db.grad, c.R, n);
    grad_finish(&da);
    grad_finish(&db);
    record(label, "a", gradcheck(add_loss, &c, c.a, da.grad, n, FD_EPS, 0, &rng));
    record(label, "b", gradcheck(add_loss, &c, c.b, db.grad, n, FD_EPS, 0, &rng));
    grad_free(&da);
    grad_free(&db);
    free(c.a), free(c.b), free(c.out), free(c.R);
}

/* ================================ dropout ================================ */

typedef struct {
    real *in, *out, *mask, *R;
    size_t n;
    real p;
    uint64_t seed;
} DropoutCtx;

/* Reseeds every time, so each evaluation draws the same mask and L is a smooth function of the input. */
static double dropout_loss(void *p) {
    DropoutCtx *c = p;
    Rng dropout_rng;
    rng_seed(&dropout_rng, c->seed);
    dropout_forward(c->out, c->mask, c->in, c->n, c->p, &dropout_rng);
    return dot_product(c->out, c->R, c->n);
}

static void test_dropout(void) {
    const size_t n = 4000;
    DropoutCtx c = {random_tensor(n, 1), test_alloc(n, sizeof(real)), test_alloc(n, sizeof(real)),
                    random_tensor(n, 1), n, 0.3, 1234};
    dropout_loss(&c);
    size_t dropped = 0;
    bool values_ok = true;
    for (size_t i = 0; i < n; i++) {
        if (c.mask[i] == 0)
            dropped++;
        else if (fabs(c.mask[i] - 1.0 / 0.7) > EXACT_TOL)
            values_ok = false;
        if (c.out[i] != c.in[i] * c.mask[i]) values_ok = false;
    }
    CHECK(values_ok);
    CHECK_MSG(fabs((double)dropped / n - 0.3) < 0.03, "dropped %zu of %zu at p = 0.3", dropped, n);

    Grad din = grad_new(n);
    dropout_backward(din.grad, c.R, c.mask, n);
    grad_finish(&din);
    record("dropout", "in", gradcheck(dropout_loss, &c, c.in, din.grad, n, FD_EPS, 500, &rng));
    grad_free(&din);

    /* p = 0: identity mask, output equal to the input */
    Rng zero_rng;
    rng_seed(&zero_rng, 99);
    dropout_forward(c.out, c.mask, c.in, n, 0, &zero_rng);
    bool identity = true;
    for (size_t i = 0; i < n; i++) identity = identity && c.mask[i] == 1 && c.out[i] == c.in[i];
    CHECK(identity);
    free(c.in), free(c.out), free(c.mask), free(c.R);
}

/* ================================ shortcut_pad ================================ */

typedef struct {
    real *in, *out, *R;
    int B, C, H, W, OC, stride;
    size_t out_n;
} ShortcutCtx;

static double shortcut_loss(void *p) {
    ShortcutCtx *c = p;
    shortcut_pad_forward(c->out, c->in, c->B, c->C, c->H, c->W, c->OC, c->stride);
    return dot_product(c->out, c->R, c->out_n);
}

static void test_shortcut(const char *label, int B, int C, int H, int W, int OC, int stride) {
    const int OH = (H + stride - 1) / stride, OW = (W + stride - 1) / stride, front = (OC - C) / 2;
    const size_t in_n = (size_t)C * B * H * W;
    ShortcutCtx c = {random_tensor(in_n, 1), NULL, NULL, B, C, H, W, OC, stride, (size_t)OC * B * OH * OW};
    c.out = test_alloc(c.out_n, sizeof(real));
    c.R = random_tensor(c.out_n, 1);
    for (size_t i = 0; i < c.out_n; i++) c.out[i] = NAN; /* every output must be written */
    shortcut_loss(&c);
    for (int o = 0; o < OC; o++)
        for (int b = 0; b < B; b++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    int ch = o - front;
                    real expected = ch >= 0 && ch < C
                                        ? c.in[(((size_t)ch * B + b) * H + oh * stride) * W + ow * stride]
                                        : 0;
                    CHECK(c.out[(((size_t)o * B + b) * OH + oh) * OW + ow] == expected);
                }
    Grad din = grad_new(in_n);
    shortcut_pad_backward(din.grad, c.R, B, C, H, W, OC, stride);
    grad_finish(&din);
    record(label, "in", gradcheck(shortcut_loss, &c, c.in, din.grad, in_n, FD_EPS, 0, &rng));
    grad_free(&din);
    free(c.in), free(c.out), free(c.R);
}

/* ================================ softmax cross-entropy ================================ */

typedef struct {
    real *logits, *probs;
    int32_t *labels;
    int B, K;
    real smoothing;
} XentCtx;

static double xent_loss(void *p) {
    XentCtx *c = p;
    return softmax_xent_forward(c->probs, c->logits, c->labels, c->B, c->K, c->smoothing);
}

/* The loss by the textbook formula -sum_k t_k log(softmax(x)_k), no tricks (inputs are small). */
static double hand_xent(const real *logits, const int32_t *labels, int B, int K, double smoothing) {
    double total = 0;
    for (int b = 0; b < B; b++) {
        double z = 0;
        for (int k = 0; k < K; k++) z += exp(logits[b * K + k]);
        for (int k = 0; k < K; k++) {
            double target = (k == labels[b] ? 1 - smoothing : 0) + smoothing / K;
            total -= target * log(exp(logits[b * K + k]) / z);
        }
    }
    return total / B;
}

static void test_softmax_xent(const char *label, real smoothing) {
    const int B = 4, K = 5;
    XentCtx c = {random_tensor((size_t)B * K, 2.0), test_alloc((size_t)B * K, sizeof(real)),
                 test_alloc((size_t)B, sizeof(int32_t)), B, K, smoothing};
    for (int b = 0; b < B; b++) c.labels[b] = (int32_t)rng_below(&rng, (uint32_t)K);
    double loss = xent_loss(&c);
    CHECK_CLOSE(loss, hand_xent(c.logits, c.labels, B, K, smoothing), EXACT_TOL);
    for (int b = 0; b < B; b++) {
        double sum = 0;
        for (int k = 0; k < K; k++) sum += c.probs[b * K + k];
        CHECK_CLOSE(sum, 1.0, EXACT_TOL);
    }
    Grad dlogits = grad_new((size_t)B * K);
    softmax_xent_backward(dlogits.grad, c.probs, c.labels, B, K, smoothing);
    grad_finish(&dlogits);
    record(label, "logits", gradcheck(xent_loss, &c, c.logits, dlogits.grad, (size_t)B * K, FD_EPS, 0, &rng));
    grad_free(&dlogits);
    free(c.logits), free(c.probs), free(c.labels);
}

/* A worked example, and logits large enough that a naive exp() would overflow. */
static void test_softmax_xent_values(void) {
    const real logits[6] = {1, 2, 3, 0.5, -1, 2};
    const int32_t labels[2] = {2, 0};
    real probs[6];
    /* sample 0: log Z = log(e + e^2 + e^3) = 3.40760596444438; loss = log Z - 3
     * sample 1: log Z = log(e^0.5 + e^-1 + e^2) = 2.24131565...; loss = log Z - 0.5 */
    const double log_z0 = log(exp(1.0) + exp(2.0) + exp(3.0)), log_z1 = log(exp(0.5) + exp(-1.0) + exp(2.0));
    CHECK_CLOSE(log_z0, 3.40760596444438, 1e-13);
    double loss = softmax_xent_forward(probs, logits, labels, 2, 3, 0);
    CHECK_CLOSE(loss, ((log_z0 - 3) + (log_z1 - 0.5)) / 2, EXACT_TOL);
    CHECK_CLOSE(probs[0], exp(1 - log_z0), EXACT_TOL);
    /* smoothing 0.3: loss_b = log Z - 0.7 x_y - 0.1 sum_k x_k */
    loss = softmax_xent_forward(probs, logits, labels, 2, 3, 0.3);
    CHECK_CLOSE(loss, ((log_z0 - 0.7 * 3 - 0.1 * 6) + (log_z1 - 0.7 * 0.5 - 0.1 * 1.5)) / 2, EXACT_TOL);
    /* gradient of the first sample's labelled logit: (p - (0.7 + 0.1)) / 2 */
    real dlogits[6] = {0};
    softmax_xent_backward(dlogits, probs, labels, 2, 3, 0.3);
    CHECK_CLOSE(dlogits[2], (exp(3 - log_z0) - 0.8) / 2, EXACT_TOL);
    CHECK_CLOSE(dlogits[0], (exp(1 - log_z0) - 0.1) / 2, EXACT_TOL);

    const real huge[3] = {1000, 1001, 999};
    const int32_t one[1] = {1};
    loss = softmax_xent_forward(probs, huge, one, 1, 3, 0);
    CHECK(isfinite(loss));
    CHECK_CLOSE(loss, log(exp(-1.0) + 1 + exp(-2.0)), EXACT_TOL);
    CHECK(isfinite(probs[0]) && isfinite(probs[1]) && isfinite(probs[2]));
}

int main(void) {
    rng_seed(&rng, 20240917);
    printf("gradient checks (double, eps %.0e, relative tolerance %.0e)\n", FD_EPS, GRAD_TOL);

    test_linear("linear", 4, 7, 5, true);
    test_linear("linear no-bias", 3, 6, 4, false);
    test_linear("linear wide (bias column blocks)", 3, 5, 150, true);
    test_linear_accumulates();

    test_conv("conv2d 3x3 s1 p1", 3, 3, 6, 6, 4, 3, 3, 1, 1, true, 0, false);
    test_conv("conv2d 3x3 s2 p1", 3, 2, 7, 7, 3, 3, 3, 2, 1, true, 0, false);
    test_conv("conv2d 5x5 s1 p0", 2, 2, 8, 8, 3, 5, 5, 1, 0, true, 0, false);
    test_conv("conv2d 1x1 s1 (fast path)", 3, 4, 5, 5, 6, 1, 1, 1, 0, true, 0, false);
    test_conv("conv2d 1x1 s2", 3, 4, 6, 6, 5, 1, 1, 2, 0, true, 0, false);
    test_conv("conv2d 3x3 s1 p1 H!=W", 3, 2, 5, 8, 3, 3, 3, 1, 1, true, 0, false);
    test_conv("conv2d 3x5 s2 p2 H!=W no-bias", 2, 2, 9, 6, 3, 3, 5, 2, 2, false, 0, false);
    /* 256*5*5 x 16*16 reals of im2col per image: 2 images per 4M-real chunk, so 3 images span 2 chunks, the
     * second one partial. Few outputs per patch keeps L (and its rounding noise) small. */
    test_conv("conv2d 5x5 s1 p2 chunked", 3, 256, 16, 16, 2, 5, 5, 1, 2, true, 60, true);
    test_conv_accumulates(3, 1, 1);
    test_conv_accumulates(3, 2, 1);
    test_conv_accumulates(1, 1, 0);

    test_batchnorm("batchnorm", 3, 20, 3.0, 2.0);
    test_batchnorm("batchnorm small-N", 2, 4, -1.0, 0.5);
    test_batchnorm_relu("batchnorm+relu", 3, 20);

    test_relu();

    test_pool("maxpool k2 s2", true, 6, 6, 6, 2, 2, 0, 3, 3);
    test_pool("maxpool k3 s2 p1", true, 6, 7, 5, 3, 2, 1, 4, 3);
    test_maxpool_ties();
    test_pool("avgpool k2 s2", false, 6, 6, 6, 2, 2, 0, 3, 3);
    test_pool("avgpool k3 s1 p1", false, 4, 5, 6, 3, 1, 1, 5, 6);
    test_pool("avgpool k3 s2 p1", false, 4, 7, 5, 3, 2, 1, 4, 3);

    test_global_avgpool();
    test_flatten();
    test_add("add", false);
    test_add("add+relu", true);
    test_dropout();

    test_shortcut("shortcut_pad s2", 2, 2, 5, 6, 4, 2);
    test_shortcut("shortcut_pad s2 odd", 3, 3, 4, 4, 8, 2);
    test_shortcut("shortcut_pad s1", 2, 2, 3, 3, 4, 1);

    test_softmax_xent("softmax_xent", 0);
    test_softmax_xent("softmax_xent smoothing", 0.1);
    test_softmax_xent_values();

    printf("max relative gradient error per op:\n");
    for (int i = 0; i < summary_count; i++)
        printf("  %-16s %.2e over %zu entries\n", summaries[i].op, summaries[i].max_error, summaries[i].checked);
    return check_report("test_ops_gradcheck");
}

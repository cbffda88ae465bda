/* Forward (and backward) values of the float engine (cohort_trainer) against direct double-precision
 * references written out loop by loop: conv2d against a naive convolution, linear against a naive matrix
 * product (and batch norm over flat tensors against the channel form on the transpose), over the same shapes as the gradient checks plus a realistic ResNet-sized layer. Agreement within
 * 1e-4 (relative, floored at 1) shows the float build computes the same function as the double one that the
 * gradient checks validated. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <omp.h>

#include "check.h"
#include "gradcheck.h"
#include "model_builder.h"
#include "naive_ops.h"
#include "ops.h"
#include "ops/conv2d_panels.h"

_Static_assert(sizeof(real) == sizeof(float), "test_ops_reference must link the float engine");

#define FLOAT_TOL 1e-4

static Rng rng;

/* Random normal values in float, for the engine only. */
static real *random_reals(size_t n, double scale) {
    real *x = test_alloc(n, sizeof(real));
    fill_normal(x, n, scale, &rng);
    return x;
}

/* Random values in float for the engine and the same values in double for the reference. */
static real *random_pair(double **as_double, size_t n, double scale) {
    real *x = random_reals(n, scale);
    *as_double = test_alloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) (*as_double)[i] = x[i];
    return x;
}

/* the larger of two errors, NaN once either is NaN (fmax would drop it, and a NaN result would pass) */
static double worse_error(double worst, double e) { return isnan(worst) || isnan(e) ? NAN : fmax(worst, e); }
/* |a - b| / max(1, |b|) */
static double error_at(real a, double b) { return fabs((double)a - b) / fmax(1.0, fabs(b)); }
static double max_error(const real *a, const double *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = worse_error(worst, error_at(a[i], b[i]));
    return worst;
}

static void test_conv_rect_slots(const char *label, int B, int C, int H, int W, int OC, int KH, int KW, int stride,
                                 int pad_h, int pad_w, bool with_bias, int slots) {
    ConvShape s;
    conv_shape_init_rect(&s, B, C, H, W, OC, KH, KW, stride, pad_h, pad_w);
    s.slots = slots;
    const NaiveConv n = naive_conv_rect(B, C, H, W, OC, KH, KW, stride, pad_h, pad_w);
    const size_t in_n = (size_t)C * B * H * W, w_n = (size_t)OC * C * KH * KW, out_n = (size_t)OC * B * n.OH * n.OW;
    double *in_d, *w_d, *b_d = NULL, *dout_d;
    /* weights scaled as He initialisation would, so outputs are O(1) whatever the fan-in */
    real *in = random_pair(&in_d, in_n, 1.0), *w = random_pair(&w_d, w_n, sqrt(2.0 / (C * KH * KW)));
    real *bias = with_bias ? random_pair(&b_d, (size_t)OC, 0.5) : NULL;
    real *dout = random_pair(&dout_d, out_n, 1.0);
    real *out = test_alloc(out_n, sizeof(real));
    real *workspace = test_alloc(conv2d_workspace_size(&s) + 1, sizeof(real));
    double *expected = test_alloc(out_n, sizeof(double));

    conv2d_forward(out, in, w, bias, &s, workspace);
    naive_conv2d_forward(expected, in_d, w_d, b_d, &n);
    const double forward_error = max_error(out, expected, out_n);
    CHECK_MSG(forward_error <= FLOAT_TOL, "%s forward error %.3e", label, forward_error);

    real *din = test_alloc(in_n, sizeof(real)), *dw = test_alloc(w_n, sizeof(real));
    real *db = test_alloc((size_t)OC, sizeof(real));
    double *ref_din = test_alloc(in_n, sizeof(double)), *ref_dw = test_alloc(w_n, sizeof(double));
    double *ref_db = test_alloc((size_t)OC, sizeof(double));
    conv2d_backward(din, dw, db, dout, in, w, &s, workspace);
    naive_conv2d_backward(ref_din, ref_dw, ref_db, dout_d, in_d, w_d, &n);
    /* dweight and dbias sum over the whole batch, so compare them relative to their own magnitude */
    double dw_scale = 1, db_scale = 1;
    for (size_t i = 0; i < w_n; i++) dw_scale = fmax(dw_scale, fabs(ref_dw[i]));
    for (int i = 0; i < OC; i++) db_scale = fmax(db_scale, fabs(ref_db[i]));
    double din_error = max_error(din, ref_din, in_n), dw_error = 0, db_error = 0;
    for (size_t i = 0; i < w_n; i++) dw_error = worse_error(dw_error, fabs(dw[i] - ref_dw[i]) / dw_scale);
    for (int i = 0; i < OC; i++) db_error = worse_error(db_error, fabs(db[i] - ref_db[i]) / db_scale);
    CHECK_MSG(din_error <= FLOAT_TOL, "%s din error %.3e", label, din_error);
    CHECK_MSG(dw_error <= FLOAT_TOL, "%s dweight error %.3e", label, dw_error);
    CHECK_MSG(db_error <= FLOAT_TOL, "%s dbias error %.3e", label, db_error);
    printf("  %-32s forward %.1e  din %.1e  dweight %.1e  dbias %.1e  (%d images per chunk)\n", label, forward_error,
           din_error, dw_error, db_error, conv2d_chunk_images(&s));

    free(in), free(in_d), free(w), free(w_d), free(bias), free(b_d), free(dout), free(dout_d), free(out);
    free(workspace), free(expected), free(din), free(dw), free(db), free(ref_din), free(ref_dw), free(ref_db);
}

/* Depthwise convolution (weight [C][1][KH][KW]) against direct double sums, on both of its float paths: the
 * vector planes (AVX-512, output planes of whole 16-pixel vectors: stride-1 'same' and stride 2, 3x3 and 5x5
 * filters) and the row kernels (a 7x7 plane, a 2x2 output plane). The input gradient is added into values already there. */
static void test_depthwise(const char *label, int B, int C, int H, int W, int K, int stride, int pad) {
    ConvShape s;
    conv_shape_init(&s, B, C, H, W, C, K, K, stride, pad);
    const int OH = s.OH, OW = s.OW;
    const size_t in_n = (size_t)C * B * H * W, w_n = (size_t)C * K * K, out_n = (size_t)C * B * OH * OW;
    double *in_d, *w_d, *b_d, *dout_d, *din0_d;
    real *in = random_pair(&in_d, in_n, 1.0), *w = random_pair(&w_d, w_n, 0.3), *bias = random_pair(&b_d, C, 0.5);
    real *dout = random_pair(&dout_d, out_n, 1.0), *din = random_pair(&din0_d, in_n, 1.0);
    real *out = test_alloc(out_n, sizeof(real)), *dw = test_alloc(w_n, sizeof(real));
    real *db = test_alloc((size_t)C, sizeof(real));
    double *expected = test_alloc(out_n, sizeof(double)), *ref_dw = test_alloc(w_n, sizeof(double));
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const size_t o = (((size_t)c * B + b) * OH + oh) * OW + ow;
                    double sum = b_d[c];
                    for (int kh = 0; kh < K; kh++)
                        for (int kw = 0; kw < K; kw++) {
                            const int ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            const size_t x = (((size_t)c * B + b) * H + ih) * W + iw, t = (size_t)c * K * K + kh * K + kw;
                            sum += w_d[t] * in_d[x];
                            din0_d[x] += dout_d[o] * w_d[t];
                            ref_dw[t] += dout_d[o] * in_d[x];
                        }
                    expected[o] = sum;
                }
    depthwise_conv_forward(out, in, w, bias, &s);
    depthwise_conv_backward(din, dw, db, dout, in, w, &s);
    double dw_scale = 1;
    for (size_t i = 0; i < w_n; i++) dw_scale = fmax(dw_scale, fabs(ref_dw[i]));
    double dw_error = 0;
    for (size_t i = 0; i < w_n; i++) dw_error = worse_error(dw_error, fabs(dw[i] - ref_dw[i]) / dw_scale);
    const double forward_error = max_error(out, expected, out_n), din_error = max_error(din, din0_d, in_n);
    CHECK_MSG(forward_error <= FLOAT_TOL, "%s forward error %.3e", label, forward_error);
    CHECK_MSG(din_error <= FLOAT_TOL, "%s din error %.3e", label, din_error);
    CHECK_MSG(dw_error <= FLOAT_TOL, "%s dweight error %.3e", label, dw_error);
    printf("  %-32s forward %.1e  din %.1e  dweight %.1e\n", label, forward_error, din_error, dw_error);
    free(in), free(in_d), free(w), free(w_d), free(bias), free(b_d), free(dout), free(dout_d), free(din);
    free(din0_d), free(out), free(dw), free(db), free(expected), free(ref_dw);
}

static void test_conv_slots(const char *label, int B, int C, int H, int W, int OC, int KH, int KW, int stride,
                            int pad, bool with_bias, int slots) {
    test_conv_rect_slots(label, B, C, H, W, OC, KH, KW, stride, pad, pad, with_bias, slots);
}

static void test_conv(const char *label, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad,
                      bool with_bias) {
    test_conv_slots(label, B, C, H, W, OC, KH, KW, stride, pad, with_bias, 1);
}

/* Rectangular kernels and padding (Inception-v3's 1x7 / 7x1 with padding (0, 3) / (3, 0), 1x3 / 3x1 with (0, 1) /
 * (1, 0)) on every path: the parallel chunks (small filters) with the input gradient as a convolution of dout
 * ('same' at stride 1) or by col2im, the large-filter chunks, the AVX-512 panels (forward, weight and input
 * gradients of 'same' stride-1 shapes, stride 2 with 16-pixel output rows), and shapes whose rows are 'valid'
 * and columns 'same' (OW == W, OH < H: the shifted-row im2col) or that the panels must not take. */
static void test_conv_rect(void) {
    const struct {
        const char *label;
        int B, C, H, W, OC, KH, KW, stride, pad_h, pad_w;
        int panels; /* on an AVX-512 CPU: 1 the forward runs on panels, 0 it must not */
    } cases[] = {
        {"conv2d 1x7 (0,3) 17x17 chunks", 3, 6, 17, 17, 8, 1, 7, 1, 0, 3, 0},
        {"conv2d 7x1 (3,0) 17x17 chunks", 3, 6, 17, 17, 8, 7, 1, 1, 3, 0, 0},
        {"conv2d 1x3 (0,1) 5x7 chunks", 4, 5, 5, 7, 6, 1, 3, 1, 0, 1, 0},
        {"conv2d 3x1 (1,0) 7x5 chunks", 4, 5, 7, 5, 6, 3, 1, 1, 1, 0, 0},
        {"conv2d panels 1x7 (0,3) 16->16 8x8", 3, 16, 8, 8, 16, 1, 7, 1, 0, 3, 1},
        {"conv2d panels 7x1 (3,0) 16->32 8x8", 3, 16, 8, 8, 32, 7, 1, 1, 3, 0, 1},
        {"conv2d panels 1x3 (0,1) 8->16 8x8", 3, 8, 8, 8, 16, 1, 3, 1, 0, 1, 1},
        {"conv2d panels 3x1 (1,0) 8->16 4x12", 5, 8, 4, 12, 16, 3, 1, 1, 1, 0, 1},
        {"conv2d panels 1x7 (0,3) 8->16 5x16", 2, 8, 5, 16, 16, 1, 7, 1, 0, 3, 1},
        {"conv2d panels s2 3x1 (1,0) 8->16 32x32", 2, 8, 32, 32, 16, 3, 1, 2, 1, 0, 1},
        {"conv2d panels s2 1x3 (0,1) 8->16 16x16", 3, 8, 16, 16, 16, 1, 3, 2, 0, 1, 1},
        {"conv2d large 1x3 (0,1) 64->384 8x8", 2, 64, 8, 8, 384, 1, 3, 1, 0, 1, 1},
        {"conv2d large 3x1 (1,0) 64->384 8x8", 2, 64, 8, 8, 384, 3, 1, 1, 1, 0, 1},
        {"conv2d large 7x1 (3,0) 64->192 17x17", 2, 64, 17, 17, 192, 7, 1, 1, 3, 0, 0},
        {"conv2d 3x3 (0,1) 16->16 8x8 rows valid", 3, 16, 8, 8, 16, 3, 3, 1, 0, 1, 0},
        {"conv2d 3x3 (1,0) 16->16 8x8 cols valid", 3, 16, 8, 8, 16, 3, 3, 1, 1, 0, 0},
        {"conv2d 1x7 (0,0) 16->16 8x14 valid", 3, 16, 8, 14, 16, 1, 7, 1, 0, 0, 0},
        {"conv2d 5x3 (2,1) s1 16->16 8x8", 3, 16, 8, 8, 16, 5, 3, 1, 2, 1, 1},
        {"conv2d 3x5 (0,2) s2 4->8 9x11", 3, 4, 9, 11, 8, 3, 5, 2, 0, 2, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ConvShape s;
        conv_shape_init_rect(&s, cases[i].B, cases[i].C, cases[i].H, cases[i].W, cases[i].OC, cases[i].KH,
                             cases[i].KW, cases[i].stride, cases[i].pad_h, cases[i].pad_w);
        if (ops_cpu_has_avx512())
            CHECK_MSG(conv_panels_apply(&s) == (cases[i].panels == 1), "%s: the panel path %s it", cases[i].label,
                      conv_panels_apply(&s) ? "takes" : "does not take");
        test_conv_rect_slots(cases[i].label, cases[i].B, cases[i].C, cases[i].H, cases[i].W, cases[i].OC, cases[i].KH,
                             cases[i].KW, cases[i].stride, cases[i].pad_h, cases[i].pad_w, i % 2 == 0, 2);
    }
}

/* The error of an input gradient written with GRAD_WRITE (over NaN, by `backward`) against the naive one alone:
 * the naive linear's input gradient over `rows` rows, added into zeros. */
static double written_input_grad_error(const real *written, const double *dout_d, const double *in_d,
                                       const double *w_d, int rows, int IN, int OUT) {
    double *din_d = test_alloc((size_t)rows * IN, sizeof(double));
    double *dweight_scratch = test_alloc((size_t)OUT * IN, sizeof(double));
    double *dbias_scratch = test_alloc((size_t)OUT, sizeof(double));
    naive_linear_backward(din_d, dweight_scratch, dbias_scratch, dout_d, in_d, w_d, rows, IN, OUT);
    const double error = max_error(written, din_d, (size_t)rows * IN);
    free(din_d), free(dweight_scratch), free(dbias_scratch);
    return error;
}

static real *nan_filled(size_t n) {
    real *x = test_alloc(n, sizeof(real));
    for (size_t i = 0; i < n; i++) x[i] = NAN;
    return x;
}

static void test_linear(const char *label, int B, int IN, int OUT, bool with_bias) {
    double *in_d, *w_d, *b_d = NULL;
    real *in = random_pair(&in_d, (size_t)B * IN, 1.0), *w = random_pair(&w_d, (size_t)OUT * IN, sqrt(1.0 / IN));
    real *bias = with_bias ? random_pair(&b_d, (size_t)OUT, 0.5) : NULL;
    real *out = test_alloc((size_t)B * OUT, sizeof(real));
    double *expected = test_alloc((size_t)B * OUT, sizeof(double));
    linear_forward(out, in, w, bias, B, IN, OUT);
    naive_linear_forward(expected, in_d, w_d, b_d, B, IN, OUT);
    const double error = max_error(out, expected, (size_t)B * OUT);
    CHECK_MSG(error <= FLOAT_TOL, "%s forward error %.3e", label, error);
    for (int i = 0; i < B * OUT; i++) CHECK_CLOSE(out[i], expected[i], FLOAT_TOL);
    /* the three gradients, added into buffers that are not zero, over every row whatever the tiles */
    double *dout_d, *din_d, *dweight_d, *dbias_d;
    real *dout = random_pair(&dout_d, (size_t)B * OUT, 1.0), *din = random_pair(&din_d, (size_t)B * IN, 1.0);
    real *dweight = random_pair(&dweight_d, (size_t)OUT * IN, 1.0), *dbias = random_pair(&dbias_d, (size_t)OUT, 1.0);
    real *workspace = test_alloc(linear_workspace_size(B, IN, OUT), sizeof(real)); /* bias sums, weight slots */
    linear_backward(din, GRAD_ADD, dweight, dbias, dout, in, w, B, IN, OUT, workspace);
    /* GRAD_WRITE: the input gradient alone, written over NaN */
    real *din_written = nan_filled((size_t)B * IN);
    linear_backward(din_written, GRAD_WRITE, NULL, NULL, dout, in, w, B, IN, OUT, workspace);
    free(workspace);
    const double written_error = written_input_grad_error(din_written, dout_d, in_d, w_d, B, IN, OUT);
    CHECK_MSG(written_error <= FLOAT_TOL, "%s din written (GRAD_WRITE) error %.3e", label, written_error);
    free(din_written);
    /* the same sums in double, added into the same starting values */
    naive_linear_backward(din_d, dweight_d, dbias_d, dout_d, in_d, w_d, B, IN, OUT);
    const double din_error = max_error(din, din_d, (size_t)B * IN);
    const double dweight_error = max_error(dweight, dweight_d, (size_t)OUT * IN);
    const double dbias_error = max_error(dbias, dbias_d, (size_t)OUT);
    CHECK_MSG(din_error <= FLOAT_TOL, "%s din error %.3e", label, din_error);
    CHECK_MSG(dweight_error <= FLOAT_TOL, "%s dweight error %.3e", label, dweight_error);
    CHECK_MSG(dbias_error <= FLOAT_TOL, "%s dbias error %.3e", label, dbias_error);
    printf("  %-32s forward %.1e  din %.1e  dweight %.1e  dbias %.1e\n", label, error, din_error, dweight_error,
           dbias_error);
    free(in), free(in_d), free(w), free(w_d), free(bias), free(b_d), free(out), free(expected);
    free(dout), free(dout_d), free(din), free(din_d), free(dbias), free(dbias_d), free(dweight), free(dweight_d);
}

/* linear_add_forward: residual + linear, against the naive linear plus the residual in double */
static void test_linear_add(const char *label, int B, int IN, int OUT, bool with_bias) {
    double *in_d, *w_d, *b_d = NULL, *res_d;
    real *in = random_pair(&in_d, (size_t)B * IN, 1.0), *w = random_pair(&w_d, (size_t)OUT * IN, sqrt(1.0 / IN));
    real *bias = with_bias ? random_pair(&b_d, (size_t)OUT, 0.5) : NULL;
    real *residual = random_pair(&res_d, (size_t)B * OUT, 1.0);
    real *out = test_alloc((size_t)B * OUT, sizeof(real));
    double *expected = test_alloc((size_t)B * OUT, sizeof(double));
    linear_add_forward(out, in, w, bias, residual, B, IN, OUT);
    naive_linear_forward(expected, in_d, w_d, b_d, B, IN, OUT);
    for (size_t i = 0; i < (size_t)B * OUT; i++) expected[i] += res_d[i];
    const double error = max_error(out, expected, (size_t)B * OUT);
    CHECK_MSG(error <= FLOAT_TOL, "%s error %.3e", label, error);
    printf("  %-32s error %.1e\n", label, error);
    free(in), free(in_d), free(w), free(w_d), free(bias), free(b_d), free(residual), free(res_d), free(out);
    free(expected);
}

/* linear_first_token_*: over B samples of T tokens, the first `lead` outputs for each sample's first token only.
 * The entries it computes match the naive linear in double; the others are neither written (the output keeps a
 * marker) nor read (dout holds NaN there, which would reach every gradient). Bit for bit the same on 1, 2 and 3
 * threads. */
static void test_linear_first_token(const char *label, int B, int T, int IN, int OUT, int lead) {
    const int rows = B * T;
    const real marker = 12345;
    double *in_d, *w_d, *b_d, *dout_d, *din_d, *dweight_d, *dbias_d;
    real *in = random_pair(&in_d, (size_t)rows * IN, 1.0), *w = random_pair(&w_d, (size_t)OUT * IN, sqrt(1.0 / IN));
    real *bias = random_pair(&b_d, (size_t)OUT, 0.5), *dout = random_pair(&dout_d, (size_t)rows * OUT, 1.0);
    double *expected = test_alloc((size_t)rows * OUT, sizeof(double));
    naive_linear_forward(expected, in_d, w_d, b_d, rows, IN, OUT);
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < lead && r % T > 0; o++) {
            dout[(size_t)r * OUT + o] = NAN;
            dout_d[(size_t)r * OUT + o] = 0; /* the reference: no gradient reaches the entries never computed */
        }
    real *din = random_pair(&din_d, (size_t)rows * IN, 1.0), *dweight = random_pair(&dweight_d, (size_t)OUT * IN, 1.0);
    real *dbias = random_pair(&dbias_d, (size_t)OUT, 1.0);
    naive_linear_backward(din_d, dweight_d, dbias_d, dout_d, in_d, w_d, rows, IN, OUT);
    real *workspace = test_alloc(linear_workspace_size(rows, IN, OUT), sizeof(real));
    const size_t sizes[4] = {(size_t)rows * OUT, (size_t)rows * IN, (size_t)OUT * IN, (size_t)OUT};
    real *start[4] = {NULL, din, dweight, dbias}, *first[4] = {NULL}, *results[4];
    int mismatches = 0;
    for (int threads = 1; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (int k = 0; k < 4; k++) {
            results[k] = test_alloc(sizes[k], sizeof(real));
            if (start[k]) memcpy(results[k], start[k], sizes[k] * sizeof(real)); /* gradients add into these */
        }
        for (size_t i = 0; i < sizes[0]; i++) results[0][i] = marker;
        linear_first_token_forward(results[0], in, w, bias, B, T, IN, OUT, lead);
        linear_first_token_backward(results[1], GRAD_ADD, results[2], results[3], dout, in, w, B, T, IN, OUT, lead,
                                    workspace);
        for (int k = 0; k < 4; k++) {
            if (!first[k])
                first[k] = results[k];
            else {
                mismatches += memcmp(first[k], results[k], sizes[k] * sizeof(real)) != 0;
                free(results[k]);
            }
        }
    }
    omp_set_num_threads(2);
    CHECK_MSG(mismatches == 0, "%s: %d results differ between 1, 2 and 3 threads", label, mismatches);
    double error = 0;
    int written = 0;
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < OUT; o++) {
            const size_t i = (size_t)r * OUT + o;
            if (o < lead && r % T > 0)
                written += first[0][i] != marker;
            else
                error = worse_error(error, error_at(first[0][i], expected[i]));
        }
    CHECK_MSG(error <= FLOAT_TOL, "%s forward error %.3e", label, error);
    CHECK_MSG(written == 0, "%s: %d outputs written that only the first token needs", label, written);
    const double din_error = max_error(first[1], din_d, sizes[1]);
    const double dweight_error = max_error(first[2], dweight_d, sizes[2]);
    const double dbias_error = max_error(first[3], dbias_d, sizes[3]);
    CHECK_MSG(din_error <= FLOAT_TOL, "%s din error %.3e", label, din_error);
    CHECK_MSG(dweight_error <= FLOAT_TOL, "%s dweight error %.3e", label, dweight_error);
    CHECK_MSG(dbias_error <= FLOAT_TOL, "%s dbias error %.3e", label, dbias_error);
    /* GRAD_WRITE: the input gradient alone, written over NaN */
    real *din_written = nan_filled(sizes[1]);
    linear_first_token_backward(din_written, GRAD_WRITE, NULL, NULL, dout, in, w, B, T, IN, OUT, lead, workspace);
    const double written_error = written_input_grad_error(din_written, dout_d, in_d, w_d, rows, IN, OUT);
    CHECK_MSG(written_error <= FLOAT_TOL, "%s din written (GRAD_WRITE) error %.3e", label, written_error);
    free(din_written);
    printf("  %-32s forward %.1e  din %.1e (written %.1e)  dweight %.1e  dbias %.1e\n", label, error, din_error,
           written_error, dweight_error, dbias_error);
    for (int k = 0; k < 4; k++) free(first[k]);
    free(in), free(in_d), free(w), free(w_d), free(bias), free(b_d), free(dout), free(dout_d), free(expected);
    free(din), free(din_d), free(dweight), free(dweight_d), free(dbias), free(dbias_d), free(workspace);
}

/* The parameter gradients are bit for bit the same with or without an input gradient (the bias and weight sums
 * share the input gradient's row-chunk loop when there is one). Their independence of the thread count is
 * test_thread_invariance's. */
static void test_linear_grads_without_input_grad(int B, int IN, int OUT) {
    real *in = random_reals((size_t)B * IN, 1.0), *w = random_reals((size_t)OUT * IN, 0.3);
    real *dout = random_reals((size_t)B * OUT, 1.0), *din = test_alloc((size_t)B * IN, sizeof(real));
    real *workspace = test_alloc(linear_workspace_size(B, IN, OUT), sizeof(real));
    real *dw_with = test_alloc((size_t)OUT * IN, sizeof(real)), *db_with = test_alloc((size_t)OUT, sizeof(real));
    real *dw_alone = test_alloc((size_t)OUT * IN, sizeof(real)), *db_alone = test_alloc((size_t)OUT, sizeof(real));
    linear_backward(din, GRAD_ADD, dw_with, db_with, dout, in, w, B, IN, OUT, workspace);
    linear_backward(NULL, GRAD_ADD, dw_alone, db_alone, dout, in, w, B, IN, OUT, workspace);
    CHECK(db_with[0] != 0);
    CHECK_MSG(memcmp(db_alone, db_with, (size_t)OUT * sizeof(real)) == 0 &&
                  memcmp(dw_alone, dw_with, (size_t)OUT * IN * sizeof(real)) == 0,
              "linear %d rows: the parameter gradients differ without an input gradient", B);
    printf("  linear %4d x %4d -> %-4d parameter gradients equal with and without din\n", B, IN, OUT);
    free(in), free(w), free(dout), free(din), free(workspace), free(dw_with), free(db_with), free(dw_alone),
        free(db_alone);
}

/* ReLU run in place (input, output and their gradients sharing buffers, as models arrange for BN -> ReLU)
 * gives exactly the gradient of the out-of-place op with a zeroed input gradient. */
static void test_relu_in_place(void) {
    const size_t n = 100000; /* above OPS_PARALLEL_MIN: the threaded loop */
    real *x = random_reals(n, 1.0);
    real *g = random_reals(n, 1.0);
    real *out = test_alloc(n, sizeof(real)), *din = test_alloc(n, sizeof(real));
    relu_forward(out, x, n);
    relu_backward(din, g, out, n);
    relu_forward(x, x, n);  /* in place */
    relu_backward(g, g, x, n); /* in place: g holds d/d(output) on entry */
    int mismatches = 0;
    for (size_t i = 0; i < n; i++) mismatches += x[i] != out[i] || g[i] != din[i] || (out[i] <= 0 && g[i] != 0);
    CHECK_MSG(mismatches == 0, "relu in place: %d of %zu values differ from the out-of-place op", mismatches, n);
    printf("  %-32s in place equals out of place\n", "relu");
    free(x), free(g), free(out), free(din);
}

/* A residual add whose input gradient is its output gradient's own buffer (the gradient plan's hand-over):
 * add_backward leaves that input's gradient as it is and adds only into the other; add_relu_backward masks it in
 * place. Either input may be the in-place one, or both (one shared region). Same values as the out-of-place op
 * into a zeroed gradient. */
static void test_add_in_place(void) {
    const size_t n = 100000; /* above OPS_PARALLEL_MIN: the threaded loop */
    real *a = random_reals(n, 1.0), *b = random_reals(n, 1.0), *dout = random_reals(n, 1.0);
    real *out = test_alloc(n, sizeof(real)), *shared = test_alloc(n, sizeof(real));
    real *expect_in = test_alloc(n, sizeof(real)), *expect_other = test_alloc(n, sizeof(real));
    real *other = test_alloc(n, sizeof(real));
    add_relu_forward(out, a, b, n);
    for (int relu = 0; relu < 2; relu++)
        for (int in_place = 0; in_place < 3; in_place++) { /* a, b, or both (they share the region) */
            for (size_t i = 0; i < n; i++) {
                expect_in[i] = 0; /* the out-of-place op's gradient for the in-place input starts from zero */
                expect_other[i] = other[i] = (real)(i % 7) * 0.25f;
            }
            memcpy(shared, dout, n * sizeof(real));
            if (relu) add_relu_backward(expect_in, expect_other, dout, out, n);
            else add_backward(expect_in, expect_other, dout, n);
            real *da = in_place == 1 ? other : shared, *db = in_place == 0 ? other : shared;
            if (relu) add_relu_backward(da, db, shared, out, n);
            else add_backward(da, db, shared, n);
            int mismatches = 0;
            for (size_t i = 0; i < n; i++)
                mismatches += shared[i] != expect_in[i] || (in_place < 2 && other[i] != expect_other[i]);
            CHECK_MSG(mismatches == 0, "%s, %s in place: %d of %zu values differ from the out-of-place op",
                      relu ? "add+relu" : "add", in_place == 0 ? "a" : in_place == 1 ? "b" : "a and b", mismatches, n);
        }
    printf("  %-32s in place equals out of place\n", "add, add+relu");
    free(a), free(b), free(dout), free(out), free(shared), free(expect_in), free(expect_other), free(other);
}

/* GELU (both forms) and dropout backward with din == dout: the same values as into a zeroed din */
static void test_gelu_dropout_in_place(void) {
    const size_t n = 100000;
    real *x = random_reals(n, 2.0), *dout = random_reals(n, 1.0), *mask = test_alloc(n, sizeof(real));
    real *expected = test_alloc(n, sizeof(real)), *shared = test_alloc(n, sizeof(real));
    for (size_t i = 0; i < n; i++) mask[i] = i % 3 ? 1.25f : 0;
    for (int op = 0; op < 3; op++) {
        memset(expected, 0, n * sizeof(real));
        memcpy(shared, dout, n * sizeof(real));
        if (op < 2) {
            gelu_backward(expected, dout, x, n, op == 1);
            gelu_backward(shared, shared, x, n, op == 1);
        } else {
            dropout_backward(expected, dout, mask, n);
            dropout_backward(shared, shared, mask, n);
        }
        int mismatches = 0;
        for (size_t i = 0; i < n; i++) mismatches += shared[i] != expected[i];
        const char *name = op == 0 ? "gelu (erf)" : op == 1 ? "gelu (tanh)" : "dropout";
        CHECK_MSG(mismatches == 0, "%s in place: %d of %zu values differ from the out-of-place op", name, mismatches, n);
        CHECK_MSG(expected[1] != 0 && expected[1] != dout[1], "%s: the gradient was not transformed", name);
        printf("  %-32s in place equals out of place\n", name);
    }
    free(x), free(dout), free(mask), free(expected), free(shared);
}

/* batch norm + ReLU as one op (the AVX-512 gated sums where the CPU has them) equals batch norm, then the
 * ReLU in place, bit for bit: forward output, input gradient, gamma and beta gradients */
static void test_batchnorm_relu_fused(int C, int N) {
    const size_t n = (size_t)C * N;
    real *x = random_reals(n, 2.0);
    real *dy = random_reals(n, 1.0);
    real gamma[8], beta[8], mean[8], invstd[8], dgamma[2][8] = {{0}}, dbeta[2][8] = {{0}};
    for (int c = 0; c < C; c++) gamma[c] = 1.0f + 0.1f * c, beta[c] = 0.2f * c - 0.3f;
    real *fused = test_alloc(n, sizeof(real)), *plain = test_alloc(n, sizeof(real));
    real *din_fused = test_alloc(n, sizeof(real)), *din_plain = test_alloc(n, sizeof(real));
    real *dy_plain = test_alloc(n, sizeof(real));
    memcpy(dy_plain, dy, n * sizeof(real));
    batchnorm_relu_forward_train(fused, mean, invstd, NULL, NULL, x, gamma, beta, C, N, 0.1f, 1e-5f);
    batchnorm_relu_backward(din_fused, dgamma[0], dbeta[0], dy, fused, x, gamma, mean, invstd, C, N);
    batchnorm_forward_train(plain, mean, invstd, NULL, NULL, x, gamma, beta, C, N, 0.1f, 1e-5f);
    relu_forward(plain, plain, n);
    relu_backward(dy_plain, dy_plain, plain, n);
    batchnorm_backward(din_plain, dgamma[1], dbeta[1], dy_plain, x, gamma, mean, invstd, C, N);
    int mismatches = 0;
    for (size_t i = 0; i < n; i++) mismatches += fused[i] != plain[i] || din_fused[i] != din_plain[i];
    for (int c = 0; c < C; c++) mismatches += dgamma[0][c] != dgamma[1][c] || dbeta[0][c] != dbeta[1][c];
    CHECK_MSG(mismatches == 0, "batchnorm+relu %dx%d: %d values differ from batchnorm then relu", C, N, mismatches);
    /* in place (din == dout, the gradient plan's hand-over): the same input gradient as into a zeroed din */
    real *shared = test_alloc(n, sizeof(real)), dgamma_in_place[8] = {0}, dbeta_in_place[8] = {0};
    int in_place_mismatches = 0;
    for (int fused_op = 0; fused_op < 2; fused_op++) {
        memcpy(shared, fused_op ? dy : dy_plain, n * sizeof(real));
        if (fused_op)
            batchnorm_relu_backward(shared, dgamma_in_place, dbeta_in_place, shared, fused, x, gamma, mean, invstd, C,
                                    N);
        else
            batchnorm_backward(shared, dgamma_in_place, dbeta_in_place, shared, x, gamma, mean, invstd, C, N);
        for (size_t i = 0; i < n; i++) in_place_mismatches += shared[i] != (fused_op ? din_fused : din_plain)[i];
    }
    CHECK_MSG(in_place_mismatches == 0, "batchnorm (+relu) %dx%d in place: %d values differ", C, N,
              in_place_mismatches);
    printf("  batchnorm+relu %dx%-5d %-14s equals batchnorm, then relu; in place too\n", C, N, "");
    free(x), free(dy), free(fused), free(plain), free(din_fused), free(din_plain), free(dy_plain), free(shared);
}

/* Batch norm over a flat [B][F] tensor (BatchNorm1d) against the channel form on its transpose [F][B] (the same
 * function, summed in another order: within FLOAT_TOL): training forward with the ReLU, running statistics,
 * input, gamma and beta gradients, and the evaluation forward. Then, bit for bit: fused with the ReLU equals
 * batch norm then the ReLU in place, and the backward in place (din == dout) equals the one into a zeroed din. */
static void test_batchnorm1d(int B, int F) {
    const size_t n = (size_t)B * F;
    real *x = random_reals(n, 2.0), *dy = random_reals(n, 1.0);
    for (size_t i = 0; i < n; i++) x[i] += 3.0f; /* a mean well away from 0 */
    real *gamma = test_alloc((size_t)F, sizeof(real)), *beta = test_alloc((size_t)F, sizeof(real));
    for (int f = 0; f < F; f++) gamma[f] = 1.0f + 0.01f * (f % 50), beta[f] = 0.02f * (f % 30) - 0.3f;
    real *xt = test_alloc(n, sizeof(real)), *dyt = test_alloc(n, sizeof(real));
    for (int b = 0; b < B; b++)
        for (int f = 0; f < F; f++) {
            xt[(size_t)f * B + b] = x[(size_t)b * F + f];
            dyt[(size_t)f * B + b] = dy[(size_t)b * F + f];
        }
    real *saved[2], *running[2], *grads[2], *out[2], *din[2], *eval[2];
    for (int k = 0; k < 2; k++) {
        saved[k] = test_alloc(2 * (size_t)F, sizeof(real));
        running[k] = test_alloc(2 * (size_t)F, sizeof(real));
        grads[k] = test_alloc(2 * (size_t)F, sizeof(real));
        out[k] = test_alloc(n, sizeof(real));
        din[k] = test_alloc(n, sizeof(real));
        eval[k] = test_alloc(n, sizeof(real));
        for (int f = 0; f < F; f++) running[k][F + f] = 1; /* running var starts at 1 */
    }
    batchnorm1d_forward_train(out[0], saved[0], saved[0] + F, running[0], running[0] + F, x, gamma, beta, B, F, 0.1f,
                              1e-5f, true);
    batchnorm1d_backward(din[0], grads[0], grads[0] + F, dy, out[0], x, gamma, saved[0], saved[0] + F, B, F);
    batchnorm1d_forward_eval(eval[0], x, gamma, beta, running[0], running[0] + F, B, F, 1e-5f, false);
    batchnorm_relu_forward_train(out[1], saved[1], saved[1] + F, running[1], running[1] + F, xt, gamma, beta, F, B,
                                 0.1f, 1e-5f);
    batchnorm_relu_backward(din[1], grads[1], grads[1] + F, dyt, out[1], xt, gamma, saved[1], saved[1] + F, F, B);
    batchnorm_forward_eval(eval[1], xt, gamma, beta, running[1], running[1] + F, F, B, 1e-5f);
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int f = 0; f < F; f++) {
            const size_t i = (size_t)b * F + f, t = (size_t)f * B + b;
            worst = worse_error(worst, fabs(out[0][i] - out[1][t]) / fmax(1, fabs(out[1][t])));
            worst = worse_error(worst, fabs(din[0][i] - din[1][t]) / fmax(1, fabs(din[1][t])));
            worst = worse_error(worst, fabs(eval[0][i] - eval[1][t]) / fmax(1, fabs(eval[1][t])));
        }
    for (int i = 0; i < 2 * F; i++) {
        worst = worse_error(worst, fabs(running[0][i] - running[1][i]) / fmax(1, fabs(running[1][i])));
        worst = worse_error(worst, fabs(grads[0][i] - grads[1][i]) / fmax(1, fabs(grads[1][i])));
    }
    CHECK_MSG(worst <= FLOAT_TOL, "batchnorm1d %dx%d: %.3e from the channel form on the transpose", B, F, worst);

    /* fused == plain then ReLU, and in place == into a zeroed din, bit for bit */
    real *plain = test_alloc(n, sizeof(real)), *dy_plain = test_alloc(n, sizeof(real));
    real *din_plain = test_alloc(n, sizeof(real)), *shared = test_alloc(n, sizeof(real));
    real *plain_grads = test_alloc(2 * (size_t)F, sizeof(real));
    real *in_place_grads = test_alloc(2 * (size_t)F, sizeof(real));
    memcpy(dy_plain, dy, n * sizeof(real));
    batchnorm1d_forward_train(plain, saved[1], saved[1] + F, NULL, NULL, x, gamma, beta, B, F, 0.1f, 1e-5f, false);
    relu_forward(plain, plain, n);
    relu_backward(dy_plain, dy_plain, plain, n);
    batchnorm1d_backward(din_plain, plain_grads, plain_grads + F, dy_plain, NULL, x, gamma, saved[1], saved[1] + F, B,
                         F);
    memcpy(shared, dy, n * sizeof(real));
    batchnorm1d_backward(shared, in_place_grads, in_place_grads + F, shared, out[0], x, gamma, saved[0], saved[0] + F,
                         B, F);
    int mismatches = memcmp(saved[0], saved[1], 2 * (size_t)F * sizeof(real)) != 0;
    for (size_t i = 0; i < n; i++)
        mismatches += plain[i] != out[0][i] || din_plain[i] != din[0][i] || shared[i] != din[0][i];
    for (int i = 0; i < 2 * F; i++) mismatches += plain_grads[i] != grads[0][i] || in_place_grads[i] != grads[0][i];
    CHECK_MSG(mismatches == 0, "batchnorm1d %dx%d: %d values differ between fused, plain and in place", B, F,
              mismatches);
    printf("  batchnorm1d %4dx%-4d %-13s %.1e from the channel form; fused and in place bit-identical\n", B, F, "",
           worst);
    free(x), free(dy), free(gamma), free(beta), free(xt), free(dyt), free(plain), free(dy_plain), free(din_plain);
    free(plain_grads), free(in_place_grads), free(shared);
    for (int k = 0; k < 2; k++) {
        free(saved[k]), free(running[k]), free(grads[k]);
        free(out[k]), free(din[k]), free(eval[k]);
    }
}

/* add + ReLU as one op equals add, then the ReLU in place, bit for bit (threaded sizes) */
static void test_add_relu_fused(void) {
    const size_t n = 100000;
    real *a = random_reals(n, 1.0);
    real *b = random_reals(n, 1.0);
    real *dy = random_reals(n, 1.0);
    real *fused = test_alloc(n, sizeof(real)), *plain = test_alloc(n, sizeof(real));
    real *dy_plain = test_alloc(n, sizeof(real));
    real *grads[4];
    for (int i = 0; i < 4; i++) grads[i] = test_alloc(n, sizeof(real));
    memcpy(dy_plain, dy, n * sizeof(real));
    add_relu_forward(fused, a, b, n);
    add_relu_backward(grads[0], grads[1], dy, fused, n);
    add_forward(plain, a, b, n);
    relu_forward(plain, plain, n);
    relu_backward(dy_plain, dy_plain, plain, n);
    add_backward(grads[2], grads[3], dy_plain, n);
    int mismatches = 0;
    for (size_t i = 0; i < n; i++)
        mismatches += fused[i] != plain[i] || grads[0][i] != grads[2][i] || grads[1][i] != grads[3][i];
    CHECK_MSG(mismatches == 0, "add+relu: %d of %zu values differ from add then relu", mismatches, n);
    printf("  %-32s equals add, then relu\n", "add+relu");
    free(a), free(b), free(dy), free(fused), free(plain), free(dy_plain);
    for (int i = 0; i < 4; i++) free(grads[i]);
}

/* max pooling against windows scanned value by value: the first maximum wins (row-major), a NaN wins over any
 * number, argmax is the index in the input plane. 2x2 stride 2 is VGG's (an AVX-512 path where the CPU has
 * it): output rows of 1 to 24 values (masked vector tails) and an odd input size (its last row and column
 * unused); 3x3 stride 2 with padding runs the general loop. */
static void test_maxpool(int planes, int H, int W, int K, int stride, int pad) {
    PoolShape s;
    pool_shape_init(&s, planes, H, W, K, stride, pad);
    const size_t in_n = (size_t)planes * H * W, out_n = (size_t)planes * s.OH * s.OW;
    real *x = random_reals(in_n, 1.0);
    for (size_t i = 0; i < in_n; i++) x[i] = roundf(2 * x[i]) / 2; /* coarse values: many ties in a window */
    for (size_t i = 3; i < in_n; i += 37) x[i] = NAN;
    real *out = test_alloc(out_n, sizeof(real));
    uint8_t *argmax = test_alloc(out_n, sizeof(uint8_t));
    maxpool_forward(out, argmax, x, &s);
    int mismatches = 0;
    for (int p = 0; p < planes; p++)
        for (int oh = 0; oh < s.OH; oh++)
            for (int ow = 0; ow < s.OW; ow++) {
                const real *plane = x + (size_t)p * H * W;
                int best = -1;
                for (int ih = oh * stride - pad; ih < oh * stride - pad + K; ih++)
                    for (int iw = ow * stride - pad; iw < ow * stride - pad + K; iw++) {
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        const int i = ih * W + iw;
                        if (best < 0 || plane[i] > plane[best] || (isnan(plane[i]) && !isnan(plane[best]))) best = i;
                    }
                const size_t o = ((size_t)p * s.OH + oh) * s.OW + ow;
                const bool same_value = isnan(plane[best]) ? isnan(out[o]) : out[o] == plane[best];
                mismatches += maxpool_input_index(&s, (size_t)oh * s.OW + ow, argmax[o]) != best || !same_value;
            }
    CHECK_MSG(mismatches == 0, "maxpool %dx%d s%d p%d on %dx%d: %d of %zu outputs differ", K, K, stride, pad, H, W,
              mismatches, out_n);
    printf("  maxpool %dx%d s%d p%d %2dx%-2d %-10s value and argmax equal\n", K, K, stride, pad, H, W, "");
    free(x), free(out), free(argmax);
}

/* Pooling with ceil_mode against PyTorch: output sizes (hand-checked, and as torch.nn.functional's max_pool2d
 * reports them), values of small planes computed by PyTorch 1.13, and a direct window scan written from
 * PyTorch's kernels (max over the window's elements inside the input; average divided by the window's
 * extent up to H + pad, padding included) over random planes. */
static void naive_pool_ceil(double *out, int32_t *argmax, const real *x, const PoolShape *s, bool max) {
    for (int p = 0; p < s->planes; p++)
        for (int oh = 0; oh < s->OH; oh++)
            for (int ow = 0; ow < s->OW; ow++) {
                const int hstart = oh * s->stride - s->pad, wstart = ow * s->stride - s->pad;
                const int hend = hstart + s->K < s->H + s->pad ? hstart + s->K : s->H + s->pad;
                const int wend = wstart + s->K < s->W + s->pad ? wstart + s->K : s->W + s->pad;
                const int divisor = (hend - hstart) * (wend - wstart);
                double sum = 0, best = -INFINITY;
                int best_index = -1;
                for (int ih = hstart; ih < hstart + s->K; ih++)
                    for (int iw = wstart; iw < wstart + s->K; iw++) {
                        if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W) continue;
                        const double v = x[((size_t)p * s->H + ih) * s->W + iw];
                        sum += v;
                        if (best_index < 0 || v > best) best = v, best_index = ih * s->W + iw;
                    }
                const size_t o = ((size_t)p * s->OH + oh) * s->OW + ow;
                out[o] = max ? best : sum / divisor;
                if (argmax) argmax[o] = best_index;
            }
}

static void test_pool_ceil_sizes(void) {
    /* {size, K, stride, pad, output}: SqueezeNet's 111 -> 55, GoogLeNet's 112 -> 56 and 56 -> 28, AlexNet-style
     * 3x3 s2 over 6 -> 3, 2x2 s2 over 7 -> 4; 7 with 2x2 s2 pad 1 and 9 with 2x2 s3 round up to 5 and 4,
     * and lose that last window (it would start in the right padding or past the input); floor equals ceil
     * when the windows tile exactly */
    const int cases[][5] = {{111, 3, 2, 0, 55}, {112, 3, 2, 0, 56}, {56, 3, 2, 0, 28}, {6, 3, 2, 0, 3},
                            {7, 2, 2, 0, 4},    {8, 3, 2, 1, 5},    {7, 2, 2, 1, 4},  {9, 2, 3, 0, 3},
                            {5, 2, 2, 1, 3},    {2, 1, 2, 0, 1},    {32, 2, 2, 0, 16}, {147, 3, 2, 0, 73},
                            {35, 3, 2, 0, 17},  {14, 3, 1, 1, 14}};
    const int floor_of[] = {55, 55, 27, 2, 3, 4, 4, 3, 3, 1, 16, 73, 17, 14};
    int wrong = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        const int got = pool_output_size(c[0], c[1], c[2], c[3], true);
        const int floor_got = pool_output_size(c[0], c[1], c[2], c[3], false);
        CHECK_MSG(got == c[4], "ceil-mode pool %d k%d s%d p%d: %d outputs, PyTorch has %d", c[0], c[1], c[2], c[3],
                  got, c[4]);
        CHECK_MSG(floor_got == floor_of[i], "floor pool %d k%d s%d p%d: %d outputs, PyTorch has %d", c[0], c[1],
                  c[2], c[3], floor_got, floor_of[i]);
        wrong += got != c[4] || floor_got != floor_of[i];
    }
    PoolShape s;
    pool_shape_init_mode(&s, 1, 111, 112, 3, 2, 0, true);
    CHECK(s.OH == 55 && s.OW == 56 && s.ceil_mode);
    printf("  pool output sizes, ceil mode       %s\n", wrong ? "DIFFER" : "as PyTorch's");
}

static void test_pool_ceil_torch_values(void) {
    /* x = arange(36) as one 6x6 plane; avg_pool2d(x, 3, 2, 1, ceil_mode=True) * 36 and
     * avg_pool2d(x, 3, 2, 0, ceil_mode=True) * 36 from PyTorch */
    real x[36];
    for (int i = 0; i < 36; i++) x[i] = (real)i;
    const double avg_pad1[16] = {56, 120, 168, 96, 300, 504, 576, 306, 588, 936, 1008, 522, 366, 576, 612, 315};
    const double avg_pad0[9] = {252, 324, 378, 684, 756, 810, 1008, 1080, 1134};
    PoolShape s;
    real out[16];
    int bad = 0;
    pool_shape_init_mode(&s, 1, 6, 6, 3, 2, 1, true);
    CHECK(s.OH == 4 && s.OW == 4);
    avgpool_forward(out, x, &s);
    for (int i = 0; i < 16; i++) bad += fabs(out[i] - avg_pad1[i] / 36) > 1e-5;
    pool_shape_init_mode(&s, 1, 6, 6, 3, 2, 0, true);
    CHECK(s.OH == 3 && s.OW == 3);
    avgpool_forward(out, x, &s);
    for (int i = 0; i < 9; i++) bad += fabs(out[i] - avg_pad0[i] / 36) > 1e-5;
    /* y = arange(36) * 7 % 11 as a 6x6 plane: max_pool2d(y, 3, 2, 0, ceil_mode=True, return_indices=True) */
    const real max_values[9] = {10, 10, 9, 10, 10, 9, 10, 9, 9};
    const int32_t max_indices[9] = {14, 3, 17, 14, 14, 17, 25, 28, 28};
    for (int i = 0; i < 36; i++) x[i] = (real)(i * 7 % 11);
    uint8_t argmax[9];
    maxpool_forward(out, argmax, x, &s);
    for (int i = 0; i < 9; i++)
        bad += out[i] != max_values[i] || maxpool_input_index(&s, (size_t)i, argmax[i]) != max_indices[i];
    CHECK_MSG(bad == 0, "ceil-mode pooling: %d values differ from PyTorch's", bad);
    printf("  pool ceil mode 6x6 planes          %s\n", bad ? "DIFFER" : "equal PyTorch's values");
}

static void test_pool_ceil(bool max, int planes, int H, int W, int K, int stride, int pad) {
    PoolShape s;
    pool_shape_init_mode(&s, planes, H, W, K, stride, pad, true);
    const size_t in_n = (size_t)planes * H * W, out_n = (size_t)planes * s.OH * s.OW;
    real *x = random_reals(in_n, 1.0);
    real *out = test_alloc(out_n, sizeof(real)), *dout = random_reals(out_n, 1.0);
    real *din = test_alloc(in_n, sizeof(real));
    double *expected = test_alloc(out_n, sizeof(double)), *expected_din = test_alloc(in_n, sizeof(double));
    uint8_t *argmax = test_alloc(out_n, sizeof(uint8_t));
    int32_t *expected_argmax = test_alloc(out_n, sizeof(int32_t));
    naive_pool_ceil(expected, expected_argmax, x, &s, max);
    int argmax_mismatches = 0;
    if (max) {
        maxpool_forward(out, argmax, x, &s);
        maxpool_backward(din, dout, argmax, &s);
        for (size_t o = 0; o < out_n; o++) {
            argmax_mismatches += maxpool_input_index(&s, o % ((size_t)s.OH * s.OW), argmax[o]) != expected_argmax[o];
            expected_din[(size_t)(o / ((size_t)s.OH * s.OW)) * H * W + (size_t)expected_argmax[o]] += dout[o];
        }
    } else {
        avgpool_forward(out, x, &s);
        avgpool_backward(din, dout, &s);
        /* the adjoint of the naive average: each window's input elements get dout / divisor */
        for (int p = 0; p < planes; p++)
            for (int oh = 0; oh < s.OH; oh++)
                for (int ow = 0; ow < s.OW; ow++) {
                    const int hstart = oh * stride - pad, wstart = ow * stride - pad;
                    const int hend = hstart + K < H + pad ? hstart + K : H + pad;
                    const int wend = wstart + K < W + pad ? wstart + K : W + pad;
                    const double g = dout[((size_t)p * s.OH + oh) * s.OW + ow] / ((hend - hstart) * (wend - wstart));
                    for (int ih = hstart; ih < hstart + K; ih++)
                        for (int iw = wstart; iw < wstart + K; iw++)
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                expected_din[((size_t)p * H + ih) * W + iw] += g;
                }
    }
    const double forward_error = max_error(out, expected, out_n), din_error = max_error(din, expected_din, in_n);
    CHECK_MSG(forward_error <= FLOAT_TOL && din_error <= FLOAT_TOL && argmax_mismatches == 0,
              "%s pool %dx%d s%d p%d ceil on %dx%d: forward %.1e, din %.1e, %d argmax differ", max ? "max" : "avg", K,
              K, stride, pad, H, W, forward_error, din_error, argmax_mismatches);
    printf("  %s pool %dx%d s%d p%d ceil %3dx%-3d -> %dx%d forward %.1e  din %.1e\n", max ? "max" : "avg", K, K, stride,
           pad, H, W, s.OH, s.OW, forward_error, din_error);
    free(x), free(out), free(dout), free(din), free(expected), free(expected_din), free(argmax), free(expected_argmax);
}

/* Adaptive average pooling against PyTorch: bins from PyTorch's start_index/end_index (floor(i H / OH) and
 * 1 + ((i+1) H - 1) / OH), values of small planes computed by PyTorch 1.13, and the identity and replication
 * ends bit for bit. */
static int torch_start_index(int a, int b, int c) { return (a / b) * c + ((a % b) * c) / b; }
static int torch_end_index(int a, int b, int c) { return 1 + ((a + 1) * c - 1) / b; }

static void test_adaptive_avgpool(int planes, int H, int W, int OH, int OW) {
    const size_t in_n = (size_t)planes * H * W, out_n = (size_t)planes * OH * OW;
    real *x = random_reals(in_n, 1.0), *dout = random_reals(out_n, 1.0);
    real *out = test_alloc(out_n, sizeof(real)), *din = test_alloc(in_n, sizeof(real));
    double *expected = test_alloc(out_n, sizeof(double)), *expected_din = test_alloc(in_n, sizeof(double));
    for (int p = 0; p < planes; p++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                const int h0 = torch_start_index(oh, OH, H), h1 = torch_end_index(oh, OH, H);
                const int w0 = torch_start_index(ow, OW, W), w1 = torch_end_index(ow, OW, W);
                const size_t o = ((size_t)p * OH + oh) * OW + ow;
                double sum = 0;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) sum += x[((size_t)p * H + ih) * W + iw];
                expected[o] = sum / ((h1 - h0) * (w1 - w0));
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++)
                        expected_din[((size_t)p * H + ih) * W + iw] += dout[o] / ((h1 - h0) * (w1 - w0));
            }
    adaptive_avgpool_forward(out, x, planes, H, W, OH, OW);
    adaptive_avgpool_backward(din, dout, planes, H, W, OH, OW);
    const double forward_error = max_error(out, expected, out_n), din_error = max_error(din, expected_din, in_n);
    CHECK_MSG(forward_error <= FLOAT_TOL && din_error <= FLOAT_TOL,
              "adaptive avgpool %dx%d -> %dx%d: forward %.1e, din %.1e", H, W, OH, OW, forward_error, din_error);
    int exact_mismatches = 0; /* the identity, and a 1x1 input replicated, are exact copies */
    if (OH == H && OW == W)
        for (size_t i = 0; i < in_n; i++) exact_mismatches += out[i] != x[i] || din[i] != dout[i];
    if (H == 1 && W == 1)
        for (size_t i = 0; i < out_n; i++) exact_mismatches += out[i] != x[i / ((size_t)OH * OW)];
    CHECK_MSG(exact_mismatches == 0, "adaptive avgpool %dx%d -> %dx%d: %d values not copied exactly", H, W, OH, OW,
              exact_mismatches);
    printf("  adaptive avgpool %2dx%-2d -> %dx%d     forward %.1e  din %.1e\n", H, W, OH, OW, forward_error, din_error);
    free(x), free(dout), free(out), free(din), free(expected), free(expected_din);
}

static void test_adaptive_avgpool_torch_values(void) {
    /* adaptive_avg_pool2d(arange(35) as 5x7, (2, 3)) * 36 and adaptive_avg_pool2d(arange(6) as 2x3, (5, 4)) * 36 */
    const double to_2x3[6] = {288, 360, 432, 792, 864, 936};
    const double to_5x4[20] = {0, 18, 54, 72, 0, 18, 54, 72, 54, 72, 108, 126, 108, 126, 162, 180, 108, 126, 162, 180};
    real x[35], out[20];
    int bad = 0;
    for (int i = 0; i < 35; i++) x[i] = (real)i;
    adaptive_avgpool_forward(out, x, 1, 5, 7, 2, 3);
    for (int i = 0; i < 6; i++) bad += fabs(out[i] - to_2x3[i] / 36) > 1e-5;
    adaptive_avgpool_forward(out, x, 1, 2, 3, 5, 4);
    for (int i = 0; i < 20; i++) bad += fabs(out[i] - to_5x4[i] / 36) > 1e-5;
    CHECK_MSG(bad == 0, "adaptive average pooling: %d values differ from PyTorch's", bad);
    printf("  adaptive avgpool 5x7, 2x3 planes   %s\n", bad ? "DIFFER" : "equal PyTorch's values");
}

/* The new layers as a model builds them: output shapes, parameters and forward FLOPs (`cohort models --plan`
 * prints the same). 3x13x13 -> 1x7 convolution padding (0, 3) with bias -> 2x13x13 -> max pool 3x3 s2 ceil ->
 * 2x6x6 -> adaptive average pool -> 2x7x7 -> flatten -> linear 98 -> 3. */
static void test_layer_accounting(void) {
    Model *m = test_alloc(1, sizeof *m);
    snprintf(m->name, sizeof m->name, "new layers");
    ModelBuilder mb;
    builder_start(&mb, m, 3, 13, 13);
    const int conv = builder_conv_rect(&mb, builder_input(&mb), 2, 1, 7, 1, 0, 3, true);
    const int pooled = builder_maxpool_ceil(&mb, conv, 3, 2, 0);
    const int adaptive = builder_adaptive_avgpool(&mb, pooled, 7, 7);
    const int logits = builder_linear(&mb, builder_flatten(&mb, adaptive), 3, true);
    char err[ERR_LEN];
    if (builder_finish(&mb, logits, 2, 1, err)) {
        CHECK_MSG(false, "new layers: %s", err);
        free(m);
        return;
    }
    const TensorSlot *p = &m->slots[pooled], *a = &m->slots[adaptive];
    const TensorSlot *c = &m->slots[conv];
    CHECK_MSG(c->C == 2 && c->H == 13 && c->W == 13, "new layers: 1x7 convolution output %dx%dx%d", c->C, c->H, c->W);
    CHECK_MSG(p->C == 2 && p->H == 6 && p->W == 6 && a->C == 2 && a->H == 7 && a->W == 7 && !a->flat,
              "new layers: shapes %dx%dx%d and %dx%dx%d", p->C, p->H, p->W, a->C, a->H, a->W);
    CHECK(m->layers[0].weight_count == 2 * 3 * 1 * 7 && m->layers[0].bias_count == 2);
    CHECK(model_parameter_count(m) == 2 * 3 * 7 + 2 + 98 * 3 + 3);
    /* the convolution's 2 x (2 x 3 x 7) x 13 x 13; 6 -> 7 bins: [0,1) [0,2) [1,3) [2,4) [3,5) [4,6) [5,6), 12
     * rows and 12 columns, so 144 additions per plane + 49 divisions, 2 planes; the linear layer's 2 x 98 x 3 */
    const double expected_flops = 2.0 * 42 * 169 + 2.0 * (144 + 49) + 2.0 * 98 * 3;
    CHECK_MSG(model_forward_flops(m, 1) == expected_flops, "new layers: %.0f FLOPs, expected %.0f",
              model_forward_flops(m, 1), expected_flops);
    real x[2 * 3 * 13 * 13];
    fill_normal(x, sizeof x / sizeof x[0], 1.0, &rng);
    const real *y = model_forward(m, x, 2, true);
    CHECK(isfinite(y[0]) && isfinite(y[5]));
    printf("  %-32s shapes, parameters and FLOPs as expected\n", "layers (1x7 conv, ceil, adaptive)");
    model_free(m);
}

int main(void) {
    rng_seed(&rng, 7);
    printf("float engine vs double references (tolerance %.0e)\n", FLOAT_TOL);
    test_conv("conv2d 3x3 s1 p1", 3, 3, 6, 6, 4, 3, 3, 1, 1, true);
    test_conv("conv2d 3x3 s2 p1", 3, 2, 7, 7, 3, 3, 3, 2, 1, true);
    test_conv("conv2d 5x5 s1 p0", 2, 2, 8, 8, 3, 5, 5, 1, 0, true);
    test_conv("conv2d 1x1 s1 (fast path)", 3, 4, 5, 5, 6, 1, 1, 1, 0, true);
    test_conv("conv2d 1x1 s2", 3, 4, 6, 6, 5, 1, 1, 2, 0, true);
    test_conv("conv2d 3x3 s1 p1 H!=W", 3, 2, 5, 8, 3, 3, 3, 1, 1, false);
    test_conv("conv2d 3x3 s1 p1 chunked", 8, 64, 32, 32, 2, 3, 3, 1, 1, true);
    test_conv("conv2d ResNet 16->32 3x3 s2", 16, 16, 32, 32, 32, 3, 3, 2, 1, false);
    test_conv_slots("conv2d ResNet 16->16 3 slots", 12, 16, 32, 32, 16, 3, 3, 1, 1, false, 3);
    test_conv_slots("conv2d ResNet 16->32 s2 3 slots", 12, 16, 32, 32, 32, 3, 3, 2, 1, false, 3);
    test_conv("conv2d VGG 64->128 (large filters)", 4, 64, 4, 4, 128, 3, 3, 1, 1, false);
    /* shapes of the AVX-512 panel path (where the CPU has it): the ResNet stem (K = 27, not a multiple of
     * any tile height), filters not a multiple of 8 or 16 (edge rows; weight gradient on the GEMM path),
     * 48 and 64 filters (the 8x3 and 6x4 weight-gradient tiles), a batch whose pixels end mid-panel, and
     * planes of a size that is not a multiple of 16 (GEMM path) */
    if (ops_cpu_has_avx512()) { /* so that the cases below really run the panel path here */
        ConvShape panel_shape;
        conv_shape_init(&panel_shape, 5, 3, 8, 8, 16, 3, 3, 1, 1);
        CHECK_MSG(conv_panels_apply(&panel_shape) && conv_panels_weight_grad_apply(&panel_shape),
                  "AVX-512 CPU, but the panel path does not take a 3x3 'same' convolution");
    }
    test_conv_slots("conv2d panels stem 3->16", 5, 3, 8, 8, 16, 3, 3, 1, 1, false, 2);
    test_conv_slots("conv2d panels 16->20", 3, 16, 8, 8, 20, 3, 3, 1, 1, true, 2);
    test_conv_slots("conv2d panels 8->48 4x4", 7, 8, 4, 4, 48, 3, 3, 1, 1, false, 3);
    test_conv_slots("conv2d panels 32->64 8x8", 4, 32, 8, 8, 64, 3, 3, 1, 1, false, 2);
    test_conv_slots("conv2d panels 5x5 16->32", 3, 16, 8, 8, 32, 5, 5, 1, 2, false, 2);
    /* stride 1 with taps reaching 3 columns out (7x7), and rows of 32 pixels (2 vectors a row) */
    test_conv_slots("conv2d panels 7x7 4->16 16x16", 2, 4, 16, 16, 16, 7, 7, 1, 3, true, 2);
    test_conv_slots("conv2d panels 8->16 32x32", 2, 8, 32, 32, 16, 3, 3, 1, 1, false, 2);
    /* the weight gradient's dot form (3x3 'same', up to 32 filters): 5 x 16 vectors, chunks that do not divide
     * the groups' ranges evenly */
    test_conv_slots("conv2d dot weight gradient 32->32 16x16", 5, 32, 16, 16, 32, 3, 3, 1, 1, true, 3);
    test_conv_slots("conv2d 16->16 6x6 (not panels)", 3, 16, 6, 6, 16, 3, 3, 1, 1, false, 2);
    /* large filters (VGG's deep layers, the "VGG 64->128" case above): forward on panels where the CPU
     * has AVX-512, both gradients on the OpenBLAS path */
    ConvShape large;
    conv_shape_init(&large, 4, 64, 8, 8, 128, 3, 3, 1, 1);
    CHECK_MSG(!conv2d_parallel_chunks(&large) && (conv_panels_apply(&large) || !ops_cpu_has_avx512()),
              "64->128 3x3 is expected to be a large-filter shape that the panel path takes");
    /* stride-2 panels: one output row per vector, two rows per vector (OW = 8), the 1x1 shortcut, and an
     * odd input whose last tap column reads padding */
    test_conv_slots("conv2d panels s2 16->32 32x32", 3, 16, 32, 32, 32, 3, 3, 2, 1, false, 2);
    test_conv_slots("conv2d panels s2 32->64 16x16", 3, 32, 16, 16, 64, 3, 3, 2, 1, true, 2);
    test_conv_slots("conv2d panels 1x1 s2 16->32", 3, 16, 32, 32, 32, 1, 1, 2, 0, false, 2);
    test_conv_slots("conv2d panels s2 31x31 8->16", 3, 8, 31, 31, 16, 3, 3, 2, 1, false, 2);
    test_conv_rect();
    test_depthwise("depthwise 3x3 s1 16x16", 6, 24, 16, 16, 3, 1, 1);
    test_depthwise("depthwise 3x3 s1 8x8", 5, 32, 8, 8, 3, 1, 1);
    test_depthwise("depthwise 3x3 s1 4x4", 9, 40, 4, 4, 3, 1, 1);
    test_depthwise("depthwise 5x5 s1 8x8", 4, 16, 8, 8, 5, 1, 2);
    test_depthwise("depthwise 3x3 s1 7x7 (rows)", 4, 16, 7, 7, 3, 1, 1);
    test_depthwise("depthwise 3x3 s2 32x32", 3, 16, 32, 32, 3, 2, 1);
    test_depthwise("depthwise 3x3 s2 8x8", 6, 24, 8, 8, 3, 2, 1);
    test_depthwise("depthwise 5x5 s2 16x16", 4, 16, 16, 16, 5, 2, 2);
    test_depthwise("depthwise 5x5 s2 15x15", 3, 8, 15, 15, 5, 2, 2);
    test_depthwise("depthwise 3x3 s2 4x4 (rows)", 4, 16, 4, 4, 3, 2, 1);
    test_relu_in_place();
    test_add_in_place();
    test_gelu_dropout_in_place();
    test_batchnorm_relu_fused(3, 5000);
    test_add_relu_fused();
    test_batchnorm_relu_fused(8, 131);
    test_batchnorm1d(7, 5);
    test_batchnorm1d(128, 120); /* LeNet's first BatchNorm1d at batch 128 */
    test_batchnorm1d(600, 150); /* threaded, three feature blocks */
    const int pool_sizes[][2] = {{32, 32}, {16, 16}, {8, 8}, {4, 4}, {2, 2}, {48, 48}, {7, 9}};
    for (int i = 0; i < 7; i++) test_maxpool(300, pool_sizes[i][0], pool_sizes[i][1], 2, 2, 0);
    test_maxpool(50, 9, 8, 3, 2, 1);
    test_pool_ceil_sizes();
    test_pool_ceil_torch_values();
    /* SqueezeNet's and GoogLeNet's stem pools, AlexNet-sized odd planes, a 2x2 whose last window is one
     * element (not the 2x2 fast path), and windows past the padded input with padding */
    const int ceil_cases[][5] = {{111, 111, 3, 2, 0}, {112, 112, 3, 2, 0}, {13, 13, 3, 2, 0}, {7, 7, 2, 2, 0},
                                 {8, 8, 2, 2, 0},     {9, 6, 3, 2, 1},     {7, 5, 2, 2, 1},  {11, 9, 4, 3, 2}};
    for (int i = 0; i < 8; i++) {
        const int *c = ceil_cases[i];
        const int planes = c[0] > 100 ? 4 : 30;
        test_pool_ceil(true, planes, c[0], c[1], c[2], c[3], c[4]);
        test_pool_ceil(false, planes, c[0], c[1], c[2], c[3], c[4]);
    }
    test_adaptive_avgpool_torch_values();
    test_layer_accounting();
    /* torchvision VGG's (7, 7) head after 224 (7x7: identity), 32 (1x1: replicated), 64 and 96 (2x2, 3x3:
     * repeated) and odd inputs; AlexNet's (6, 6) after 13x13; larger outputs than inputs in one axis only */
    const int adaptive_cases[][4] = {{7, 7, 7, 7}, {1, 1, 7, 7}, {2, 2, 7, 7}, {3, 3, 7, 7}, {14, 14, 7, 7},
                                     {13, 13, 6, 6}, {9, 11, 4, 3}, {5, 3, 2, 6}, {8, 8, 1, 1}};
    for (int i = 0; i < 9; i++)
        test_adaptive_avgpool(40, adaptive_cases[i][0], adaptive_cases[i][1], adaptive_cases[i][2],
                              adaptive_cases[i][3]);
    test_linear("linear", 4, 7, 5, true);
    test_linear("linear no-bias", 3, 6, 4, false);
    test_linear("linear 64->10", 128, 64, 10, true);
    test_linear("linear 1100 rows (3 row chunks)", 1100, 24, 70, true);
    test_linear("linear 128 rows, 4 weight blocks", 128, 40, 300, true);
    test_linear("linear 2100 rows, 3x2 weight tiles", 2100, 33, 130, true);
    test_linear("linear 4200 rows, 5 weight groups", 4200, 20, 70, false);
    test_linear_grads_without_input_grad(1100, 24, 70);  /* 3 row chunks, a partial 64-column block */
    test_linear_grads_without_input_grad(1300, 16, 200); /* a last chunk of 276 rows: one full and one short bias block */
    test_linear_grads_without_input_grad(4200, 24, 70);  /* 5 weight-gradient row groups */
    test_linear_grads_without_input_grad(128, 40, 300);  /* 1 row group, 4 blocks of the weight's rows */
    test_linear_first_token("linear, first-token queries", 4, 5, 7, 9, 3);
    test_linear_first_token("linear, first token, 8320 rows", 128, 65, 24, 72, 24); /* a ViT's last QKV, narrow */
    test_linear_first_token("linear, every output first-token", 3, 4, 5, 6, 6);
    test_linear_add("linear + residual", 5, 7, 6, true);
    test_linear_add("linear + residual, no bias", 4, 9, 5, false);
    test_linear_add("linear + residual, 1100 rows", 1100, 24, 70, true);
    return check_report("test_ops_reference");
}

/* Search, early stopping and the analytic objectives: every distribution's draws (ranges, log means,
 * integer and q steps, normal moments, probabilities), W&B's inference rules, conditional spaces under
 * random and TPE search, seeds, dedupe and reproducible resumption, ASHA and median stopping on known
 * curves, TPE against random search, and the objectives' known optima.
 * Usage: test_search EXAMPLES_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "objective.h"
#include "search.h"
#include "sweep_internal.h"
#include "sweeps.h"

static const char *examples_dir;

static int load_text(Sweep *s, const char *text) {
    char err[ERR_LEN] = "";
    int rc = sweep_load_text(s, "inline.yaml", text, err);
    CHECK_MSG(rc == 0, "%s", err);
    return rc;
}

/* ---- distributions ---------------------------------------------------------------------------------------- */

#define DRAWS 20000

/* Loads a one-parameter random sweep and draws DRAWS values of its parameter into v[] (numbers). */
static int draw_numbers(const char *key, const char *spec, double *v, Sweep *s) {
    char text[1024];
    snprintf(text, sizeof text, "name: d\nmethod: random\nrun_cap: 1\nparameters:\n  %s: %s\n", key, spec);
    if (load_text(s, text)) return -1;
    const SweepParam *p = &s->space->params[0];
    Rng rng;
    rng_seed(&rng, 42);
    for (int i = 0; i < DRAWS; i++) {
        cJSON *x = sweep_param_sample(p, &rng);
        CHECK(cJSON_IsNumber(x));
        v[i] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        cJSON_Delete(x);
    }
    return 0;
}

static void moments(const double *v, int n, int take_log, double *mean, double *sd) {
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = take_log ? log(v[i]) : v[i];
        s += x;
        s2 += x * x;
    }
    *mean = s / n;
    *sd = sqrt(fmax(0, s2 / n - *mean * *mean));
}

static int in_range(const double *v, int n, double lo, double hi) {
    for (int i = 0; i < n; i++)
        if (!(v[i] >= lo && v[i] <= hi)) {
            fprintf(stderr, "  draw %d = %.17g outside [%g, %g]\n", i, v[i], lo, hi);
            return 0;
        }
    return 1;
}

static void test_distributions(void) {
    static double v[DRAWS];
    Sweep s;
    double mean, sd;

    if (draw_numbers("lr", "{distribution: uniform, min: 0.01, max: 0.1}", v, &s) == 0) {
        CHECK(s.space->params[0].dist == DIST_UNIFORM);
        CHECK(in_range(v, DRAWS, 0.01, 0.1));
        moments(v, DRAWS, 0, &mean, &sd);
        CHECK_CLOSE(mean, 0.055, 0.001);
        CHECK_CLOSE(sd, 0.09 / sqrt(12), 0.001);
        sweep_free(&s);
    }
    /* integers min..max inclusive, each about equally often */
    if (draw_numbers("batch_size", "{distribution: int_uniform, min: 1, max: 6}", v, &s) == 0) {
        int count[7] = {0};
        for (int i = 0; i < DRAWS; i++) {
            CHECK(v[i] == floor(v[i]) && v[i] >= 1 && v[i] <= 6);
            if (v[i] >= 1 && v[i] <= 6) count[(int)v[i]]++;
        }
        for (int k = 1; k <= 6; k++) CHECK_CLOSE((double)count[k] / DRAWS, 1.0 / 6, 0.015);
        sweep_free(&s);
    }
    /* q_uniform as W&B: round(U(min, max) / q) * q, so the end values get half a step each */
    if (draw_numbers("momentum", "{distribution: q_uniform, min: 0, max: 0.9, q: 0.3}", v, &s) == 0) {
        int count[4] = {0}, other = 0;
        for (int i = 0; i < DRAWS; i++) {
            int k = (int)lround(v[i] / 0.3);
            if (k >= 0 && k <= 3 && v[i] == sweep_round_sig(k * 0.3, 12)) count[k]++;
            else other++;
        }
        CHECK(other == 0);
        CHECK_CLOSE((double)count[0] / DRAWS, 1.0 / 6, 0.015);
        CHECK_CLOSE((double)count[1] / DRAWS, 1.0 / 3, 0.015);
        CHECK_CLOSE((double)count[2] / DRAWS, 1.0 / 3, 0.015);
        CHECK_CLOSE((double)count[3] / DRAWS, 1.0 / 6, 0.015);
        sweep_free(&s);
    }
    /* log_uniform_values: min/max are values; log uniform in between */
    if (draw_numbers("lr", "{distribution: log_uniform_values, min: 0.0001, max: 1}", v, &s) == 0) {
        CHECK(in_range(v, DRAWS, 0.0001, 1));
        moments(v, DRAWS, 1, &mean, &sd);
        CHECK_CLOSE(mean, 0.5 * log(0.0001), 0.03);
        CHECK_CLOSE(sd, -log(0.0001) / sqrt(12), 0.03);
        int below = 0;
        for (int i = 0; i < DRAWS; i++) below += v[i] < 0.01;
        CHECK_CLOSE((double)below / DRAWS, 0.5, 0.015);
        sweep_free(&s);
    }
    /* log_uniform: min/max are exponents */
    if (draw_numbers("lr", "{distribution: log_uniform, min: -9.210340372, max: 0}", v, &s) == 0) {
        CHECK(in_range(v, DRAWS, 0.0001 * (1 - 1e-9), 1));
        moments(v, DRAWS, 1, &mean, &sd);
        CHECK_CLOSE(mean, -4.605170186, 0.03);
        sweep_free(&s);
    }
    /* q_log_uniform_values: multiples of q within [min, max], log-distributed */
    if (draw_numbers("batch_size", "{distribution: q_log_uniform_values, min: 16, max: 512, q: 16}", v, &s) == 0) {
        int small = 0;
        for (int i = 0; i < DRAWS; i++) {
            CHECK(fmod(v[i], 16) == 0 && v[i] >= 16 && v[i] <= 512);
            small += v[i] <= 96;
        }
        /* P(X <= 96) with X = round(exp(U(log 16, log 512)) / 16) * 16 is P(exp(U) < 104) */
        CHECK_CLOSE((double)small / DRAWS, log(104.0 / 16) / log(512.0 / 16), 0.015);
        sweep_free(&s);
    }
    if (draw_numbers("lr", "{distribution: normal, mu: 10, sigma: 2}", v, &s) == 0) {
        moments(v, DRAWS, 0, &mean, &sd);
        CHECK_CLOSE(mean, 10, 0.005);
        CHECK_CLOSE(sd, 2, 0.005);
        sweep_free(&s);
    }
    if (draw_numbers("lr", "{distribution: log_normal, mu: -3, sigma: 0.5}", v, &s) == 0) {
        CHECK(in_range(v, DRAWS, 0, INFINITY));
        moments(v, DRAWS, 1, &mean, &sd);
        CHECK_CLOSE(mean, -3, 0.005);
        CHECK_CLOSE(sd, 0.5, 0.005);
        sweep_free(&s);
    }
    /* categorical with probabilities */
    if (load_text(&s, "name: d\nmethod: random\nrun_cap: 1\nparameters:\n"
                      "  model: {values: [lenet, mlp, resnet56], probabilities: [0.7, 0.2, 0.1]}\n") == 0) {
        const SweepParam *p = &s.space->params[0];
        Rng rng;
        rng_seed(&rng, 7);
        int count[3] = {0};
        for (int i = 0; i < DRAWS; i++) {
            cJSON *x = sweep_param_sample(p, &rng);
            int k = sweep_value_index(p, x);
            CHECK(k >= 0);
            if (k >= 0) count[k]++;
            cJSON_Delete(x);
        }
        CHECK_CLOSE((double)count[0] / DRAWS, 0.7, 0.015);
        CHECK_CLOSE((double)count[1] / DRAWS, 0.2, 0.015);
        CHECK_CLOSE((double)count[2] / DRAWS, 0.1, 0.015);
        sweep_free(&s);
    }
    /* a normal on a bounded key is truncated: lr >= 0, about half the draws redrawn */
    if (load_text(&s, "name: d\nmethod: random\nrun_cap: 300\nparameters:\n  lr: {distribution: normal, mu: 0, sigma: 1}\n") ==
        0) {
        char err[ERR_LEN];
        Search *search = search_create(&s, 3, err);
        int n = 0, ok = 1;
        SweepTrial t;
        while (search && search_next(search, &t, err) == 1) {
            const cJSON *lr = cJSON_GetObjectItemCaseSensitive(t.config, "lr");
            ok &= cJSON_IsNumber(lr) && lr->valuedouble >= 0;
            n++;
            sweep_trial_clear(&t);
        }
        CHECK(n == 300 && ok);
        search_free(search);
        sweep_free(&s);
    }
}

/* ---- W&B's inference rules --------------------------------------------------------------------------------- */

static void test_inference(void) {
    Sweep s;
    if (load_text(&s, "name: i\nmethod: random\nrun_cap: 5\nparameters:\n"
                      "  model: {values: [lenet, mlp]}\n"   /* values -> categorical */
                      "  epochs: {value: 3}\n"              /* value -> constant */
                      "  batch_size: {min: 16, max: 64}\n"  /* both integers -> int_uniform */
                      "  lr: {min: 0.01, max: 1}\n"         /* one not an integer -> uniform */
                      "  momentum: {mu: 0.5, sigma: 0.1}\n" /* mu/sigma -> normal */
                      "  weight_decay: {mu: 0.001}\n"       /* mu alone -> normal, sigma 1 */
                      "  dropout: {min: 0.0, max: 0.5}\n"   /* 0.0 is not written as an integer */
                      "  step_size: {distribution: q_uniform, min: 3, max: 30}\n")) /* q defaults to 1 */
        return;
    static const struct {
        const char *key;
        SweepDist dist;
    } want[] = {{"model", DIST_CATEGORICAL}, {"epochs", DIST_CONSTANT}, {"batch_size", DIST_INT_UNIFORM},
                {"lr", DIST_UNIFORM},        {"momentum", DIST_NORMAL}, {"weight_decay", DIST_NORMAL},
                {"dropout", DIST_UNIFORM},   {"step_size", DIST_Q_UNIFORM}};
    CHECK(s.space->count == 8);
    for (int i = 0; i < s.space->count && i < 8; i++) {
        CHECK(!strcmp(s.space->params[i].key, want[i].key));
        CHECK_MSG(s.space->params[i].dist == want[i].dist, "%s: %s", want[i].key,
                  SWEEP_DIST_NAMES[s.space->params[i].dist]);
    }
    CHECK(s.space->params[5].mu == 0.001 && s.space->params[5].sigma == 1);
    CHECK(s.warning_count == 0); /* int_uniform inferred on an integer key (batch_size) needs no warning */
    sweep_free(&s);
}

/* gamma: q_uniform 0.2..0.8 with the default q = 1 has no multiple of q: an error, not a silent value */
static void test_inference_q_default(void) {
    Sweep s;
    char err[ERR_LEN];
    int rc = sweep_load_text(&s, "inline.yaml",
                             "name: i\nmethod: random\nrun_cap: 5\nparameters:\n"
                             "  gamma: {distribution: q_uniform, min: 0.2, max: 0.8}\n",
                             err);
    CHECK(rc != 0);
    CHECK_MSG(!strcmp(err, "inline.yaml:5:51: parameters.gamma: no multiple of q = 1 lies in [0.2, 0.8]"), "%s", err);
    rc = sweep_load_text(&s, "inline.yaml",
                         "name: i\nmethod: random\nrun_cap: 5\nparameters:\n"
                         "  step_size: {distribution: q_uniform, min: 3, max: 30}\n",
                         err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.space->params[0].q == 1 && s.space->params[0].kmin == 3 && s.space->params[0].kmax == 30);
        sweep_free(&s);
    }
}

/* ---- conditional spaces under random and TPE search ------------------------------------------------------------ */

static const char CONDITIONAL[] = "name: c\nmethod: %s\nrun_cap: %d\nmetric: {name: train_loss}\nparameters:\n"
                                  "  model: {values: [lenet, vit]}\n"
                                  "  lr: {distribution: log_uniform_values, min: 0.001, max: 0.1}\n"
                                  "  vit:\n"
                                  "    parameters:\n"
                                  "      dim: {values: [64, 128]}\n"
                                  "      heads: {value: 4}\n"
                                  "      pool: {values: [cls, mean]}\n"
                                  "      deep:\n"
                                  "        when: {pool: mean}\n"
                                  "        parameters:\n"
                                  "          depth: {distribution: int_uniform, min: 2, max: 4}\n"
                                  "  small:\n"
                                  "    when: {model: lenet}\n"
                                  "    parameters:\n"
                                  "      dropout: {distribution: uniform, min: 0, max: 0.5}\n"
                                  "      depth: {value: 1}\n";

/* A toy score of a config (lower is better), so TPE has something to model. */
static double toy_score(const cJSON *c) {
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(c, "lr");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(c, "model");
    double v = pow(log10(lr->valuedouble) + 2, 2);
    if (!strcmp(model->valuestring, "vit")) v -= 0.5;
    return v;
}

static void check_conditional(const char *method, int runs) {
    char text[2048];
    snprintf(text, sizeof text, CONDITIONAL, method, runs);
    Sweep s;
    if (load_text(&s, text)) return;
    char err[ERR_LEN];
    Search *search = search_create(&s, 11, err);
    CHECK_MSG(search != NULL, "%s", err);
    int n = 0, vit = 0, lenet = 0, mean = 0, bad = 0;
    SweepTrial t;
    int rc;
    while (search && (rc = search_next(search, &t, err)) == 1) {
        const cJSON *c = t.config;
        const char *model = cJSON_GetObjectItemCaseSensitive(c, "model")->valuestring;
        const cJSON *dim = cJSON_GetObjectItemCaseSensitive(c, "dim"), *pool = cJSON_GetObjectItemCaseSensitive(c, "pool");
        const cJSON *depth = cJSON_GetObjectItemCaseSensitive(c, "depth"), *dropout = cJSON_GetObjectItemCaseSensitive(c, "dropout");
        if (!strcmp(model, "vit")) {
            vit++;
            int is_mean = cJSON_IsString(pool) && !strcmp(pool->valuestring, "mean");
            mean += is_mean;
            bad += !dim || !pool || dropout || (is_mean != (depth != NULL)) ||
                   (depth && (depth->valuedouble < 2 || depth->valuedouble > 4));
        } else {
            lenet++;
            bad += dim || pool || !dropout || !depth || depth->valuedouble != 1;
        }
        char key[17];
        CHECK(sweep_config_hash(c, key) == 0 && !strcmp(key, t.key));
        search_observe(search, t.key, toy_score(c));
        n++;
        sweep_trial_clear(&t);
    }
    CHECK_MSG(n == runs, "%s: %d trials: %s", method, n, err);
    CHECK_MSG(bad == 0, "%s: %d configs with the wrong parameters", method, bad);
    CHECK(vit > 0 && lenet > 0 && mean > 0 && mean < vit);
    search_free(search);
    sweep_free(&s);
}

static void test_conditional_search(void) {
    check_conditional("random", 200);
    check_conditional("bayes", 60);
}

/* ---- seeds, dedupe, resumption ------------------------------------------------------------------------------------ */

static void test_seeds_search(void) {
    Sweep s;
    if (load_text(&s, "name: s\nmethod: random\nrun_cap: 8\nrepeats: 3\nparameters:\n"
                      "  lr: {distribution: uniform, min: 0.01, max: 0.1}\n"))
        return;
    char err[ERR_LEN];
    Search *search = search_create(&s, 1, err);
    SweepTrial t[10];
    int n = 0;
    while (n < 10 && search_next(search, &t[n], err) == 1) n++;
    CHECK_MSG(n == 8, "%d trials", n); /* run_cap counts runs */
    for (int i = 0; i < n; i++) {
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(t[i].config, "seed");
        CHECK(cJSON_IsNumber(seed) && seed->valuedouble == i % 3);
        CHECK(t[i].index == i);
        double lr = cJSON_GetObjectItemCaseSensitive(t[i].config, "lr")->valuedouble;
        double lr0 = cJSON_GetObjectItemCaseSensitive(t[i - i % 3].config, "lr")->valuedouble;
        CHECK(lr == lr0); /* the seeds of one configuration come together */
        for (int j = 0; j < i; j++) CHECK(strcmp(t[i].key, t[j].key) != 0);
    }
    CHECK(search_trial_count(search) == 8);
    /* resumed with the first four trials known: the second configuration's last two seeds come first */
    Search *again = search_create(&s, 1, err);
    for (int i = 0; i < 4; i++) {
        CHECK(search_restore(again, t[i].config, SEARCH_FINISHED, 0, 1.0, err) == 0);
    }
    for (int i = 4; i < 8; i++) {
        SweepTrial u;
        CHECK(search_next(again, &u, err) == 1);
        CHECK_MSG(!strcmp(u.key, t[i].key), "resumed trial %d", i);
        sweep_trial_clear(&u);
    }
    SweepTrial none;
    CHECK(search_next(again, &none, err) == 0);
    search_free(again);
    for (int i = 0; i < n; i++) sweep_trial_clear(&t[i]);
    search_free(search);
    sweep_free(&s);
}

static const char BRANIN[] = "name: b\nmethod: %s\nrun_cap: %d\nparameters:\n"
                             "  model: {value: objective}\n  function: {value: branin}\n"
                             "  x1: {distribution: uniform, min: -5, max: 10}\n"
                             "  x2: {distribution: uniform, min: 0, max: 15}\n";

/* Runs `count` sequential trials (propose, evaluate, observe); keys[] receives their keys. */
static double run_sequential(Search *search, int count, char keys[][17]) {
    double best = INFINITY;
    char err[ERR_LEN];
    for (int i = 0; i < count; i++) {
        SweepTrial t;
        if (search_next(search, &t, err) != 1) {
            CHECK_MSG(0, "search_next: %s", err);
            return NAN;
        }
        double v;
        CHECK(objective_evaluate(t.config, 1, &v, err) == 0);
        search_observe(search, t.key, v);
        if (v < best) best = v;
        if (keys) memcpy(keys[i], t.key, 17);
        sweep_trial_clear(&t);
    }
    return best;
}

/* Proposals depend only on the seed and the history: a search resumed from the database (its finished
 * trials restored) proposes what the uninterrupted search proposed, and never a known trial. */
static void test_resume_reproducible(void) {
    char text[2048];
    snprintf(text, sizeof text, BRANIN, "bayes", 30);
    Sweep s;
    if (load_text(&s, text)) return;
    char err[ERR_LEN], full[30][17], part[15][17];
    Search *a = search_create(&s, 7, err);
    run_sequential(a, 30, full);
    SweepTrial none;
    CHECK(search_next(a, &none, err) == 0); /* run_cap */

    /* the same search again: the same trials */
    Search *b = search_create(&s, 7, err);
    run_sequential(b, 15, part);
    for (int i = 0; i < 15; i++) CHECK(!strcmp(part[i], full[i]));

    /* a new process: the first 15 trials restored from their JSON (as the database holds them, captured
     * here from another identical search), then 15 more proposals */
    Search *c = search_create(&s, 7, err);
    Search *d = search_create(&s, 7, err);
    for (int i = 0; i < 15; i++) {
        SweepTrial t;
        CHECK(search_next(d, &t, err) == 1);
        double v;
        objective_evaluate(t.config, 1, &v, err);
        search_observe(d, t.key, v);
        CHECK(search_restore(c, t.config, SEARCH_FINISHED, 0, v, err) == 0);
        sweep_trial_clear(&t);
    }
    search_free(d);
    char rest[15][17];
    run_sequential(c, 15, rest);
    for (int i = 0; i < 15; i++) CHECK_MSG(!strcmp(rest[i], full[15 + i]), "resumed proposal %d differs", 15 + i);
    for (int i = 0; i < 15; i++)
        for (int j = 0; j < 15; j++) CHECK(strcmp(rest[i], part[j]) != 0);
    CHECK(search_next(c, &none, err) == 0);
    double best;
    CHECK(search_best(c, &best) != NULL && best < 5);

    /* another seed: other proposals */
    Search *e = search_create(&s, 8, err);
    char other[1][17];
    run_sequential(e, 1, other);
    CHECK(strcmp(other[0], full[0]) != 0);
    search_free(a);
    search_free(b);
    search_free(c);
    search_free(e);
    sweep_free(&s);
}

/* Running trials are part of the history (constant liar): a free worker gets another proposal, and a
 * restored running trial is never proposed again. */
static void test_running_and_retries(void) {
    char text[2048];
    snprintf(text, sizeof text, BRANIN, "bayes", 40);
    Sweep s;
    if (load_text(&s, text)) return;
    char err[ERR_LEN], keys[20][17];
    Search *search = search_create(&s, 3, err);
    run_sequential(search, 20, keys);
    SweepTrial t1, t2;
    CHECK(search_next(search, &t1, err) == 1);
    CHECK(search_next(search, &t2, err) == 1); /* t1 still running */
    CHECK(strcmp(t1.key, t2.key) != 0);
    CHECK(search_report(search, t1.key, SEARCH_PRUNED, 3, 50.0) == 0);
    CHECK(search_report(search, t2.key, SEARCH_DIVERGED, 2, NAN) == 0);
    CHECK(search_observe(search, "0123456789abcdef", 1.0) == -1); /* unknown key */
    CHECK(search_running(search, t1.key) == 0);                    /* a retry */
    CHECK(search_trial_count(search) == 22);
    sweep_trial_clear(&t1);
    sweep_trial_clear(&t2);
    search_free(search);

    /* a grid resumed with its first cells known: only the new cells */
    Sweep small, grown;
    if (load_text(&small, "name: g\nmethod: grid\nparameters:\n  lr: {values: [0.1, 0.2]}\n  epochs: {values: [1, 2]}\n") ==
            0 &&
        load_text(&grown, "name: g\nmethod: grid\nparameters:\n  lr: {values: [0.1, 0.2, 0.3]}\n  epochs: {values: [1, 2]}\n") ==
            0) {
        Search *g = search_create(&grown, 0, err);
        for (int i = 0; i < small.trial_count; i++) {
            search_restore(g, small.trials[i].config, SEARCH_FINISHED, 0, 1.0, err);
        }
        SweepTrial t;
        int n = 0;
        while (search_next(g, &t, err) == 1) {
            CHECK(cJSON_GetObjectItemCaseSensitive(t.config, "lr")->valuedouble == 0.3);
            n++;
            sweep_trial_clear(&t);
        }
        CHECK(n == 2);
        search_free(g);
        sweep_free(&small);
        sweep_free(&grown);
    }
    /* a finite random space runs out: two configurations, then nothing */
    Sweep fin;
    if (load_text(&fin, "name: f\nmethod: bayes\nrun_cap: 10\nparameters:\n  model: {values: [lenet, mlp]}\n") == 0) {
        Search *f = search_create(&fin, 0, err);
        SweepTrial t;
        int n = 0;
        while (search_next(f, &t, err) == 1) {
            n++;
            search_observe(f, t.key, 1.0);
            sweep_trial_clear(&t);
        }
        CHECK(n == 2);
        search_free(f);
        sweep_free(&fin);
    }
    sweep_free(&s);
}

/* ---- TPE ----------------------------------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_best(const char *method, int seeds, int trials) {
    char text[2048];
    snprintf(text, sizeof text, BRANIN, method, trials);
    Sweep s;
    if (load_text(&s, text)) return NAN;
    double bests[64];
    char err[ERR_LEN];
    for (int i = 0; i < seeds; i++) {
        Search *search = search_create(&s, (uint64_t)i, err);
        bests[i] = run_sequential(search, trials, NULL);
        search_free(search);
    }
    sweep_free(&s);
    qsort(bests, (size_t)seeds, sizeof *bests, cmp_double);
    return bests[seeds / 2];
}

static void test_tpe_beats_random(void) {
    double tpe = median_best("bayes", 15, 40), rnd = median_best("random", 15, 40);
    CHECK_MSG(tpe < rnd, "TPE %g, random %g", tpe, rnd);
    CHECK_MSG(tpe < 0.7, "TPE's median best on Branin after 40 trials: %g", tpe); /* optimum 0.397887 */
}

/* TPE over integer, q, log, normal and categorical parameters: every proposal valid, and better than random. */
static double mixed_score(const cJSON *c) {
    double lr = cJSON_GetObjectItemCaseSensitive(c, "lr")->valuedouble;
    double bs = cJSON_GetObjectItemCaseSensitive(c, "batch_size")->valuedouble;
    double epochs = cJSON_GetObjectItemCaseSensitive(c, "epochs")->valuedouble;
    double momentum = cJSON_GetObjectItemCaseSensitive(c, "momentum")->valuedouble;
    const char *opt = cJSON_GetObjectItemCaseSensitive(c, "optimizer")->valuestring;
    return pow(log10(lr) + 2, 2) + pow((bs - 128) / 64, 2) + pow((epochs - 10) / 5, 2) + (strcmp(opt, "adamw") ? 1 : 0) +
           pow((momentum - 0.9) / 0.2, 2);
}

static double mixed_run(const char *method, uint64_t seed, int *invalid) {
    char text[2048];
    snprintf(text, sizeof text,
             "name: m\nmethod: %s\nrun_cap: 60\nmetric: {name: train_loss}\nparameters:\n"
             "  lr: {distribution: log_uniform_values, min: 0.0001, max: 1}\n"
             "  batch_size: {distribution: q_uniform, min: 16, max: 256, q: 16}\n"
             "  epochs: {distribution: int_uniform, min: 1, max: 20}\n"
             "  optimizer: {values: [sgd, adamw]}\n"
             "  momentum: {distribution: normal, mu: 0.5, sigma: 0.2}\n",
             method);
    Sweep s;
    if (load_text(&s, text)) return NAN;
    char err[ERR_LEN];
    Search *search = search_create(&s, seed, err);
    double best = INFINITY;
    SweepTrial t;
    while (search_next(search, &t, err) == 1) {
        double lr = cJSON_GetObjectItemCaseSensitive(t.config, "lr")->valuedouble;
        double bs = cJSON_GetObjectItemCaseSensitive(t.config, "batch_size")->valuedouble;
        double epochs = cJSON_GetObjectItemCaseSensitive(t.config, "epochs")->valuedouble;
        double momentum = cJSON_GetObjectItemCaseSensitive(t.config, "momentum")->valuedouble;
        *invalid += !(lr >= 0.0001 && lr <= 1) || fmod(bs, 16) != 0 || bs < 16 || bs > 256 || epochs != floor(epochs) ||
                    epochs < 1 || epochs > 20 || momentum < 0 || momentum >= 1;
        double v = mixed_score(t.config);
        search_observe(search, t.key, v);
        if (v < best) best = v;
        sweep_trial_clear(&t);
    }
    search_free(search);
    sweep_free(&s);
    return best;
}

static void test_tpe_mixed(void) {
    double tpe[9], rnd[9];
    int invalid = 0;
    for (int i = 0; i < 9; i++) {
        tpe[i] = mixed_run("bayes", (uint64_t)i, &invalid);
        rnd[i] = mixed_run("random", (uint64_t)i, &invalid);
    }
    qsort(tpe, 9, sizeof *tpe, cmp_double);
    qsort(rnd, 9, sizeof *rnd, cmp_double);
    CHECK(invalid == 0);
    CHECK_MSG(tpe[4] < rnd[4], "TPE %g, random %g", tpe[4], rnd[4]);
}

/* ---- early stopping --------------------------------------------------------------------------------------------- */

static Stopper *stopper_for(Sweep *s, const char *rule, const char *metric) {
    char text[2048];
    snprintf(text, sizeof text,
             "name: e\nmethod: random\nrun_cap: 10\nmetric: %s\nearly_terminate: %s\nparameters:\n"
             "  lr: {distribution: uniform, min: 0.01, max: 0.1}\n  val_split: {value: 0.1}\n",
             metric, rule);
    if (load_text(s, text)) return NULL;
    return stopper_create(s);
}

static void test_asha(void) {
    Sweep s;
    Stopper *st = stopper_for(&s, "{type: asha, min_epochs: 1, eta: 3, max_epochs: 27}", "{name: val_loss}");
    if (!st) return;
    CHECK(s.early_terminate.rung_count == 3 && s.early_terminate.rungs[0] == 1 && s.early_terminate.rungs[1] == 3 &&
          s.early_terminate.rungs[2] == 9);
    char reason[256];
    /* rung at epoch 1; with fewer than eta values only the best so far goes on */
    CHECK(stopper_should_stop(st, "A", 1, 5.0, reason) == 0);
    CHECK(stopper_should_stop(st, "B", 1, 3.0, reason) == 0);
    CHECK(stopper_should_stop(st, "C", 1, 4.0, reason) == 1);
    CHECK_MSG(!strcmp(reason, "asha: epoch 1 rung, 4 not in top 1/3 (cutoff 3, 3 trials at the rung)"), "%s", reason);
    CHECK(stopper_should_stop(st, "D", 1, 1.0, reason) == 0 && reason[0] == '\0');
    CHECK(stopper_should_stop(st, "E", 1, 3.5, reason) == 1); /* 5 values: top 1 (1.0) */
    CHECK(stopper_should_stop(st, "F", 1, 2.0, reason) == 0); /* 6 values: top 2 = {1, 2} */
    CHECK(stopper_should_stop(st, "G", 1, 2.5, reason) == 1); /* 7 values: top 2 */
    CHECK(stopper_should_stop(st, "H", 1, 0.5, reason) == 0);
    CHECK(stopper_should_stop(st, "I", 1, 1.5, reason) == 0); /* 9 values: top 3 = {0.5, 1, 1.5} */
    /* between rungs nothing stops, however bad */
    CHECK(stopper_should_stop(st, "B", 2, 100.0, reason) == 0);
    /* rung at epoch 3 */
    CHECK(stopper_should_stop(st, "B", 3, 2.5, reason) == 0);
    CHECK(stopper_should_stop(st, "D", 3, 1.5, reason) == 0);
    CHECK(stopper_should_stop(st, "A", 3, 9.0, reason) == 1);
    CHECK_MSG(!strcmp(reason, "asha: epoch 3 rung, 9 not in top 1/3 (cutoff 1.5, 3 trials at the rung)"), "%s", reason);
    /* rung at epoch 9, and none at max_epochs (27) or beyond the rungs */
    CHECK(stopper_should_stop(st, "D", 9, 1.0, reason) == 0);
    CHECK(stopper_should_stop(st, "B", 9, 2.0, reason) == 1); /* 2 values < eta: only the best (1.0) goes on */
    CHECK(stopper_should_stop(st, "D", 27, 50.0, reason) == 0);
    CHECK(stopper_should_stop(st, "D", 81, 50.0, reason) == 0);
    /* a replayed epoch (resumed from a checkpoint) replaces the value instead of adding one: still 9 values */
    CHECK(stopper_should_stop(st, "F", 1, 2.0, reason) == 1);
    CHECK_MSG(!strcmp(reason, "asha: epoch 1 rung, 2 not in top 1/3 (cutoff 1.5, 9 trials at the rung)"), "%s", reason);
    CHECK(stopper_should_stop(st, "F", 1, 1.0, reason) == 0);
    /* NaN never stops */
    CHECK(stopper_should_stop(st, "J", 1, NAN, reason) == 0);
    stopper_free(st);
    sweep_free(&s);

    /* maximize, eta 2, rungs 2, 4 (max_epochs 8 excluded) */
    st = stopper_for(&s, "{type: hyperband, min_iter: 2, eta: 2, max_iter: 8}", "{name: test_top1}");
    if (!st) return;
    CHECK(s.early_terminate.rung_count == 2 && s.early_terminate.rungs[0] == 2 && s.early_terminate.rungs[1] == 4);
    CHECK(stopper_should_stop(st, "a", 2, 50.0, reason) == 0);
    CHECK(stopper_should_stop(st, "b", 2, 40.0, reason) == 1); /* 2 values: top 1 = 50 */
    CHECK(stopper_should_stop(st, "c", 2, 60.0, reason) == 0);
    CHECK(stopper_should_stop(st, "d", 2, 55.0, reason) == 0); /* 4 values: top 2 = {60, 55} */
    CHECK(stopper_should_stop(st, "e", 2, 52.0, reason) == 1);
    CHECK(stopper_should_stop(st, "c", 8, 1.0, reason) == 0); /* max_epochs: not a rung */
    stopper_free(st);
    sweep_free(&s);

    /* resumed: history recorded without decisions, then a decision against it */
    st = stopper_for(&s, "{type: asha, min_epochs: 1, eta: 3}", "{name: val_loss}");
    if (!st) return;
    stopper_record(st, "x", 1, 1.0);
    stopper_record(st, "y", 1, 2.0);
    CHECK(stopper_should_stop(st, "z", 1, 3.0, reason) == 1);
    stopper_free(st);
    sweep_free(&s);
}

static void test_median(void) {
    Sweep s;
    Stopper *st = stopper_for(&s, "{type: median, warmup_epochs: 1, min_trials: 3}", "{name: val_loss}");
    if (!st) return;
    char reason[256];
    static const double curves[3][3] = {{10, 8, 6}, {9, 7, 5}, {11, 9, 7}};
    static const char *const names[3] = {"t1", "t2", "t3"};
    for (int e = 0; e < 3; e++)
        for (int t = 0; t < 3; t++) CHECK(stopper_should_stop(st, names[t], e + 1, curves[t][e], reason) == 0);
    /* running averages at epoch 2: 9, 8, 10 -> median 9 */
    CHECK(stopper_should_stop(st, "x", 1, 12, reason) == 0); /* warmup */
    CHECK(stopper_should_stop(st, "x", 2, 10, reason) == 1);
    CHECK_MSG(!strcmp(reason, "median: epoch 2, best 10 worse than the median 9 of 3 trials' running averages"), "%s",
              reason);
    CHECK(stopper_should_stop(st, "y", 1, 12, reason) == 0);
    CHECK(stopper_should_stop(st, "y", 2, 8.5, reason) == 0);
    /* the best so far counts, not the latest value */
    CHECK(stopper_should_stop(st, "z", 1, 7, reason) == 0);
    CHECK(stopper_should_stop(st, "z", 2, 9.5, reason) == 0);
    /* at epoch 3: others' running averages t1 8, t2 7, t3 9 (x, y, z did not reach it) -> median 8 */
    CHECK(stopper_should_stop(st, "y", 3, 8.2, reason) == 1);
    CHECK(stopper_should_stop(st, "z", 3, 9, reason) == 0); /* best 7 < 8 */
    stopper_free(st);
    sweep_free(&s);

    /* too few other trials at the epoch: no stopping */
    st = stopper_for(&s, "{type: median, min_trials: 3}", "{name: test_top1}");
    if (!st) return;
    CHECK(stopper_should_stop(st, "a", 1, 50, reason) == 0);
    CHECK(stopper_should_stop(st, "b", 1, 60, reason) == 0);
    CHECK(stopper_should_stop(st, "c", 1, 10, reason) == 0); /* 2 others */
    CHECK(stopper_should_stop(st, "d", 1, 20, reason) == 1); /* 3 others: median 50, 20 is worse (maximize) */
    stopper_free(st);
    sweep_free(&s);

    /* no early_terminate: never */
    Sweep none;
    if (load_text(&none, "name: n\nmethod: grid\nparameters:\n  lr: {value: 0.1}\n") == 0) {
        Stopper *never = stopper_create(&none);
        for (int i = 0; i < 10; i++) CHECK(stopper_should_stop(never, i % 2 ? "a" : "b", 1, i, reason) == 0);
        stopper_free(never);
        sweep_free(&none);
    }
}

/* ---- objectives -------------------------------------------------------------------------------------------------- */

static cJSON *objective_config(const char *function, const double *x, int dim, int curve_epochs, int seed) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "model", "objective");
    cJSON_AddStringToObject(c, "function", function);
    for (int i = 0; i < dim; i++) {
        char k[16];
        snprintf(k, sizeof k, "x%d", i + 1);
        cJSON_AddNumberToObject(c, k, x[i]);
    }
    if (curve_epochs) cJSON_AddNumberToObject(c, "curve_epochs", curve_epochs);
    if (seed >= 0) cJSON_AddNumberToObject(c, "seed", seed);
    return c;
}

static double eval_at(const char *function, const double *x, int dim) {
    cJSON *c = objective_config(function, x, dim, 0, -1);
    double v = NAN;
    char err[ERR_LEN];
    CHECK_MSG(objective_evaluate(c, 1, &v, err) == 0, "%s", err);
    cJSON_Delete(c);
    return v;
}

static void test_objectives(void) {
    static const double branin_min[3][2] = {{-M_PI, 12.275}, {M_PI, 2.275}, {9.42478, 2.475}};
    for (int i = 0; i < 3; i++) CHECK_CLOSE(eval_at("branin", branin_min[i], 2), 0.397887, 1e-5);
    static const double h6[6] = {0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573};
    CHECK_CLOSE(eval_at("hartmann6", h6, 6), -3.32237, 1e-5);
    static const double ones[5] = {1, 1, 1, 1, 1};
    CHECK(eval_at("rosenbrock", ones, 5) == 0);
    static const double r2[5] = {0, 0, 0, 0, 0};
    CHECK(eval_at("rosenbrock", r2, 5) == 4);
    CHECK(objective_dimension("branin") == 2 && objective_dimension("hartmann6") == 6 &&
          objective_dimension("rosenbrock") == 5 && objective_dimension("sphere") == 0);

    /* the learning curve: decreasing to f(x) at the last epoch, deterministic in x and seed */
    static const double x[2] = {1, 2};
    double f = eval_at("branin", x, 2);
    cJSON *c = objective_config("branin", x, 2, 5, 0), *c1 = objective_config("branin", x, 2, 5, 1);
    CHECK(objective_epochs(c) == 5);
    char err[ERR_LEN];
    double prev = INFINITY, v, w, again;
    for (int e = 1; e <= 5; e++) {
        CHECK(objective_evaluate(c, e, &v, err) == 0);
        CHECK(v < prev || e == 1);
        CHECK(v >= f);
        CHECK(objective_evaluate(c, e, &again, err) == 0 && again == v);
        prev = v;
    }
    CHECK(v == f);
    CHECK(objective_evaluate(c, 1, &v, err) == 0 && objective_evaluate(c1, 1, &w, err) == 0 && v != w);
    CHECK(v - f >= 5 && v - f < 15); /* branin's gap at epoch 1 is 10 * (0.5 + u) */
    CHECK(objective_evaluate(c, 6, &v, err) != 0);
    CHECK_MSG(!strcmp(err, "objective: epoch 6 is outside 1..5"), "%s", err);
    EpochMetrics m;
    objective_epoch_metrics(3, 1.25, &m);
    CHECK(m.epoch == 3 && m.test_loss == 1.25 && m.train_loss == 1.25 && isnan(m.test_top1));
    cJSON_Delete(c);
    cJSON_Delete(c1);

    /* the checks */
    static const double out[2] = {11, 2};
    c = objective_config("branin", out, 2, 0, -1);
    CHECK(objective_check(c, err) != 0 && !strcmp(err, "x1: 11 is outside branin's domain [-5, 10]"));
    cJSON_Delete(c);
    c = objective_config("branin", x, 1, 0, -1);
    CHECK(objective_check(c, err) != 0 && !strcmp(err, "x2: required by branin (x1..x2)"));
    cJSON_Delete(c);
    c = objective_config("branin", h6, 3, 0, -1);
    CHECK(objective_check(c, err) != 0 && !strcmp(err, "x3: branin has only x1..x2"));
    cJSON_Delete(c);
    c = objective_config("branin", x, 2, 0, -1);
    cJSON_AddNumberToObject(c, "lr", 0.1);
    CHECK(objective_check(c, err) != 0 &&
          !strcmp(err, "lr: not an objective setting (model, function, x1..xN, curve_epochs, seed)"));
    cJSON_Delete(c);
}

/* The example files load, and the objective example runs end to end as the coordinator would drive it:
 * proposals, per-epoch values, ASHA verdicts, results fed back. */
static void test_examples(void) {
    char path[1024], err[ERR_LEN];
    Sweep s;
    snprintf(path, sizeof path, "%s/conditional_models.yaml", examples_dir);
    int rc = sweep_load(&s, path, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.warning_count == 0 && s.seed_count == 3 && s.run_cap == 24);
        Search *search = search_create(&s, s.search_seed, err);
        SweepTrial t;
        int n = 0;
        while (search_next(search, &t, err) == 1) {
            char msg[ERR_LEN];
            CHECK_MSG(sweep_config_check(s.space, t.config, msg) == 0, "%s", msg);
            n++;
            sweep_trial_clear(&t);
        }
        CHECK(n == 24);
        search_free(search);
        sweep_free(&s);
    }
    snprintf(path, sizeof path, "%s/objective_branin.yaml", examples_dir);
    rc = sweep_load(&s, path, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    CHECK(s.objective && !strcmp(s.metric, "value") && !s.maximize);
    Search *search = search_create(&s, s.search_seed, err);
    Stopper *st = stopper_create(&s);
    int pruned = 0, finished = 0;
    SweepTrial t;
    while (search_next(search, &t, err) == 1) {
        int epochs = objective_epochs(t.config), stopped = 0;
        double v = NAN;
        for (int e = 1; e <= epochs && !stopped; e++) {
            EpochMetrics m;
            CHECK(objective_evaluate(t.config, e, &v, err) == 0);
            objective_epoch_metrics(e, v, &m);
            char reason[256];
            if (stopper_should_stop(st, t.key, e, sweep_epoch_metric(&s, &m), reason)) {
                CHECK(!strncmp(reason, "asha: epoch ", 12));
                search_report(search, t.key, SEARCH_PRUNED, e, v);
                stopped = 1;
            }
        }
        if (stopped) pruned++;
        else {
            search_observe(search, t.key, v);
            finished++;
        }
        sweep_trial_clear(&t);
    }
    CHECK(pruned + finished == 60);
    CHECK(pruned > 20 && finished > 5);
    double best;
    CHECK(search_best(search, &best) != NULL);
    CHECK_MSG(best < 1.0, "best %g", best);
    stopper_free(st);
    search_free(search);
    sweep_free(&s);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
        return 2;
    }
    examples_dir = argv[1];
    test_distributions();
    test_inference();
    test_inference_q_default();
    test_conditional_search();
    test_seeds_search();
    test_resume_reproducible();
    test_running_and_retries();
    test_tpe_beats_random();
    test_tpe_mixed();
    test_asha();
    test_median();
    test_objectives();
    test_examples();
    return check_report("test_search");
}

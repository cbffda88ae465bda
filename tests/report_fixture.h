/* A "paper" results database for the report, query and browser tests, with every value in the tables
 * below so tests can compute the expected summaries independently of the report code.
 *
 * Sweep "paper": 3 models x 2 learning rates x 3 seeds, finished, 3 epochs each; plus 4 runs that did not
 * finish (pruned, diverged, failed, lost) as seed 4 of some configurations. Sweep "other": 1 pending run.
 * The third model's name holds every character some format must escape. */
#ifndef COHORT_TEST_REPORT_FIXTURE_H
#define COHORT_TEST_REPORT_FIXTURE_H

#include <stdint.h>

#include "store.h"

#define FX_MODELS 3
#define FX_LRS 2
#define FX_SEEDS 3
#define FX_EPOCHS 3

/* HTML < > & " ', LaTeX # $ % & _ { } ~ ^ \, Markdown | < > _ \, CSV , " */
#define FX_WEIRD "res<net>_v2 & {co} #1 50% $x^2~\\ a|b, \"q\""

extern const char *const FX_MODEL[FX_MODELS];
extern const int64_t FX_PARAMS[FX_MODELS];
extern const double FX_FLOPS[FX_MODELS]; /* forward FLOPs per image: mlp fewest, so its FLOPs front differs from the
                                            parameters' */
extern const double FX_LR[FX_LRS];
/* final-epoch test top-1, test top-5, train loss, test loss of each finished run [model][lr][seed] */
extern const double FX_TOP1[FX_MODELS][FX_LRS][FX_SEEDS];
extern const double FX_TOP5[FX_MODELS][FX_LRS][FX_SEEDS];
extern const double FX_TLOSS[FX_MODELS][FX_LRS][FX_SEEDS];
extern const double FX_TESTLOSS[FX_MODELS][FX_LRS][FX_SEEDS];

typedef struct {
    int model, lr;    /* indices */
    const char *status, *reason;
    int epochs;       /* recorded before it stopped */
} FxProblem;
#define FX_PROBLEMS 4
extern const FxProblem FX_PROBLEM[FX_PROBLEMS];

/* Epoch e (1-based) of finished run [m][l][s]: the final values at e = FX_EPOCHS, earlier ones lower. */
void fx_epoch(int m, int l, int s, int e, EpochMetrics *out);

/* Writes the database (a new file). 0 on success. */
int fx_build(const char *path);

/* Text stored by a hostile sweep or program: an OSC title sequence (ESC ] ... BEL), Markdown strikethrough,
 * two bytes that are not UTF-8 (FF FE), a C1 CSI (U+009B) and a CR. */
#define FX_HOSTILE "\x1b]0;title\x07red ~~strike~~ \xff\xfe \xc2\x9b" "2J\rend"
/* A CSV cell a spreadsheet would run as a formula. */
#define FX_FORMULA "=HYPERLINK(\"http://example.invalid\",\"open\")"

/* Whether s is well-formed UTF-8 (checked here independently of the code under test). */
int fx_utf8_valid(const char *s);
/* Whether s is well-formed UTF-8 without C0 (but line feeds, and tabs if allow_tab) or C1 control
 * characters or DEL: safe to show on a terminal. */
int fx_terminal_safe(const char *s, int allow_tab);

/* mean and sample std of v[0..n) */
void fx_mean_std(const double *v, int n, double *mean, double *std);

#endif

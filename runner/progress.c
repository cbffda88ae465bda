#include "progress.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

void progress_init(Progress *p, const SweepTrialState *trials, int count, double start, ProgressMode mode) {
    p->trials = trials;
    p->count = count;
    p->start = p->last_status = start;
    p->last_draw = 0;
    p->tty = mode == PROGRESS_BAR || (mode == PROGRESS_AUTO && isatty(STDOUT_FILENO) && !getenv("OMPI_COMM_WORLD_SIZE"));
    p->bar_shown = 0;
    p->epochs_at_start = 0;
    for (int i = 0; i < count; i++) p->epochs_at_start += trials[i].epochs_done;
}

static void clear_bar(Progress *p) {
    if (p->tty && p->bar_shown) fputs("\r\033[K", stdout);
    p->bar_shown = 0;
}

static void format_duration(double s, char *out, size_t size) {
    if (!isfinite(s) || s < 0) snprintf(out, size, "?");
    else if (s < 60) snprintf(out, size, "%.0fs", s);
    else if (s < 3600) snprintf(out, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(out, size, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

/* "3/12 done, 2 running, 7 queued | best test top-1 91.20% (run 4) | 1m02s elapsed, ETA 3m10s" */
static void status_text(const Progress *p, double now, char *out, size_t size) {
    int done = 0, running = 0, queued = 0, epochs_done = 0, epochs_total = 0, best_trial = -1;
    for (int i = 0; i < p->count; i++) {
        const SweepTrialState *t = &p->trials[i];
        done += t->state == TRIAL_DONE;
        running += t->state == TRIAL_RUNNING;
        queued += t->state == TRIAL_QUEUED;
        epochs_total += t->identity.epochs;
        epochs_done += t->state == TRIAL_DONE ? t->identity.epochs : t->epochs_done;
        if (!isnan(t->best) && (best_trial < 0 || t->best > p->trials[best_trial].best)) best_trial = i;
    }
    double elapsed = now - p->start;
    int new_epochs = epochs_done - p->epochs_at_start;
    double eta = new_epochs > 0 ? elapsed / new_epochs * (epochs_total - epochs_done) : NAN;
    char el[32], et[32], best[96] = "";
    format_duration(elapsed, el, sizeof el);
    format_duration(eta, et, sizeof et);
    if (best_trial >= 0)
        snprintf(best, sizeof best, " | best test top-1 %.2f%% (run %lld)", p->trials[best_trial].best,
                 (long long)p->trials[best_trial].run_id);
    snprintf(out, size, "%d/%d done, %d running, %d queued%s | %s elapsed, ETA %s", done, p->count, running, queued,
             best, el, et);
}

/* Trial labels and error texts come from sweep files and trainers: control characters in them would reach
 * the terminal as commands, so every line goes out through cli_vfprintf_safe, on one line. */
void progress_note(Progress *p, const char *fmt, ...) {
    clear_bar(p);
    va_list ap;
    va_start(ap, fmt);
    cli_vfprintf_safe(stdout, 0, fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

void progress_warn(Progress *p, const char *fmt, ...) {
    clear_bar(p);
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    cli_vfprintf_safe(stderr, 0, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

void progress_epoch(Progress *p, const SweepTrialState *t, int rank, const EpochMetrics *m) {
    progress_note(p,
                  "[run %lld %s] epoch %d/%d: train loss %.4f top-1 %.2f%% | test loss %.4f top-1 %.2f%% top-5 %.2f%% "
                  "| lr %.4g | %.0f img/s, %.1f s (rank %d)",
                  (long long)t->run_id, t->label, m->epoch, t->identity.epochs, m->train_loss, m->train_top1, m->test_loss,
                  m->test_top1, m->test_top5, m->lr, m->images_per_sec, m->wall_seconds, rank);
}

void progress_ended(Progress *p, const SweepTrialState *t, const char *status, const char *text) {
    progress_note(p, "[run %lld %s] %s%s%s", (long long)t->run_id, t->label, status, text ? ": " : "", text ? text : "");
    p->last_status = -1e300; /* a status line after every ending in plain mode */
}

void progress_update(Progress *p, double now) {
    char text[512];
    if (p->tty) {
        if (p->bar_shown && now - p->last_draw < 0.25) return;
        p->last_draw = now;
        status_text(p, now, text, sizeof text);
        printf("\r\033[K[%s]", text);
        p->bar_shown = 1;
        fflush(stdout);
    } else if (now - p->last_status >= 30.0) {
        status_text(p, now, text, sizeof text);
        printf("[progress] %s\n", text);
        fflush(stdout);
        p->last_status = now;
    }
}

void progress_finish(Progress *p, double now) {
    char text[512];
    clear_bar(p);
    status_text(p, now, text, sizeof text);
    printf("[progress] %s\n", text);
    fflush(stdout);
}

void progress_set_count(Progress *p, int count) { p->count = count; }

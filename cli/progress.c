/*
 * progress.c - the progress display of long-running commands.
 *
 * On a terminal: one line redrawn in place with '\r' at most 8 times a
 * second (a faster redraw only costs CPU and flickers), holding the
 * percentage, a bar, bytes done/total, rate, ETA, tensor i/N and the
 * current tensor name, cut to the terminal width so it never wraps (a
 * wrapped line cannot be redrawn with '\r'). Elsewhere (CI logs, files):
 * a plain line every 5 seconds. Everything goes to stderr; stdout is for
 * data only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define BAR_INTERVAL 0.125  /* seconds between redraws of the bar */
#define LINE_INTERVAL 5.0   /* seconds between plain progress lines */

enum { MODE_NONE = 0, MODE_BAR = 1, MODE_LINES = 2 };

/* Per-run state that does not belong in the public struct. */
static struct {
  double phase_start;
  int last_len;
} g_pr;

int cli_stderr_is_tty(void) { return isatty(STDERR_FILENO); }

int cli_term_width(void) {
  const char *c = getenv("COLUMNS");
  if (c && *c) {
    char *end;
    long v = strtol(c, &end, 10);
    if (!*end && v > 0 && v < 100000)
      return (int)v;
  }
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_init(cli_progress *pr, int setting) {
  memset(pr, 0, sizeof pr[0]);
  if (setting == CLI_PROGRESS_ON)
    pr->mode = MODE_BAR; /* explicit request wins over detection and -q */
  else if (setting == CLI_PROGRESS_OFF || g_cli.verbosity < 1)
    pr->mode = MODE_NONE;
  else
    pr->mode = cli_stderr_is_tty() ? MODE_BAR : MODE_LINES;
  pr->start = pr->last = cli_now();
  pr->phase = TP_PHASE_PLAN;
  g_pr.phase_start = pr->start;
  g_pr.last_len = 0;
}

static void fmt_eta(char *buf, size_t len, double s) {
  if (s < 0 || s > 360000.0) {
    snprintf(buf, len, "?");
    return;
  }
  unsigned long t = (unsigned long)(s + 0.5);
  if (t < 60)
    snprintf(buf, len, "%lus", t);
  else if (t < 3600)
    snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
  else
    snprintf(buf, len, "%luh%02lum", t / 3600, (t / 60) % 60);
}

static const char *phase_label(tp_phase ph) {
  switch (ph) {
  case TP_PHASE_PLAN:
    return "plan";
  case TP_PHASE_SYNC:
    return "sync";
  case TP_PHASE_VERIFY:
    return "verify";
  case TP_PHASE_COMPARE:
    return "compare";
  default:
    return "";
  }
}

/* Numbers shared by both displays. */
typedef struct stats_txt {
  int pct;
  char done[16], total[16], rate[20], eta[48];
} stats_txt;

static void make_stats(const cli_progress *pr, const tp_progress *p,
                       double now, stats_txt *t) {
  /* While writing or verifying, rate and ETA are those of the current
   * phase; once only syncing or done remains, an ETA means nothing and the
   * whole run's time and average rate are shown instead. */
  int finishing = p->phase == TP_PHASE_SYNC || p->phase == TP_PHASE_DONE;
  double el = now - (finishing ? pr->start : g_pr.phase_start);
  double rate = el > 0.05 ? (double)p->bytes_done / el : 0.0;
  t->pct = p->bytes_total
               ? (int)((double)p->bytes_done * 100.0 / (double)p->bytes_total)
               : (p->phase == TP_PHASE_DONE ? 100 : 0);
  if (t->pct > 100)
    t->pct = 100;
  cli_fmt_human(t->done, sizeof t->done, p->bytes_done);
  cli_fmt_human(t->total, sizeof t->total, p->bytes_total);
  if (rate > 0) {
    cli_fmt_human(t->rate, sizeof t->rate - 2, (uint64_t)rate);
    strncat(t->rate, "/s", sizeof t->rate - strlen(t->rate) - 1);
  } else {
    snprintf(t->rate, sizeof t->rate, "?/s");
  }
  char tm[32];
  if (finishing) {
    fmt_eta(tm, sizeof tm, el);
    snprintf(t->eta, sizeof t->eta, "time %s", tm);
  } else if (rate > 0) {
    fmt_eta(tm, sizeof tm,
            p->bytes_total > p->bytes_done
                ? (double)(p->bytes_total - p->bytes_done) / rate
                : 0.0);
    snprintf(t->eta, sizeof t->eta, "eta %s", tm);
  } else {
    snprintf(t->eta, sizeof t->eta, "eta ?");
  }
}

static void draw_bar(cli_progress *pr, const tp_progress *p, double now) {
  stats_txt t;
  char left[64], right[128], bar[64], line[1024];
  int width = cli_term_width() - 1; /* never touch the last column */
  if (width > (int)sizeof line - 1)
    width = (int)sizeof line - 1;
  make_stats(pr, p, now, &t);
  const char *lab = phase_label(p->phase);
  snprintf(left, sizeof left, "%s%s%3d%% ", lab, *lab ? " " : "", t.pct);
  snprintf(right, sizeof right, " %s/%s %s %s %llu/%llu", t.done,
           t.total, t.rate, t.eta, (unsigned long long)p->tensors_done,
           (unsigned long long)p->tensors_total);
  int fixed = (int)(strlen(left) + strlen(right));
  int bar_w = width - fixed - 2 - 16; /* leave room for a name */
  if (bar_w > 30)
    bar_w = 30;
  if (bar_w < 10)
    bar_w = width - fixed - 2 >= 10 ? 10 : 0;
  bar[0] = '\0';
  if (bar_w > 0) {
    int fill = t.pct * bar_w / 100;
    bar[0] = '[';
    for (int i = 0; i < bar_w; i++)
      bar[1 + i] = i < fill ? '#' : ' ';
    bar[1 + bar_w] = ']';
    bar[2 + bar_w] = '\0';
  }
  int n = snprintf(line, sizeof line, "%s%s%s", left, bar, right);
  if (n > width) { /* a very narrow terminal: cut, never wrap */
    n = width;
    line[n] = '\0';
  }
  const char *name = p->current && p->phase != TP_PHASE_DONE ? p->current : "";
  int room = width - n - 1;
  if (*name && room >= 10) { /* a few characters of a name help nobody */
    int nl = (int)strlen(name);
    /* Keep the end of a long name: "...layers.31.mlp.down_proj.weight"
     * says more than its common prefix. */
    if (nl <= room)
      n += snprintf(line + n, sizeof line - (size_t)n, " %s", name);
    else
      n += snprintf(line + n, sizeof line - (size_t)n, " ...%s",
                    name + nl - (room - 3));
  }
  /* Blank out what is left of a longer previous line. */
  int pad = g_pr.last_len > n ? g_pr.last_len - n : 0;
  fprintf(stderr, "\r%s%*s", line, pad, "");
  fflush(stderr);
  g_pr.last_len = n;
  pr->drawn = 1;
}

static void draw_line(const cli_progress *pr, const tp_progress *p,
                      double now) {
  stats_txt t;
  const char *lab = phase_label(p->phase);
  make_stats(pr, p, now, &t);
  fprintf(stderr, "tensorport: %s%s%d%% %s/%s %s %s\n", lab,
          *lab ? " " : "", t.pct, t.done, t.total, t.rate, t.eta);
  fflush(stderr);
}

int cli_progress_cb(const tp_progress *p, void *user) {
  cli_progress *pr = (cli_progress *)user;
  if (cli_signal_received())
    return 1; /* tp_request_cancel was called too; this is belt and braces */
  if (!pr || pr->mode == MODE_NONE)
    return 0;
  double now = cli_now();
  int changed = p->phase != pr->phase;
  if (changed) {
    pr->phase = p->phase;
    g_pr.phase_start = now;
  }
  if (pr->mode == MODE_BAR) {
    if (changed || p->phase == TP_PHASE_DONE ||
        now - pr->last >= BAR_INTERVAL) {
      draw_bar(pr, p, now);
      pr->last = now;
    }
  } else if (p->phase != TP_PHASE_DONE && now - pr->last >= LINE_INTERVAL) {
    draw_line(pr, p, now);
    pr->last = now;
  }
  return 0;
}

void cli_progress_finish(cli_progress *pr) {
  if (pr->drawn) {
    fputc('\n', stderr);
    fflush(stderr);
    pr->drawn = 0;
  }
}

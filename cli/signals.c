/*
 * signals.c - SIGINT, SIGTERM and SIGHUP handling for tensorport.
 *
 * Writing commands (convert, meta) install the CANCEL mode: the first
 * signal only records itself and calls tp_request_cancel(), so the library
 * stops at its next chunk, removes its temporary files and returns
 * TP_ECANCELED; the command then exits with 128 + signal. A second signal
 * means the user does not want to wait: the handler unlinks the temporary
 * files itself (async-signal-safe) and _exits.
 * Read-only commands (inspect, diff) use the EXIT mode: there is nothing to
 * clean up beyond what the library tracks, so the handler exits at once.
 *
 * Handlers are installed with sigaction and without SA_RESTART, so a
 * blocking read or write returns EINTR and the library notices early.
 * SIGPIPE is ignored (a closed stdout pipe becomes EPIPE, reported by
 * cli_finish_stdout) and SIGXFSZ too (exceeding RLIMIT_FSIZE becomes EFBIG,
 * an ordinary I/O error, instead of killing us with a partial temp file).
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t g_signal;
static volatile sig_atomic_t g_mode;

static void say(const char *s) {
  ssize_t r = write(STDERR_FILENO, s, strlen(s));
  (void)r;
}

static void on_signal(int sig) {
  if (g_mode == CLI_SIGNALS_CANCEL && !g_signal) {
    g_signal = sig;
    tp_request_cancel();
    return;
  }
  tp_cleanup_temp_files_signal_safe();
  if (g_mode == CLI_SIGNALS_CANCEL) {
    /* strlen and write are async-signal-safe; stdio is not */
    say("tensorport: interrupted again (");
    say(sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP");
    say("); removed the partial output without waiting\n");
  }
  _exit(128 + sig);
}

void cli_signals_install(int mode) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction sa;
  g_mode = mode;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(&sa.sa_mask, sigs[i]);
  sa.sa_flags = 0; /* no SA_RESTART: interrupted I/O returns EINTR */
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction old;
    /* A signal ignored by whoever started us (nohup, a background job of
     * a non-interactive shell) stays ignored, as POSIX shells expect. */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
      continue;
    sigaction(sigs[i], &sa, NULL);
  }

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
  sigaction(SIGXFSZ, &sa, NULL);
}

int cli_signal_received(void) { return (int)g_signal; }

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stopping cleanly on every signal whose default action would end the
 * process: a tc filter outlives a process killed by its signal, so each of
 * them is caught and becomes a request to stop (detach, final counters, exit
 * 0), as SIGTERM is. Only SIGKILL (and SIGSTOP) cannot be caught. Plain C.
 */
#ifndef TL_SIGNALS_H
#define TL_SIGNALS_H

/* Catch SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1/2, SIGALRM, SIGVTALRM,
 * SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGIO, SIGSTKFLT, the real-time signals
 * and the fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
 * SIGABRT): on_stop(sig) runs in the handler, so it may only set a flag.
 * A fault signal is a stop request only when another process sent it (kill,
 * sigqueue); a real fault, or one the process raised itself (abort()),
 * takes its default action as before. SIGPIPE is ignored: a write error
 * says that the reader went. Returns 0 or -errno. */
int stop_signals_install(void (*on_stop)(int sig));

#endif

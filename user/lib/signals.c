// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/signals.h"

/* Signals whose default action ends the process, besides the real-time
 * ones (signal(7)): terminate, or terminate with a core dump. */
static const int stop_sigs[] = {
    SIGHUP,    SIGINT,	SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
    SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR,  SIGIO,   SIGSTKFLT,
};
/* ... and those the kernel sends for a fault of the process itself. */
static const int fault_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT};

/* Set once before the handlers are installed; read only by them. */
static void (*stop_cb)(int sig);

static void on_stop_signal(int sig)
{
	stop_cb(sig);
}

static void on_fault_signal(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	int saved = errno;

	(void)uc;
	/* si_code <= 0: sent by a process (SI_USER, SI_QUEUE, SI_TKILL...);
	 * from another one it is a request to stop. */
	if (si->si_code <= 0 && si->si_pid != getpid()) {
		stop_cb(sig);
		errno = saved;
		return;
	}
	/* A real fault (or abort()): the default action, with its core dump.
	 * The signal is blocked in here, so it is delivered on return. */
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
	errno = saved;
}

int stop_signals_install(void (*on_stop)(int sig))
{
	struct sigaction sa = {.sa_handler = on_stop_signal};
	struct sigaction fa = {.sa_sigaction = on_fault_signal, .sa_flags = SA_SIGINFO};
	struct sigaction ign = {.sa_handler = SIG_IGN};
	size_t i;
	int sig;

	stop_cb = on_stop;
	/* Each handler runs with every stop signal blocked: one stop at a time */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		sigaddset(&sa.sa_mask, stop_sigs[i]);
	fa.sa_mask = sa.sa_mask;
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		if (sigaction(stop_sigs[i], &sa, NULL))
			return -errno;
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		if (sigaction(sig, &sa, NULL))
			return -errno;
	for (i = 0; i < sizeof(fault_sigs) / sizeof(fault_sigs[0]); i++)
		if (sigaction(fault_sigs[i], &fa, NULL))
			return -errno;
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, NULL))
		return -errno;
	return 0;
}

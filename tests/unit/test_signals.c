// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Every signal that would end the process is a request to stop; a real fault
 * still ends it. Each case in a child process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "lib/signals.h"

static volatile sig_atomic_t got;

static void on_stop(int sig)
{
	got = sig;
}

enum after {
	WAIT_FOR_STOP, /* exit with the signal number seen */
	FAULT,	       /* dereference NULL */
	ABORT,	       /* abort() */
};

/* A child that installs the handlers, says so on the pipe, then does what;
 * the parent sends sig (0: none), then sig2 (0: none). Returns the child's
 * wait status. */
static int child(enum after what, int sig, int sig2)
{
	struct rlimit no_core = {0, 0};
	int p[2], status;
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		close(p[0]);
		if (stop_signals_install(on_stop))
			_exit(100);
		if (write(p[1], "x", 1) != 1)
			_exit(101);
		if (what == FAULT) {
			/* (a sanitizer's report of it is no output of the test) */
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, STDERR_FILENO);
			*(volatile int *)(uintptr_t)0 = 1;
		}
		if (what == ABORT)
			abort();
		for (int i = 0; i < 5000 && !got; i++)
			usleep(1000);
		_exit(got);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	if (sig)
		kill(pid, sig);
	if (sig2)
		kill(pid, sig2);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Sent by another process, each is seen by the handler, and the process
 * goes on to end by itself. */
static void test_stop_signals(void **state)
{
	const int sigs[] = {SIGHUP,    SIGINT,	SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
			    SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR,  SIGIO,   SIGSTKFLT,
			    SIGSEGV,   SIGBUS,	SIGILL,	 SIGFPE,  SIGTRAP, SIGSYS,  SIGABRT};
	size_t i;
	int status;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		status = child(WAIT_FOR_STOP, sigs[i], 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != sigs[i])
			fail_msg("signal %d (%s): status 0x%x", sigs[i], strsignal(sigs[i]),
				 status);
	}
}

static void test_realtime_signals(void **state)
{
	int sig, status;

	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		status = child(WAIT_FOR_STOP, sig, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != sig)
			fail_msg("signal %d: status 0x%x", sig, status);
	}
}

/* SIGPIPE is ignored: the process is still there for the SIGTERM after it
 * (had SIGPIPE its default action, the lower number would be delivered
 * first and end it). */
static void test_sigpipe_ignored(void **state)
{
	int status = child(WAIT_FOR_STOP, SIGPIPE, SIGTERM);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), SIGTERM);
}

/* A real fault, and abort(), still end the process by their signal. (Built
 * with AddressSanitizer, whose own SIGSEGV handler comes first, the fault
 * ends it through ASan's report: exit 1. Either way it is no stop request,
 * which would exit with SIGSEGV's number.) */
static void test_real_fault(void **state)
{
	int status = child(FAULT, 0, 0);

#ifdef __SANITIZE_ADDRESS__
	if (WIFEXITED(status)) {
		assert_int_equal(WEXITSTATUS(status), 1);
	} else
#endif
	{
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGSEGV);
	}
	status = child(ABORT, 0, 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stop_signals),
	    cmocka_unit_test(test_realtime_signals),
	    cmocka_unit_test(test_sigpipe_ignored),
	    cmocka_unit_test(test_real_fault),
	};

	return cmocka_run_group_tests_name("signals", tests, NULL, NULL);
}

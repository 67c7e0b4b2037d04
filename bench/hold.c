// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hold IFNAME tcx|tc OBJ: attach OBJ's first program to IFNAME's ingress and
 * egress (tcx links, or cls_bpf on clsact at prio 1), print "ready", and hold
 * them until SIGTERM. The benchmark's baseline: an empty tc program.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_object *obj;
	unsigned int ifindex;
	int fd, d, links[2] = { -1, -1 }, tcx;

	if (argc != 4) {
		fprintf(stderr, "usage: hold IFNAME tcx|tc OBJ\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	tcx = !strcmp(argv[2], "tcx");
	obj = bpf_object__open_file(argv[3], NULL);
	if (!ifindex || !obj || bpf_object__load(obj)) {
		fprintf(stderr, "hold: %s\n", strerror(errno));
		return 1;
	}
	fd = bpf_program__fd(bpf_object__next_program(obj, NULL));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 7, .priority = 1, .prog_fd = fd);

		if (tcx) {
			links[d] = bpf_link_create(fd, ifindex, d ? 47 : 46, NULL);
			if (links[d] < 0) {
				fprintf(stderr, "hold: tcx: %s\n", strerror(errno));
				return 1;
			}
		} else {
			bpf_tc_hook_create(&hook);
			if (bpf_tc_attach(&hook, &opts)) {
				fprintf(stderr, "hold: tc: %s\n", strerror(errno));
				return 1;
			}
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 7, .priority = 1);

		if (tcx)
			close(links[d]);
		else
			bpf_tc_detach(&hook, &opts);
	}
	bpf_object__close(obj);
	return 0;
}

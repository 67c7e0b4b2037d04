// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tchold IFNAME ingress|egress|both tcx|tc OBJ [DADDR]: attach the first
 * program of OBJ to IFNAME (a tcx link appended after what is there, or
 * cls_bpf at prio 5 handle 5 on clsact), print "ready", and hold it until
 * SIGTERM; then detach, and if OBJ has a map "seen" (counter.bpf.o), print
 * "total N matched M". DADDR sets the first rodata word (counter.bpf.o's
 * match_daddr). A test's own program next to tunleak (transparency), and the
 * benchmark's baseline (empty.bpf.o).
 */
#include <arpa/inet.h>
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
	struct sigaction sa = {.sa_handler = on_signal};
	int d, fd, tcx, links[2] = {-1, -1}, dirs[2];
	struct bpf_object *obj;
	struct bpf_map *m;
	unsigned int ifindex;
	__u32 daddr = 0;

	if (argc < 5 || argc > 6 || (argc == 6 && inet_pton(AF_INET, argv[5], &daddr) != 1)) {
		fprintf(stderr, "usage: tchold IFNAME ingress|egress|both tcx|tc OBJ [DADDR]\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	dirs[0] = strcmp(argv[2], "egress") != 0;  /* ingress */
	dirs[1] = strcmp(argv[2], "ingress") != 0; /* egress */
	tcx = !strcmp(argv[3], "tcx");
	obj = bpf_object__open_file(argv[4], NULL);
	if (!ifindex || !obj) {
		fprintf(stderr, "tchold: %s: %s\n", ifindex ? argv[4] : argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(m, obj) if (argc == 6 && strstr(bpf_map__name(m), ".rodata"))
	    bpf_map__set_initial_value(m, &daddr, sizeof(daddr));
	if (bpf_object__load(obj)) {
		fprintf(stderr, "tchold: load: %s\n", strerror(errno));
		return 1;
	}
	fd = bpf_program__fd(bpf_object__next_program(obj, NULL));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 5, .priority = 5, .prog_fd = fd);

		if (!dirs[d])
			continue;
		if (tcx)
			links[d] = bpf_link_create(fd, ifindex, d ? 47 : 46, NULL);
		else
			bpf_tc_hook_create(&hook);
		if ((tcx && links[d] < 0) || (!tcx && bpf_tc_attach(&hook, &opts))) {
			fprintf(stderr, "tchold: attach %s: %s\n", d ? "egress" : "ingress",
				strerror(errno));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	for (d = 0; d < 2; d++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = d ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 5, .priority = 5);

		if (!dirs[d])
			continue;
		if (tcx)
			close(links[d]);
		else
			bpf_tc_detach(&hook, &opts);
	}
	m = bpf_object__find_map_by_name(obj, "seen");
	if (m) {
		__u64 total = 0, matched = 0;
		__u32 k = 0;

		bpf_map_lookup_elem(bpf_map__fd(m), &k, &total);
		k = 1;
		bpf_map_lookup_elem(bpf_map__fd(m), &k, &matched);
		printf("total %llu matched %llu\n", (unsigned long long)total,
		       (unsigned long long)matched);
	}
	bpf_object__close(obj);
	return 0;
}

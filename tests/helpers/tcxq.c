// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcxq IFNAME: print "ingress N egress M", the number of programs attached
 * through tcx on IFNAME in the current network namespace (bpftool 7.1 does
 * not list tcx links). Exit 1 when IFNAME does not exist.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

static int count(unsigned int ifindex, int type)
{
	__u32 cnt = 0;

	if (bpf_prog_query(ifindex, type, 0, NULL, NULL, &cnt))
		return -errno;
	return cnt;
}

int main(int argc, char **argv)
{
	unsigned int ifindex;
	int in, eg;

	if (argc != 2) {
		fprintf(stderr, "usage: tcxq IFNAME\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "tcxq: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	in = count(ifindex, 46 /* BPF_TCX_INGRESS */);
	eg = count(ifindex, 47 /* BPF_TCX_EGRESS */);
	if (in < 0 || eg < 0) {
		fprintf(stderr, "tcxq: query %s: %s\n", argv[1], strerror(-(in < 0 ? in : eg)));
		return 1;
	}
	printf("ingress %d egress %d\n", in, eg);
	return 0;
}

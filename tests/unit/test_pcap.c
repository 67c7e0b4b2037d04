// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pcap writer: read back byte by byte, and by tcpdump. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "pcap.h"

static char path[] = "/tmp/tunleak-pcap-XXXXXX";

/* An ICMP echo request, 84 bytes, 10.8.0.2 -> 10.130.0.5 */
static void echo(uint8_t *p, int seq)
{
	memset(p, 0, 84);
	p[0] = 0x45;
	p[3] = 84;
	p[8] = 64;
	p[9] = 1;
	inet_pton(AF_INET, "10.8.0.2", p + 12);
	inet_pton(AF_INET, "10.130.0.5", p + 16);
	p[20] = 8;
	p[27] = seq;
}

static void test_records(void **state)
{
	int fd = mkstemp(path);
	struct pcap_writer *w;
	uint8_t pkt[84], buf[512];
	uint32_t u;
	FILE *f;
	int i;

	close(fd);
	w = pcap__open(path, 64, 0);
	assert_non_null(w);
	for (i = 0; i < 3; i++) {
		echo(pkt, i + 1);
		assert_int_equal(pcap__write(w, 1795694401123456789ULL + i, pkt, 84, 84), 0);
	}
	assert_int_equal(pcap__packets(w), 3);
	pcap__close(w);

	f = fopen(path, "rb");
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 24 + 3 * (16 + 64));
	fclose(f);
	memcpy(&u, buf, 4);
	assert_int_equal(u, 0xa1b23c4d); /* nanosecond pcap */
	memcpy(&u, buf + 16, 4);
	assert_int_equal(u, 64); /* snaplen */
	memcpy(&u, buf + 20, 4);
	assert_int_equal(u, PCAP_LINKTYPE_RAW);
	memcpy(&u, buf + 24, 4);
	assert_int_equal(u, 1795694401);
	memcpy(&u, buf + 28, 4);
	assert_int_equal(u, 123456789);
	memcpy(&u, buf + 32, 4);
	assert_int_equal(u, 64); /* captured: cut at the snaplen */
	memcpy(&u, buf + 36, 4);
	assert_int_equal(u, 84); /* on the wire */
	assert_int_equal(buf[40], 0x45);
}

static void test_tcpdump_reads_it(void **state)
{
	char cmd[256], line[256];
	FILE *p;
	int n = 0;

	if (system("command -v tcpdump >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof(cmd), "tcpdump -n -r %s 2>/dev/null", path);
	p = popen(cmd, "r");
	while (fgets(line, sizeof(line), p)) {
		if (!strstr(line, "IP 10.8.0.2 > 10.130.0.5: ICMP echo request"))
			fail_msg("unexpected line: %s", line);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 3);
}

static void test_size_limit(void **state)
{
	struct pcap_writer *w = pcap__open(path, 256, 24 + 2 * (16 + 84));
	uint8_t pkt[84];

	assert_non_null(w);
	echo(pkt, 1);
	assert_int_equal(pcap__write(w, 1, pkt, 84, 84), 0);
	assert_int_equal(pcap__write(w, 2, pkt, 84, 84), 0);
	assert_int_equal(pcap__write(w, 3, pkt, 84, 84), -ENOSPC);
	assert_int_equal(pcap__packets(w), 2);
	assert_int_equal(pcap__dropped(w), 1);
	pcap__close(w);
	assert_null(pcap__open("/nonexistent-dir/x.pcap", 256, 0));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_tcpdump_reads_it),
		cmocka_unit_test(test_size_limit),
	};

	return cmocka_run_group_tests_name("pcap", tests, NULL, NULL);
}

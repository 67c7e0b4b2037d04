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
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "out/pcap.h"

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

/* A full file system, as a file size limit (RLIMIT_FSIZE; SIGXFSZ ignored)
 * gives it without privileges: a record written in part. The file goes back
 * to its last whole record and stops; every packet after is counted as not
 * written, and tcpdump reads the file to its end. */
static void test_write_error(void **state)
{
	struct rlimit old, small = {24 + 3 * (16 + 84) + 50, RLIM_INFINITY};
	struct pcap_writer *w;
	struct stat st;
	uint64_t unwritten = 0;
	uint8_t pkt[84];
	char cmd[256], out[64] = "";
	FILE *p;
	char path[] = "/tmp/tunleak-pcapfull-XXXXXX";
	int fd = mkstemp(path), i;

	assert_true(fd >= 0);
	close(fd);
	w = pcap__open(path, 256, 0);
	assert_non_null(w);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	small.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	echo(pkt, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(pcap__write(w, i, pkt, 84, 84), 0);
	/* the fourth crosses the limit: half of it would be written */
	assert_int_equal(pcap__write(w, 3, pkt, 84, 84), -ENOSPC);
	assert_int_equal(pcap__write(w, 4, pkt, 84, 84), -EIO);
	assert_int_equal(pcap__write(w, 5, pkt, 84, 84), -EIO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	/* space again: still nothing after a record that could be torn */
	assert_int_equal(pcap__write(w, 6, pkt, 84, 84), -EIO);
	assert_int_equal(pcap__error(w, &unwritten), ENOSPC);
	assert_int_equal(unwritten, 4);
	assert_int_equal(pcap__packets(w), 3);
	assert_string_equal(pcap__path(w), path);
	pcap__close(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 24 + 3 * (16 + 84));
	snprintf(cmd, sizeof(cmd), "tcpdump -nr %s 2>/dev/null | wc -l", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "3\n");
	unlink(path);
}

/* Nothing that can block or that is not a regular file: a FIFO (no reader:
 * an open for writing would wait forever), a symlink, a device. Each is
 * refused with EINVAL and stays what it was. (alarm: a hang fails the test.)
 * The device is the test's own (/dev/null's numbers): a regression must not
 * hit the machine's; without the privilege to make one, /dev/null, which an
 * unprivileged process cannot replace. */
static char dir[] = "/tmp/tunleak-pcapdir-XXXXXX";

/* The directory goes also when an assertion failed half-way. */
static int remove_dir(void **state)
{
	char cmd[96];

	if (strstr(dir, "XXXXXX"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static void test_not_regular(void **state)
{
	char fifo[64], link[64], target[64], dev[64];
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(dev, sizeof(dev), "%s/dev", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(target, link), 0);
	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)))
		snprintf(dev, sizeof(dev), "/dev/null");
	alarm(5);
	errno = 0;
	assert_null(pcap__open(fifo, 256, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pcap__open(link, 256, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pcap__open(dev, 256, 0));
	assert_int_equal(errno, EINVAL);
	alarm(0);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(target, &st), -1); /* nothing made behind the link */
	assert_int_equal(stat(dev, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* A regular file is replaced: truncated, then the header. */
static void test_replaces_regular(void **state)
{
	char old[] = "/tmp/tunleak-pcap-old-XXXXXX";
	int fd = mkstemp(old);
	struct pcap_writer *w;
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789012345678901234567890123456789", 40), 40);
	close(fd);
	w = pcap__open(old, 256, 0);
	assert_non_null(w);
	pcap__close(w);
	assert_int_equal(stat(old, &st), 0);
	assert_int_equal(st.st_size, 24);
	unlink(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_tcpdump_reads_it),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_write_error),
	    cmocka_unit_test_teardown(test_not_regular, remove_dir),
	    cmocka_unit_test(test_replaces_regular),
	};

	return cmocka_run_group_tests_name("pcap", tests, NULL, NULL);
}

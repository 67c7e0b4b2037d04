// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "out/pcap.h"

#define PCAP_MAGIC_NS 0xa1b23c4dU

struct pcap_file_header_ {
	uint32_t magic;
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_rec_header_ {
	uint32_t ts_sec, ts_nsec, caplen, origlen;
};

struct pcap_writer {
	int fd;
	int err; /* the write error that stopped the file; 0: none */
	unsigned int snaplen;
	uint64_t max_bytes, size, packets, dropped, unwritten;
	char path[256];
	unsigned char buf[sizeof(struct pcap_rec_header_) + 65536];
};

struct pcap_writer *pcap__open(const char *path, unsigned int snaplen, uint64_t max_bytes)
{
	struct pcap_file_header_ h = {PCAP_MAGIC_NS, 2, 4, 0, 0, snaplen, PCAP_LINKTYPE_RAW};
	struct pcap_writer *w = calloc(1, sizeof(*w));

	struct stat st;
	int e = 0;

	if (!w)
		return NULL;
	/* A regular file or nothing. A FIFO would block the open until a
	 * reader comes, a device may act on being opened, a symlink would be
	 * written through: refused before opening. O_NOFOLLOW and O_NONBLOCK
	 * keep it so if the path changes meanwhile (ELOOP, ENXIO), and the
	 * file is truncated only once it is known to be a regular one. */
	if (!lstat(path, &st) && !S_ISREG(st.st_mode))
		e = EINVAL;
	if (!e) {
		w->fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
		if (w->fd < 0)
			e = errno == ELOOP || errno == ENXIO ? EINVAL : errno;
		else if (fstat(w->fd, &st))
			e = errno;
		else if (!S_ISREG(st.st_mode))
			e = EINVAL;
		else if (ftruncate(w->fd, 0))
			e = errno;
		if (e && w->fd >= 0)
			close(w->fd);
	}
	if (e) {
		free(w);
		errno = e;
		return NULL;
	}
	if (write(w->fd, &h, sizeof(h)) != sizeof(h)) {
		int e = errno ? errno : EIO;

		close(w->fd);
		free(w);
		errno = e;
		return NULL;
	}
	w->snaplen = snaplen;
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->max_bytes = max_bytes;
	w->size = sizeof(h);
	return w;
}

int pcap__write(struct pcap_writer *w, uint64_t ts_ns, const void *data, uint32_t caplen,
		uint32_t origlen)
{
	struct pcap_rec_header_ r;
	ssize_t ret;
	size_t n;

	if (w->err) {
		w->unwritten++;
		return -EIO;
	}
	if (caplen > w->snaplen)
		caplen = w->snaplen;
	if (caplen > sizeof(w->buf) - sizeof(r))
		caplen = sizeof(w->buf) - sizeof(r);
	n = sizeof(r) + caplen;
	if (w->max_bytes && w->size + n > w->max_bytes) {
		w->dropped++;
		return -ENOSPC;
	}
	r.ts_sec = (uint32_t)(ts_ns / 1000000000ULL);
	r.ts_nsec = (uint32_t)(ts_ns % 1000000000ULL);
	r.caplen = caplen;
	r.origlen = origlen < caplen ? caplen : origlen;
	memcpy(w->buf, &r, sizeof(r));
	memcpy(w->buf + sizeof(r), data, caplen);
	/* one write per record: whole records only, even if we are killed */
	ret = write(w->fd, w->buf, n);
	if (ret != (ssize_t)n) {
		/* A short write is a full file system (or quota). A torn record
		 * would make every later one unreadable: the file goes back to
		 * its last whole record, and nothing more is written to it. */
		w->err = ret < 0 ? errno : ENOSPC;
		if (ret > 0 && ftruncate(w->fd, w->size))
			w->err = errno;
		w->unwritten++;
		return -w->err;
	}
	w->size += n;
	w->packets++;
	return 0;
}

uint64_t pcap__packets(const struct pcap_writer *w)
{
	return w ? w->packets : 0;
}

uint64_t pcap__dropped(const struct pcap_writer *w)
{
	return w ? w->dropped : 0;
}

int pcap__error(const struct pcap_writer *w, uint64_t *unwritten)
{
	if (unwritten)
		*unwritten = w ? w->unwritten : 0;
	return w ? w->err : 0;
}

const char *pcap__path(const struct pcap_writer *w)
{
	return w->path;
}

void pcap__close(struct pcap_writer *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w);
}

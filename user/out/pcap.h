/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --pcap: the first packets of every leak and bypass flow, in a classic pcap
 * file (nanosecond timestamps, link type RAW: each record starts at the IP
 * header, so tunnel and cluster packets share one file). Each record is one
 * write(): a killed run leaves a file tcpdump reads to its last whole
 * record. Bounded in size. Plain C.
 */
#ifndef TL_PCAP_H
#define TL_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_LINKTYPE_RAW 101 /* IPv4 or IPv6 from the first byte */

struct pcap_writer;

/* Create (or truncate) path and write the file header. path must be a
 * regular file or absent: anything else (FIFO, symlink, device) is left as it
 * is, never opened, and is EINVAL. NULL and errno. */
struct pcap_writer *pcap__open(const char *path, unsigned int snaplen, uint64_t max_bytes);
/* Append one packet (realtime ns). -ENOSPC when it would pass max_bytes
 * (counted as dropped), -errno on a write error. */
int pcap__write(struct pcap_writer *w, uint64_t ts_ns, const void *data, uint32_t caplen,
		uint32_t origlen);
uint64_t pcap__packets(const struct pcap_writer *w);
uint64_t pcap__dropped(const struct pcap_writer *w);
void pcap__close(struct pcap_writer *w);

#endif

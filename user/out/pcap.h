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
 * (counted as dropped). On a write error (a full file system: ENOSPC, also
 * for a short write) the file is cut back to its last whole record and
 * stops: -errno, then -EIO for every later packet, each counted as not
 * written (pcap__error). */
int pcap__write(struct pcap_writer *w, uint64_t ts_ns, const void *data, uint32_t caplen,
		uint32_t origlen);
uint64_t pcap__packets(const struct pcap_writer *w);
uint64_t pcap__dropped(const struct pcap_writer *w);
/* The errno that stopped the file (0: none); *unwritten: packets not written since. */
int pcap__error(const struct pcap_writer *w, uint64_t *unwritten);
const char *pcap__path(const struct pcap_writer *w);
void pcap__close(struct pcap_writer *w);

#endif

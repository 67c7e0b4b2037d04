// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "output.h"

static const char *const dir_names[2] = { "ingress", "egress" };

void snapshot_totals(const struct snapshot *s, struct totals *t)
{
	int i, c;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < s->nr_ifaces; i++) {
		const struct iface_snap *is = &s->ifaces[i];

		if (is->role == TL_ROLE_TUNNEL) {
			for (c = TL_CLASS_POD; c <= TL_CLASS_NODE; c++) {
				t->leak_packets += is->c[TL_DIR_EGRESS][c].packets;
				t->leak_bytes += is->c[TL_DIR_EGRESS][c].bytes;
			}
		} else {
			t->bypass_packets += is->c[TL_DIR_EGRESS][TL_CLASS_REMOTE].packets;
			t->bypass_bytes += is->c[TL_DIR_EGRESS][TL_CLASS_REMOTE].bytes;
		}
	}
	t->leak_flows = s->stats[TL_STAT_LEAK_FLOWS];
	t->bypass_flows = s->stats[TL_STAT_BYPASS_FLOWS];
}

static void json_counter(FILE *f, const char *name, const struct tl_counter *c)
{
	fprintf(f, "\"%s\": {\"packets\": %llu, \"bytes\": %llu}", name,
		(unsigned long long)c->packets, (unsigned long long)c->bytes);
}

int export_render_json(FILE *f, const struct snapshot *s)
{
	const struct flow_rec *r = NULL;
	struct totals t;
	char ts[32];
	int i, d, c, n = 0;

	snapshot_totals(s, &t);
	fprintf(f, "{\n  \"version\": 1,\n");
	fprintf(f, "  \"started\": \"%s\",\n", format_time(s->started_ns, ts, sizeof(ts)));
	fprintf(f, "  \"updated\": \"%s\",\n", format_time(s->updated_ns, ts, sizeof(ts)));
	fprintf(f, "  \"netns\": ");
	if (s->netns)
		json_string(f, s->netns);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"attach\": \"%s\",\n", s->attach_mode ? s->attach_mode : "none");
	fprintf(f, "  \"interfaces\": {");
	for (i = 0; i < s->nr_ifaces; i++) {
		const struct iface_snap *is = &s->ifaces[i];

		fprintf(f, "%s\n    ", i ? "," : "");
		json_string(f, is->name);
		fprintf(f, ": {\"role\": \"%s\", \"state\": \"%s\", \"link\": \"%s\"",
			is->role == TL_ROLE_TUNNEL ? "tunnel" : "cluster", is->state,
			is->l2 ? "l2" : "l3");
		for (d = 0; d < 2; d++) {
			fprintf(f, ",\n      \"%s\": {", dir_names[d]);
			for (c = 0; c < TL_NR_CLASSES; c++) {
				fputs(c ? ", " : "", f);
				json_counter(f, class_name(c), &is->c[d][c]);
			}
			fputs("}", f);
		}
		/* Frames that have no class: not IP, or too short to read. */
		for (c = TL_CNT_NONIP; c <= TL_CNT_MALFORMED; c++) {
			fprintf(f, ",\n      \"%s\": {", class_name(c));
			json_counter(f, "ingress", &is->c[TL_DIR_INGRESS][c]);
			fputs(", ", f);
			json_counter(f, "egress", &is->c[TL_DIR_EGRESS][c]);
			fputs("}", f);
		}
		fputs("}", f);
	}
	fprintf(f, "\n  },\n");
	fprintf(f,
		"  \"leaks\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"flows\": %" PRIu64
		"},\n",
		t.leak_packets, t.leak_bytes, t.leak_flows);
	fprintf(f,
		"  \"bypass\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
		", \"flows\": %" PRIu64 "},\n",
		t.bypass_packets, t.bypass_bytes, t.bypass_flows);
	fprintf(f,
		"  \"events\": {\"emitted\": %" PRIu64 ", \"dropped\": %" PRIu64
		", \"received\": %" PRIu64 ", \"recovered\": %" PRIu64 "},\n",
		s->stats[TL_STAT_EVENTS_EMITTED], s->stats[TL_STAT_EVENTS_DROPPED], s->received,
		s->recovered);
	fprintf(f,
		"  \"errors\": {\"flow_insert_failed\": %" PRIu64 ", \"unknown_iface\": %" PRIu64
		", \"flows_evicted\": %" PRIu64 "},\n",
		s->stats[TL_STAT_FLOW_INSERT_FAIL], s->stats[TL_STAT_UNKNOWN_IFACE],
		s->flows ? flows__evicted(s->flows) : 0);
	if (s->pcap_path) {
		fprintf(f, "  \"pcap\": {\"file\": ");
		json_string(f, s->pcap_path);
		fprintf(f,
			", \"packets\": %" PRIu64 ", \"dropped_size_limit\": %" PRIu64
			", \"dropped_ring_full\": %" PRIu64 "},\n",
			s->pcap_packets, s->pcap_dropped, s->stats[TL_STAT_PCAP_DROPPED]);
	}
	fprintf(f, "  \"flows\": [");
	while (s->flows && (r = flows__next(s->flows, r))) {
		char src[46], dst[46], pb[8], first[32], last[32];

		fprintf(f, "%s\n    {\"type\": \"%s\", \"iface\": ", n++ ? "," : "",
			r->type == TL_TYPE_LEAK ? "leak" : "bypass");
		json_string(f, r->iface);
		fprintf(f,
			", \"direction\": \"%s\", \"family\": \"%s\", \"src\": \"%s\", \"dst\": \"%s\", "
			"\"proto\": \"%s\", \"sport\": %u, \"dport\": %u, \"class\": \"%s\", "
			"\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
			", \"first\": \"%s\", \"last\": \"%s\", \"route\": ",
			dir_names[r->key.dir & 1], r->key.family == 6 ? "ipv6" : "ipv4",
			addr_format(r->key.family, r->key.src, src, sizeof(src)),
			addr_format(r->key.family, r->key.dst, dst, sizeof(dst)),
			proto_name(r->key.proto, pb, sizeof(pb)), ntohs(r->key.sport),
			ntohs(r->key.dport), class_name(r->cls), r->packets, r->bytes,
			format_time(r->first_ns, first, sizeof(first)),
			format_time(r->last_ns, last, sizeof(last)));
		if (r->has_route)
			json_string(f, r->route);
		else
			fputs("null", f);
		fprintf(f, ", \"reply\": %s, \"reply_to\": ", r->reply ? "true" : "false");
		if (r->reply)
			json_string(f, r->reply_to);
		else
			fputs("null", f);
		fputs("}", f);
	}
	fprintf(f, "%s]\n}\n", n ? "\n  " : "");
	return ferror(f) ? -EIO : 0;
}

static void prom_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int export_render_prom(FILE *f, const struct snapshot *s)
{
	struct totals t;
	int i, d, c;

	snapshot_totals(s, &t);
	prom_head(f, "tunleak_packets_total", "counter",
		  "Packets seen per interface, direction and address class (GSO segments counted).");
	for (i = 0; i < s->nr_ifaces; i++)
		for (d = 0; d < 2; d++)
			for (c = 0; c < TL_NR_COUNTERS; c++)
				fprintf(f,
					"tunleak_packets_total{iface=\"%s\",direction=\"%s\",class=\"%s\"} %llu\n",
					s->ifaces[i].name, dir_names[d], class_name(c),
					(unsigned long long)s->ifaces[i].c[d][c].packets);
	prom_head(f, "tunleak_bytes_total", "counter",
		  "L3 bytes seen per interface, direction and address class.");
	for (i = 0; i < s->nr_ifaces; i++)
		for (d = 0; d < 2; d++)
			for (c = 0; c < TL_NR_COUNTERS; c++)
				fprintf(f,
					"tunleak_bytes_total{iface=\"%s\",direction=\"%s\",class=\"%s\"} %llu\n",
					s->ifaces[i].name, dir_names[d], class_name(c),
					(unsigned long long)s->ifaces[i].c[d][c].bytes);
	prom_head(f, "tunleak_leak_packets_total", "counter",
		  "Cluster-bound packets that left through a tunnel interface.");
	fprintf(f, "tunleak_leak_packets_total %" PRIu64 "\n", t.leak_packets);
	prom_head(f, "tunleak_leak_bytes_total", "counter",
		  "L3 bytes of cluster-bound packets that left through a tunnel interface.");
	fprintf(f, "tunleak_leak_bytes_total %" PRIu64 "\n", t.leak_bytes);
	prom_head(f, "tunleak_leak_flows", "gauge", "Distinct leak flows seen since start.");
	fprintf(f, "tunleak_leak_flows %" PRIu64 "\n", t.leak_flows);
	prom_head(f, "tunleak_bypass_packets_total", "counter",
		  "Remote-bound packets that left through a cluster interface.");
	fprintf(f, "tunleak_bypass_packets_total %" PRIu64 "\n", t.bypass_packets);
	prom_head(f, "tunleak_bypass_flows", "gauge", "Distinct bypass flows seen since start.");
	fprintf(f, "tunleak_bypass_flows %" PRIu64 "\n", t.bypass_flows);
	prom_head(f, "tunleak_events_emitted_total", "counter",
		  "Leak and bypass flow events written to the ring buffer.");
	fprintf(f, "tunleak_events_emitted_total %" PRIu64 "\n",
		s->stats[TL_STAT_EVENTS_EMITTED]);
	prom_head(f, "tunleak_events_dropped_total", "counter",
		  "Flow events lost to a full ring buffer (the flows are still swept).");
	fprintf(f, "tunleak_events_dropped_total %" PRIu64 "\n",
		s->stats[TL_STAT_EVENTS_DROPPED]);
	prom_head(f, "tunleak_interface_up", "gauge",
		  "1 while tunleak is attached to the interface.");
	for (i = 0; i < s->nr_ifaces; i++)
		fprintf(f, "tunleak_interface_up{iface=\"%s\",role=\"%s\"} %d\n",
			s->ifaces[i].name,
			s->ifaces[i].role == TL_ROLE_TUNNEL ? "tunnel" : "cluster",
			!strcmp(s->ifaces[i].state, "attached"));
	return ferror(f) ? -EIO : 0;
}

int export_write(const char *path, enum export_fmt fmt, const struct snapshot *s)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	FILE *f = NULL;
	int fd, err;

	if (!tmp)
		return -ENOMEM;
	/* Same directory as the target, so the rename is atomic. */
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail;
	}
	err = fmt == EXPORT_PROM ? export_render_prom(f, s) : export_render_json(f, s);
	if (!err && fflush(f))
		err = -errno;
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && chmod(tmp, 0644))
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err) {
		free(tmp);
		return 0;
	}
fail:
	unlink(tmp);
	free(tmp);
	return err;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --cidrs-from: the pod and service CIDRs from OpenShift's cluster network
 * configuration, as `oc get network.config.openshift.io cluster -o json`
 * prints it (config.openshift.io/v1 Network). Plain C, no libbpf.
 *
 *   spec.clusterNetwork[].cidr  -> class pod      (else status.clusterNetwork[].cidr)
 *   spec.serviceNetwork[]       -> class service  (else status.serviceNetwork[])
 *
 * The spec is what the administrator asked for, the status what the network
 * operator deployed; the status fills in when the spec lacks a list (or it
 * is empty). The node network is not in this object: --node-cidr stays
 * explicit. A List holding exactly one Network (`oc get network.config -o
 * json` without the name) is read as that Network.
 */
#ifndef TL_NETCONF_H
#define TL_NETCONF_H

#include <stddef.h>

#include "model/cidr.h"

/* More CIDRs than a cluster has; a bound on what a file can make us load. */
#define NETCONF_MAX_CIDRS 256
/* The largest file read: `oc get network.config.openshift.io cluster -o json`
 * prints a few KiB. json-c's tree of it costs at most ~50 MiB (lib/jsonc.h). */
#define NETCONF_MAX_SIZE (1u << 20)

/* Parse buf[0..len) (with json-c, bounded: lib/jsonc.h) into a new array of
 * CIDRs (*out, free() it), pod ones first, a CIDR listed twice kept once.
 * Returns 0, or -EINVAL / -E2BIG / -ENOMEM with one line in err naming what
 * is missing or bad, such as
 * `no spec.clusterNetwork[].cidr or status.clusterNetwork[].cidr` or
 * `spec.serviceNetwork[1] "172.30.0.1/16": host bits are set (did you mean
 * 172.30.0.0/16?)`. */
int netconf_parse(const char *buf, size_t len, struct class_cidr **out, int *n, char *err,
		  size_t errlen);

/* The same from a file, or from stdin when path is "-". A path must be a
 * regular file (a FIFO or device could block or never end); stdin may be a
 * pipe. At most NETCONF_MAX_SIZE bytes. Returns 0 or a negative errno, with
 * one line in err that starts with the path ("stdin" for "-"). */
int netconf_read_file(const char *path, struct class_cidr **out, int *n, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Probes loaded ahead of time: when many namespaces start at once (--all at
 * start), the verifier's time, which is most of a namespace's start, is
 * spent on every CPU in parallel; each tracer then takes a loaded probe.
 */
#ifndef TL_POOL_H
#define TL_POOL_H

#include <signal.h>

struct datapath;
struct probe;
struct probe_pool;

struct probe_pool *probe_pool__new(struct datapath *dp);
/* Load n probes on up to POOL_MAX_THREADS threads; stops early when *stop
 * is set. Returns how many are ready. */
int probe_pool__fill(struct probe_pool *pool, int n, const volatile sig_atomic_t *stop);
/* A loaded probe (the caller owns it), or NULL: none left, or pool NULL. */
struct probe *probe_pool__take(struct probe_pool *pool);
/* How many are loaded and not taken (0 for NULL). */
int probe_pool__ready(const struct probe_pool *pool);
/* Frees the probes nobody took. */
void probe_pool__free(struct probe_pool *pool);

#define POOL_MAX_THREADS 16

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bpf/tunleak.h for user space: its types, and its layout pinned. */
#ifndef TL_ABI_H
#define TL_ABI_H

#include <linux/types.h>

#include "tunleak.h"

_Static_assert(TL_MAX_SLOTS <= 65536, "a slot is a __u16 in flow keys and tl_iface");
_Static_assert(TL_MAX_SLOTS % 2 == 0, "two slots' counters are whole cache lines");
_Static_assert(sizeof(struct tl_iface_key) == 16, "tl_iface_key layout");
_Static_assert(sizeof(struct tl_iface) == 4, "tl_iface layout");
_Static_assert(sizeof(struct tl_ifcache_bucket) == 64, "tl_ifcache_bucket: one cache line");
_Static_assert(sizeof(struct tl_counter) == 16, "tl_counter layout");
_Static_assert(sizeof(struct tl_slot_counters) * 2 % 64 == 0, "two slots' counters: whole lines");
_Static_assert(sizeof(struct tl_hot) == 256, "tl_hot layout: four cache lines");
_Static_assert(__builtin_offsetof(struct tl_hot, start4) == 64,
	       "tl_hot: start4 on the second line");
_Static_assert(__builtin_offsetof(struct tl_hot, bound6_hi) == 128,
	       "tl_hot: bound6_hi on the third");
_Static_assert(sizeof(struct tl_range4) == 8, "tl_range4 layout");
_Static_assert(sizeof(struct tl_range6) == 24, "tl_range6 layout");
_Static_assert(sizeof(struct tl_flow_key) == 44, "tl_flow_key layout");
_Static_assert(sizeof(struct tl_flow_val) == 40, "tl_flow_val layout");
_Static_assert(sizeof(struct tl_event) == 88, "tl_event layout");
_Static_assert(sizeof(struct tl_lost_key) == 56, "tl_lost_key layout");
_Static_assert(sizeof(struct tl_recent) == 16, "tl_recent layout");
_Static_assert(sizeof(struct tl_pkt) == 24 + TL_SNAP_MAX, "tl_pkt layout");

#endif

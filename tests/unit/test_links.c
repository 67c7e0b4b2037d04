// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which interfaces are tunnels, which names are interface names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <linux/if_arp.h>
#include <cmocka.h>

#include "model/links.h"

static struct link_info link(const char *name, const char *kind)
{
	struct link_info l = {.ifindex = 3};

	strcpy(l.name, name);
	strcpy(l.kind, kind);
	return l;
}

static void test_vpn_kinds(void **state)
{
	const char *vpn[] = {"tun",    "tap",	 "wireguard", "ovpn",	"ovpn-dco", "ipip", "gre",
			     "gretap", "ip6gre", "sit",	      "ip6tnl", "vti",	    "vti6", "xfrm"};
	const char *not_vpn[] = {"veth", "vxlan", "geneve", "bridge", "", "dummy", "macvlan"};
	size_t i;

	for (i = 0; i < sizeof(vpn) / sizeof(vpn[0]); i++) {
		struct link_info l = link("vpn0", vpn[i]);

		if (!link_is_vpn(&l))
			fail_msg("kind %s: expected a VPN's", vpn[i]);
	}
	for (i = 0; i < sizeof(not_vpn) / sizeof(not_vpn[0]); i++) {
		struct link_info l = link("x0", not_vpn[i]);

		if (link_is_vpn(&l))
			fail_msg("kind \"%s\": expected no VPN's", not_vpn[i]);
	}
}

/* The device a tunnel module puts in every namespace is no VPN, unless named */
static void test_fallback_devices(void **state)
{
	struct link_info tunl0 = link("tunl0", "ipip"), gre0 = link("gre0", "gre");
	struct link_info sit0 = link("sit0", "sit"), mine = link("tunl1", "ipip");
	const char named[][LINK_NAMSIZ] = {"gre0"};

	assert_false(link_is_vpn(&tunl0));
	assert_false(link_is_vpn(&gre0));
	assert_false(link_is_vpn(&sit0));
	assert_true(link_is_vpn(&mine));
	assert_false(link_is_tunnel(&gre0, NULL, 0));
	assert_true(link_is_tunnel(&gre0, named, 1));
}

/* --tunnel names replace the kinds: a tun0 not named is not a tunnel */
static void test_named_tunnels(void **state)
{
	struct link_info tun0 = link("tun0", "tun"), wg0 = link("wg0", "wireguard");
	struct link_info eth1 = link("eth1", "veth");
	const char named[][LINK_NAMSIZ] = {"wg0", "eth1"};

	assert_true(link_is_tunnel(&tun0, NULL, 0));
	assert_false(link_is_tunnel(&tun0, named, 2));
	assert_true(link_is_tunnel(&wg0, named, 2));
	assert_true(link_is_tunnel(&eth1, named, 2));
	assert_false(link_is_tunnel(&eth1, NULL, 0));
}

static void test_l2(void **state)
{
	assert_true(link_is_l2(ARPHRD_ETHER));
	assert_true(link_is_l2(ARPHRD_LOOPBACK));
	assert_false(link_is_l2(ARPHRD_NONE)); /* tun */
	assert_false(link_is_l2(ARPHRD_IPGRE));
}

/* As the kernel's dev_valid_name() */
static void test_names(void **state)
{
	assert_true(link_name_valid("eth0"));
	assert_true(link_name_valid("abcdefghijklmno"));   /* 15 */
	assert_false(link_name_valid("abcdefghijklmnop")); /* 16 */
	assert_false(link_name_valid(""));
	assert_false(link_name_valid("."));
	assert_false(link_name_valid(".."));
	assert_false(link_name_valid("tun0:x"));
	assert_false(link_name_valid("a/b"));
	assert_false(link_name_valid("a b"));
	assert_false(link_name_valid("a\nb"));
	assert_true(link_name_valid("t\033[31m")); /* the kernel takes it: escaped on output */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vpn_kinds),	  cmocka_unit_test(test_fallback_devices),
	    cmocka_unit_test(test_named_tunnels), cmocka_unit_test(test_l2),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("links", tests, NULL, NULL);
}

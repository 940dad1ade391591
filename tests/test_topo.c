/* test_topo.c — topology parsing and validation: good files load, bad ones are
 * refused with the file, the field and what was expected. */
#include "harness.h"

#include "../netns/topo.h"

static struct topo *parse_ok(const char *json)
{
	struct topo *t = NULL;
	err_t e = {{0}};
	int rc = topo_parse(json, "t.json", &t, &e);
	if (rc)
		fail_msg("unexpected error: %s", e.msg);
	return t;
}

/* Parse must fail, and the message must contain every one of the fragments. */
static void parse_bad(const char *json, const char *frag1, const char *frag2)
{
	struct topo *t = NULL;
	err_t e = {{0}};
	int rc = topo_parse(json, "t.json", &t, &e);
	assert_int_not_equal(rc, 0);
	assert_null(t);
	if (!strstr(e.msg, "t.json") || !strstr(e.msg, frag1) || (frag2 && !strstr(e.msg, frag2)))
		fail_msg("error message \"%s\" lacks \"%s\" / \"%s\"", e.msg, frag1,
		         frag2 ? frag2 : "");
}

#define THREE_HOSTS                                                                        \
	"{\"name\":\"three\",\"hosts\":[{\"name\":\"a\",\"routes\":[{\"to\":\"default\","  \
	"\"via\":\"10.0.1.1\"}]},{\"name\":\"r\",\"role\":\"router\"},{\"name\":\"b\"}],"  \
	"\"links\":[{\"a\":{\"host\":\"a\",\"ifname\":\"eth0\",\"addr\":\"10.0.1.2/24\"}," \
	"\"b\":{\"host\":\"r\",\"ifname\":\"eth1\",\"addr\":\"10.0.1.1/24\"}},"            \
	"{\"a\":{\"host\":\"r\",\"ifname\":\"eth2\",\"addr\":\"10.0.2.1/24\"},"            \
	"\"b\":{\"host\":\"b\",\"ifname\":\"eth0\",\"addr\":\"10.0.2.2/24\"}}]}"

static void test_three_hosts(void **state)
{
	(void)state;
	struct topo *t = parse_ok(THREE_HOSTS);
	assert_int_equal(t->n_hosts, 3);
	assert_int_equal(t->n_links, 2);
	assert_string_equal(t->hosts[1].role, "router");
	assert_true(t->hosts[1].forward);
	assert_false(t->hosts[0].forward);
	assert_string_equal(t->hosts[0].routes[0].via, "10.0.1.1");
	assert_int_equal(t->links[1].b.host, 2);
	char buf[64];
	assert_string_equal(topo_host_addr(t, 2, buf, sizeof(buf)), "10.0.2.2");
	assert_int_equal(topo_find_role(t, "router"), 1);
	topo_free(t);
}

static void test_defaults_and_overrides(void **state)
{
	(void)state;
	struct topo *t =
	        parse_ok("{\"resolv\":{\"nameservers\":[\"10.0.0.53\"],\"search\":\"lab\"},"
	                 "\"etc_hosts\":{\"reg.lab\":\"10.0.0.5\"},"
	                 "\"hosts\":[{\"name\":\"x\"},{\"name\":\"y\",\"resolv\":{\"nameservers\":["
	                 "\"10.9.9.9\"]},"
	                 "\"sysctls\":{\"net.netfilter.nf_conntrack_udp_timeout\":10},"
	                 "\"nftables\":[\"table inet t {\",\"}\"]}]}");
	assert_string_equal(t->hosts[0].nameservers[0], "10.0.0.53");
	assert_string_equal(t->hosts[0].search, "lab");
	assert_string_equal(t->hosts[1].nameservers[0], "10.9.9.9");
	assert_string_equal(t->hosts[1].search, "lab");
	assert_int_equal(t->hosts[1].n_etc_hosts, 1);
	assert_string_equal(t->hosts[1].sysctls[0].val, "10");
	assert_string_equal(t->hosts[1].nftables, "table inet t {\n}\n");
	assert_null(t->hosts[0].nftables);
	topo_free(t);
}

static void test_standard(void **state)
{
	(void)state;
	for (int nat = 0; nat <= 1; nat++) {
		char *json = topo_standard_json(5, nat);
		assert_non_null(json);
		struct topo *t = parse_ok(json);
		free(json);
		assert_int_equal(t->n_hosts, 10 + nat);
		const char *roles[] = {"router", "platform", "registrar",
		                       "callee", "dns",      "worker"};
		for (size_t i = 0; i < sizeof(roles) / sizeof(*roles); i++)
			assert_true(topo_find_role(t, roles[i]) >= 0);
		assert_int_equal(topo_find_role(t, "nat") >= 0, nat);
		int w = topo_host_index(t, "worker3");
		char buf[64];
		assert_string_equal(topo_host_addr(t, w, buf, sizeof(buf)),
		                    nat ? "192.168.3.2" : "10.20.3.2");
		assert_string_equal(t->hosts[w].nameservers[0], "10.10.4.2");
		topo_free(t);
	}
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("{\"hosts\": [", "line 1", "not valid JSON");
	parse_bad("[]", "(top level)", "expected an object");
	parse_bad("{\"hosts\":[]}", "hosts", "1 to 64 hosts");
	parse_bad("{\"hots\":[]}", "hots", "unknown field");
	parse_bad("{\"hosts\":[{\"name\":\"a\",\"rolle\":\"x\"}]}", "hosts[0].rolle",
	          "unknown field");
	parse_bad("{\"hosts\":[{\"name\":\"this-name-is-too-long\"}]}", "hosts[0].name", "1-15");
	parse_bad("{\"hosts\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "hosts[1].name",
	          "defined twice");
	parse_bad("{\"hosts\":[{\"name\":\"a\",\"role\":\"sbc\"}]}", "hosts[0].role", "\"sbc\"");
	parse_bad("{\"hosts\":[{\"name\":\"a\",\"forward\":\"yes\"}]}", "hosts[0].forward",
	          "true or false");
	parse_bad("{\"hosts\":[{\"name\":\"a\",\"routes\":[{\"to\":\"10.0.0.0/"
	          "33\",\"via\":\"1.2.3.4\"}]}]}",
	          "hosts[0].routes[0].to", "\"default\" or an address/prefix");
	parse_bad("{\"hosts\":[{\"name\":\"a\",\"routes\":[{\"to\":\"default\",\"via\":\"gw\"}]}]}",
	          "hosts[0].routes[0].via", "an IP address");
	parse_bad("{\"hosts\":[{\"name\":\"a\",\"sysctls\":{\"kernel.panic\":1}}]}",
	          "hosts[0].sysctls.kernel.panic", "net.");
	parse_bad("{\"hosts\":[{\"name\":\"a\",\"resolv\":{\"nameservers\":[\"dns\"]}}]}",
	          "hosts[0].resolv.nameservers", "IP addresses");
	parse_bad("{\"hosts\":[{\"name\":\"a\"}],\"links\":[{\"a\":{\"host\":\"a\",\"ifname\":"
	          "\"e0\",\"addr\":\"10.0.0.1/24\"},\"b\":{\"host\":\"z\",\"ifname\":\"e0\","
	          "\"addr\":\"10.0.0.2/24\"}}]}",
	          "links[0].b.host", "\"z\"");
	parse_bad("{\"hosts\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"links\":[{\"a\":{\"host\":"
	          "\"a\",\"ifname\":\"e0\",\"addr\":\"10.0.0.1\"},\"b\":{\"host\":\"b\",\"ifname\":"
	          "\"e0\",\"addr\":\"10.0.0.2/24\"}}]}",
	          "links[0].a.addr", "with prefix");
	parse_bad("{\"hosts\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"links\":["
	          "{\"a\":{\"host\":\"a\",\"ifname\":\"e0\",\"addr\":\"10.0.0.1/"
	          "24\"},\"b\":{\"host\":"
	          "\"b\",\"ifname\":\"e0\",\"addr\":\"10.0.0.2/24\"}},"
	          "{\"a\":{\"host\":\"a\",\"ifname\":\"e0\",\"addr\":\"10.0.1.1/"
	          "24\"},\"b\":{\"host\":"
	          "\"b\",\"ifname\":\"e1\",\"addr\":\"10.0.1.2/24\"}}]}",
	          "links[1].a.ifname", "already used on host a");
	parse_bad("{\"hosts\":[{\"name\":\"a\"}],\"links\":[{\"a\":{\"host\":\"a\",\"ifname\":"
	          "\"e0\",\"addr\":\"10.0.0.1/24\"},\"b\":{\"host\":\"a\",\"ifname\":\"e1\","
	          "\"addr\":\"10.0.0.2/24\"}}]}",
	          "links[0]", "two different hosts");
}

static void test_load_missing_file(void **state)
{
	(void)state;
	struct topo *t = NULL;
	err_t e;
	assert_int_not_equal(topo_load("/nonexistent/topo.json", &t, &e), 0);
	assert_non_null(strstr(e.msg, "/nonexistent/topo.json"));
	assert_non_null(strstr(e.msg, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_three_hosts),
	        cmocka_unit_test(test_defaults_and_overrides),
	        cmocka_unit_test(test_standard),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_load_missing_file),
	};
	return cmocka_run_group_tests_name("topology", tests, NULL, NULL);
}

/* topo.c — parse, validate and generate lab topologies (see topo.h). The
 * file's shape is the field tables below; validation is strict on purpose: a
 * typo in a field name is an error that names the field, not a silently
 * ignored key. */
#define _GNU_SOURCE
#include "topo.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Roles later modules look hosts up by; "host" is a plain machine. */
static const char *const roles[] = {"router", "nat",  "platform", "registrar", "callee",
                                    "dns",    "stun", "worker",   "host",      NULL};

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= TOPO_NAME_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static int valid_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* "10.0.0.1/24" with a prefix that fits the family. */
static int valid_cidr(const char *s)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return 0;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	char *end;
	long p = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || p < 0)
		return 0;
	unsigned char buf[16];
	if (inet_pton(AF_INET, ip, buf) == 1)
		return p <= 32;
	return inet_pton(AF_INET6, ip, buf) == 1 && p <= 128;
}

static int valid_route_to(const char *s)
{
	return !strcmp(s, "default") || valid_cidr(s);
}

static int valid_ifname(const char *s)
{
	return valid_name(s) && strcmp(s, "lo");
}

/* Every host starts from the lab-wide resolv and etc_hosts (topo->common);
 * its own add to them or replace them. */
static int read_etc_hosts(struct jv *c, const cJSON *o, const char *path, void *dst)
{
	struct topo_host *h = dst;
	if (!cJSON_IsObject(o))
		return jv_bad(c, path, "an object mapping names to IP addresses", o);
	const cJSON *it;
	cJSON_ArrayForEach (it, o) {
		char f[200];
		snprintf(f, sizeof(f), "%s.%s", path, it->string);
		if (!cJSON_IsString(it) || !valid_ip(it->valuestring))
			return jv_bad(c, f, "an IP address", it);
		if (h->n_etc_hosts >= TOPO_MAX_KV || strlen(it->string) >= 128)
			return jv_bad(c, path, "at most 32 names of under 128 characters", o);
		struct topo_kv *kv = &h->etc_hosts[h->n_etc_hosts++];
		snprintf(kv->key, sizeof(kv->key), "%s", it->string);
		snprintf(kv->val, sizeof(kv->val), "%s", it->valuestring);
	}
	return 0;
}

static int read_sysctls(struct jv *c, const cJSON *o, const char *path, void *dst)
{
	struct topo_host *h = dst;
	if (!cJSON_IsObject(o))
		return jv_bad(c, path, "an object mapping sysctl names to values", o);
	const cJSON *it;
	cJSON_ArrayForEach (it, o) {
		char f[200];
		snprintf(f, sizeof(f), "%s.%s", path, it->string);
		const char *k = it->string;
		int ok = strncmp(k, "net.", 4) == 0 && strlen(k) < 128 && !strstr(k, "..");
		for (const char *p = k; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-';
		if (!ok)
			return err_set(c->e, EINVAL,
			               "%s: %s: expected a per-namespace sysctl name starting "
			               "with \"net.\" (e.g. net.ipv4.ip_forward)",
			               c->origin, f);
		if (h->n_sysctls >= TOPO_MAX_KV)
			return jv_bad(c, path, "at most 32 sysctls", o);
		struct topo_kv *kv = &h->sysctls[h->n_sysctls++];
		snprintf(kv->key, sizeof(kv->key), "%s", k);
		if (cJSON_IsNumber(it))
			snprintf(kv->val, sizeof(kv->val), "%lld", (long long)it->valuedouble);
		else if (cJSON_IsString(it) && strlen(it->valuestring) < sizeof(kv->val))
			snprintf(kv->val, sizeof(kv->val), "%s", it->valuestring);
		else
			return jv_bad(c, f, "a number or a short string", it);
	}
	return 0;
}

/* A string, or an array of lines (easier to read in JSON). */
static int read_nft(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct topo_host *h = dst;
	size_t len = 1;
	const cJSON *it;
	if (cJSON_IsString(v)) {
		h->nftables = strdup(v->valuestring);
		return h->nftables ? 0 : -ENOMEM;
	}
	if (!cJSON_IsArray(v))
		return jv_bad(c, path, "an nftables ruleset as a string or an array of lines", v);
	cJSON_ArrayForEach (it, v) {
		if (!cJSON_IsString(it))
			return jv_bad(c, path, "an array of strings (ruleset lines)", it);
		len += strlen(it->valuestring) + 1;
	}
	h->nftables = malloc(len);
	if (!h->nftables)
		return -ENOMEM;
	h->nftables[0] = '\0';
	cJSON_ArrayForEach (it, v) {
		strcat(h->nftables, it->valuestring);
		strcat(h->nftables, "\n");
	}
	return 0;
}

static const struct field resolv_fields[] = {
        F_STRINGS(struct topo_host, nameservers, n_nameservers, "nameservers", 0, 0, NULL,
                  "IP addresses of name servers", .valid = valid_ip),
        F_STRING(struct topo_host, search, "search", 0, NULL,
                 "a string of domains separated by spaces"),
        F_END,
};

static const struct field route_fields[] = {
        F_STRING(struct topo_route, to, "to", FF_REQUIRED, NULL, "\"default\" or an address/prefix",
                 .valid = valid_route_to),
        F_STRING(struct topo_route, via, "via", FF_REQUIRED, NULL, "an IP address",
                 .valid = valid_ip),
        F_END,
};

static void host_init(struct jv *c, void *elem, int idx)
{
	const struct topo *t = c->top;
	*(struct topo_host *)elem = t->common;
}

static int host_check(struct jv *c, const cJSON *o, const char *path, void *elem)
{
	struct topo_host *h = elem;
	if (topo_host_index(c->top, h->name) >= 0)
		return err_set(c->e, EINVAL, "%s: %s.name: host \"%s\" is defined twice", c->origin,
		               path, h->name);
	if (!cJSON_GetObjectItemCaseSensitive(o, "forward"))
		h->forward = !strcmp(h->role, "router") || !strcmp(h->role, "nat");
	return 0;
}

static const struct field host_fields[] = {
        F_STRING(struct topo_host, name, "name", FF_REQUIRED, NULL,
                 "a host name of 1-15 letters, digits, '-' or '_'", .valid = valid_name),
        F_WORD(struct topo_host, role, "role", roles, 0, "host",
               "what the host is for; the lab finds its services by role"),
        F_BOOL(struct topo_host, forward, "forward", FF_DERIVED, "true for router and nat",
               "IP forwarding"),
        F_SECTION("resolv", resolv_fields, 0, "the host's /etc/resolv.conf (default: the lab's)"),
        F_CUSTOM("etc_hosts", read_etc_hosts, "object NAME: IP", 0,
                 "names for the host's /etc/hosts, added to the lab's"),
        F_CUSTOM("sysctls", read_sysctls, "object NAME: value", 0,
                 "per-namespace sysctls, e.g. {\"net.ipv4.ip_forward\": 1}"),
        F_LIST(struct topo_host, routes, n_routes, "routes", route_fields, 0, 0,
               "routes, e.g. {\"to\": \"default\", \"via\": \"10.10.1.1\"}"),
        F_CUSTOM("nftables", read_nft, "string|array of lines", 0,
                 "an nftables ruleset, loaded into the host"),
        F_END,
};

/* A link's end names its host; it is kept as the host's index. */
static int read_end_host(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	int *host = dst;
	*host = cJSON_IsString(v) ? topo_host_index(c->top, v->valuestring) : -1;
	return *host < 0 ? jv_bad(c, path, "the name of a host", v) : 0;
}

static const struct field end_fields[] = {
        F_CUSTOM("host", read_end_host, "host name", FF_REQUIRED, "the name of a host",
                 .off = offsetof(struct topo_end, host)),
        F_STRING(struct topo_end, ifname, "ifname", FF_REQUIRED, NULL,
                 "an interface name of 1-15 letters, digits, '-' or '_' (not lo)",
                 .valid = valid_ifname),
        F_STRING(struct topo_end, addr, "addr", FF_REQUIRED, NULL,
                 "an address with prefix, e.g. 10.10.1.2/24", .valid = valid_cidr),
        F_END,
};

static int ifname_taken(const struct topo *t, int host, const char *ifname)
{
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		if ((l->a.host == host && !strcmp(l->a.ifname, ifname)) ||
		    (l->b.host == host && !strcmp(l->b.ifname, ifname)))
			return 1;
	}
	return 0;
}

static int link_check(struct jv *c, const cJSON *o, const char *path, void *elem)
{
	const struct topo *t = c->top;
	const struct topo_link *l = elem;
	if (l->a.host == l->b.host)
		return err_set(c->e, EINVAL,
		               "%s: %s: expected two different hosts, got \"%s\" twice", c->origin,
		               path, t->hosts[l->a.host].name);
	if (ifname_taken(t, l->a.host, l->a.ifname))
		return err_set(c->e, EINVAL, "%s: %s.a.ifname: \"%s\" is already used on host %s",
		               c->origin, path, l->a.ifname, t->hosts[l->a.host].name);
	if (ifname_taken(t, l->b.host, l->b.ifname))
		return err_set(c->e, EINVAL, "%s: %s.b.ifname: \"%s\" is already used on host %s",
		               c->origin, path, l->b.ifname, t->hosts[l->b.host].name);
	return 0;
}

static const struct field link_fields[] = {
        F_OBJECT(struct topo_link, a, "a", end_fields, FF_REQUIRED, "one end"),
        F_OBJECT(struct topo_link, b, "b", end_fields, FF_REQUIRED, "the other end"),
        F_END,
};

const struct field topo_fields[] = {
        F_STRING(struct topo, name, "name", 0, "lab", "the lab's name"),
        F_OBJECT(struct topo, common, "resolv", resolv_fields, 0,
                 "/etc/resolv.conf for every host that has none of its own"),
        F_CUSTOM("etc_hosts", read_etc_hosts, "object NAME: IP", 0,
                 "names in every host's /etc/hosts", .off = offsetof(struct topo, common)),
        F_LIST(struct topo, hosts, n_hosts, "hosts", host_fields, 1, FF_REQUIRED,
               "the hosts, one network namespace each", .init = host_init, .check = host_check),
        F_LIST(struct topo, links, n_links, "links", link_fields, 0, 0,
               "the links between hosts, a veth pair each", .check = link_check),
        F_END,
};

int topo_parse(const char *json, const char *origin, struct topo **out, err_t *e)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct jv c = {origin, e, t};
	*out = NULL;
	int rc = t ? fields_parse(&c, topo_fields, json, t) : -ENOMEM;
	if (rc) {
		topo_free(t);
		return rc == -ENOMEM ? err_set(e, ENOMEM, "%s: out of memory", origin) : rc;
	}
	*out = t;
	return 0;
}

int topo_load(const char *path, struct topo **out, err_t *e)
{
	char *buf;
	*out = NULL;
	int rc = jv_read_file(path, &buf, e);
	if (rc)
		return rc;
	rc = topo_parse(buf, path, out, e);
	free(buf);
	return rc;
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	for (int i = 0; i < TOPO_MAX_HOSTS; i++)
		free(t->hosts[i].nftables);
	free(t);
}

int topo_host_index(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_hosts; i++)
		if (!strcmp(t->hosts[i].name, name))
			return i;
	return -1;
}

int topo_find_role(const struct topo *t, const char *role)
{
	for (int i = 0; i < t->n_hosts; i++)
		if (!strcmp(t->hosts[i].role, role))
			return i;
	return -1;
}

const char *topo_host_addr(const struct topo *t, int host, char *buf, size_t cap)
{
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_end *e = t->links[i].a.host == host   ? &t->links[i].a
		                           : t->links[i].b.host == host ? &t->links[i].b
		                                                        : NULL;
		if (!e)
			continue;
		snprintf(buf, cap, "%s", e->addr);
		char *slash = strchr(buf, '/');
		if (slash)
			*slash = '\0';
		return buf;
	}
	return NULL;
}

/* --- the standard topology ------------------------------------------------ */

static cJSON *std_end(const char *host, const char *ifname, const char *addr)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "host", host);
	cJSON_AddStringToObject(o, "ifname", ifname);
	cJSON_AddStringToObject(o, "addr", addr);
	return o;
}

static void std_link(cJSON *links, const char *ha, const char *ia, const char *aa, const char *hb,
                     const char *ib, const char *ab)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddItemToObject(l, "a", std_end(ha, ia, aa));
	cJSON_AddItemToObject(l, "b", std_end(hb, ib, ab));
	cJSON_AddItemToArray(links, l);
}

static cJSON *std_host(cJSON *hosts, const char *name, const char *role, const char *gw)
{
	cJSON *h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "name", name);
	cJSON_AddStringToObject(h, "role", role);
	if (gw) {
		cJSON *routes = cJSON_AddArrayToObject(h, "routes");
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "to", "default");
		cJSON_AddStringToObject(r, "via", gw);
		cJSON_AddItemToArray(routes, r);
	}
	cJSON_AddItemToArray(hosts, h);
	return h;
}

const char *topo_worker_name(int i, char *buf, size_t cap)
{
	snprintf(buf, cap, "worker%d", i + 1);
	return buf;
}

char *topo_standard_json(int workers, int nat)
{
	return topo_standard_json_masq(workers, nat, "");
}

char *topo_standard_json_masq(int workers, int nat, const char *masquerade_flags)
{
	return topo_standard_json_nat(workers, nat ? ~0ULL : 0, masquerade_flags);
}

char *topo_standard_json_nat(int workers, unsigned long long nat_workers,
                             const char *masquerade_flags)
{
	int nat = 0;
	for (int i = 0; i < workers && i < 64; i++)
		nat |= (nat_workers >> i) & 1;
	/* Addressing plan: every service host sits on its own /24 off the core
	 * router (10.10.N.0/24, router .1, host .2); workers get 10.20.N.0/24, or
	 * 192.168.N.0/24 behind the NAT router (those of nat_workers, bit i for
	 * worker i+1), which reaches the core on 10.10.9.0/24. DNS is 10.10.4.2
	 * for every host. */
	static const char *const svc[][2] = {{"platform", "platform"},
	                                     {"registrar", "registrar"},
	                                     {"callee", "callee"},
	                                     {"dns", "dns"}};
	cJSON *root = cJSON_CreateObject();
	char a[64], b[64], gw[48], ifa[16], name[16];
	cJSON_AddStringToObject(root, "name", nat ? "standard-nat" : "standard");
	cJSON *resolv = cJSON_AddObjectToObject(root, "resolv");
	cJSON *ns = cJSON_AddArrayToObject(resolv, "nameservers");
	cJSON_AddItemToArray(ns, cJSON_CreateString("10.10.4.2"));
	cJSON_AddStringToObject(resolv, "search", "lab");
	cJSON *hosts = cJSON_AddArrayToObject(root, "hosts");
	cJSON *links = cJSON_AddArrayToObject(root, "links");
	std_host(hosts, "core", "router", NULL);
	for (int i = 0; i < 4; i++) {
		snprintf(gw, sizeof(gw), "10.10.%d.1", i + 1);
		std_host(hosts, svc[i][0], svc[i][1], gw);
		snprintf(ifa, sizeof(ifa), "eth%d", i + 1);
		snprintf(a, sizeof(a), "10.10.%d.1/24", i + 1);
		snprintf(b, sizeof(b), "10.10.%d.2/24", i + 1);
		std_link(links, "core", ifa, a, svc[i][0], "eth0", b);
	}
	if (nat) {
		cJSON *h = std_host(hosts, "nat", "nat", "10.10.9.1");
		cJSON *rules = cJSON_AddArrayToObject(h, "nftables");
		cJSON_AddItemToArray(rules, cJSON_CreateString("table ip lab_nat {"));
		char rule[192];
		snprintf(rule, sizeof(rule),
		         "  chain postrouting { type nat hook postrouting priority srcnat; oifname "
		         "\"eth0\" masquerade%s%s; }",
		         *masquerade_flags ? " " : "", masquerade_flags);
		cJSON_AddItemToArray(rules, cJSON_CreateString(rule));
		cJSON_AddItemToArray(rules, cJSON_CreateString("}"));
		std_link(links, "core", "eth9", "10.10.9.1/24", "nat", "eth0", "10.10.9.2/24");
	}
	for (int i = 1; i <= workers; i++) {
		int behind = i <= 64 && ((nat_workers >> (i - 1)) & 1);
		const char *net = behind ? "192.168" : "10.20";
		topo_worker_name(i - 1, name, sizeof(name));
		snprintf(gw, sizeof(gw), "%s.%d.1", net, i);
		std_host(hosts, name, "worker", gw);
		snprintf(ifa, sizeof(ifa), "eth%d", behind ? i : 10 + i);
		snprintf(a, sizeof(a), "%s.%d.1/24", net, i);
		snprintf(b, sizeof(b), "%s.%d.2/24", net, i);
		std_link(links, behind ? "nat" : "core", ifa, a, name, "eth0", b);
	}
	char *txt = cJSON_Print(root);
	cJSON_Delete(root);
	return txt;
}

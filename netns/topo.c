/* topo.c — parse, validate and generate lab topologies (see topo.h).
 * Validation is strict on purpose: a typo in a field name is an error that
 * names the field, not a silently ignored key. */
#define _GNU_SOURCE
#include "topo.h"

#include "../lib/jsonv.h"

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

static int parse_resolv(struct jv *c, const cJSON *r, const char *field, struct topo_host *h)
{
	static const char *const keys[] = {"nameservers", "search", NULL};
	if (!cJSON_IsObject(r))
		return jv_bad(c, field, "an object {\"nameservers\": [...], \"search\": \"...\"}",
		              r);
	int rc = jv_keys(c, r, field, keys);
	if (rc)
		return rc;
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(r, "nameservers");
	if (ns) {
		char f[160];
		snprintf(f, sizeof(f), "%s.nameservers", field);
		if (!cJSON_IsArray(ns) || cJSON_GetArraySize(ns) > TOPO_MAX_NS)
			return jv_bad(c, f, "an array of at most 3 IP addresses", ns);
		h->n_nameservers = 0;
		const cJSON *it;
		cJSON_ArrayForEach (it, ns) {
			if (!cJSON_IsString(it) || !valid_ip(it->valuestring))
				return jv_bad(c, f, "an array of IP addresses", it);
			snprintf(h->nameservers[h->n_nameservers++], 48, "%s", it->valuestring);
		}
	}
	rc = jv_str(c, r, "search", field, h->search, sizeof(h->search), 0,
	            "a string of domains separated by spaces");
	return rc < 0 ? rc : 0;
}

static int parse_etc_hosts(struct jv *c, const cJSON *o, const char *field, struct topo_host *h)
{
	if (!cJSON_IsObject(o))
		return jv_bad(c, field, "an object mapping names to IP addresses", o);
	const cJSON *it;
	cJSON_ArrayForEach (it, o) {
		char f[200];
		snprintf(f, sizeof(f), "%s.%s", field, it->string);
		if (!cJSON_IsString(it) || !valid_ip(it->valuestring))
			return jv_bad(c, f, "an IP address", it);
		if (h->n_etc_hosts >= TOPO_MAX_KV || strlen(it->string) >= 128)
			return jv_bad(c, field, "at most 32 names of under 128 characters", o);
		struct topo_kv *kv = &h->etc_hosts[h->n_etc_hosts++];
		snprintf(kv->key, sizeof(kv->key), "%s", it->string);
		snprintf(kv->val, sizeof(kv->val), "%s", it->valuestring);
	}
	return 0;
}

static int parse_sysctls(struct jv *c, const cJSON *o, const char *field, struct topo_host *h)
{
	if (!cJSON_IsObject(o))
		return jv_bad(c, field, "an object mapping sysctl names to values", o);
	const cJSON *it;
	cJSON_ArrayForEach (it, o) {
		char f[200];
		snprintf(f, sizeof(f), "%s.%s", field, it->string);
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
			return jv_bad(c, field, "at most 32 sysctls", o);
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

static int parse_routes(struct jv *c, const cJSON *a, const char *field, struct topo_host *h)
{
	static const char *const keys[] = {"to", "via", NULL};
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > TOPO_MAX_ROUTES)
		return jv_bad(c, field, "an array of at most 16 routes {\"to\", \"via\"}", a);
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach (it, a) {
		char f[160];
		snprintf(f, sizeof(f), "%s[%d]", field, i++);
		if (!cJSON_IsObject(it))
			return jv_bad(c, f, "an object {\"to\": \"default\"|CIDR, \"via\": IP}",
			              it);
		int rc = jv_keys(c, it, f, keys);
		struct topo_route *r = &h->routes[h->n_routes];
		if (!rc)
			rc = jv_str(c, it, "to", f, r->to, sizeof(r->to), 1,
			            "\"default\" or an address/prefix");
		if (rc < 0)
			return rc;
		if (strcmp(r->to, "default") && !valid_cidr(r->to))
			return jv_bad(c, f, "\"to\" as \"default\" or an address/prefix",
			              cJSON_GetObjectItem(it, "to"));
		rc = jv_str(c, it, "via", f, r->via, sizeof(r->via), 1, "an IP address");
		if (rc < 0)
			return rc;
		if (!valid_ip(r->via))
			return jv_bad(c, f, "\"via\" as an IP address",
			              cJSON_GetObjectItem(it, "via"));
		h->n_routes++;
	}
	return 0;
}

static int parse_nft(struct jv *c, const cJSON *v, const char *field, struct topo_host *h)
{
	/* A string, or an array of lines (easier to read in JSON). */
	size_t len = 1;
	const cJSON *it;
	if (cJSON_IsString(v)) {
		h->nftables = strdup(v->valuestring);
		return h->nftables ? 0 : -ENOMEM;
	}
	if (!cJSON_IsArray(v))
		return jv_bad(c, field, "an nftables ruleset as a string or an array of lines", v);
	cJSON_ArrayForEach (it, v) {
		if (!cJSON_IsString(it))
			return jv_bad(c, field, "an array of strings (ruleset lines)", it);
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

static int parse_host(struct jv *c, const cJSON *o, int idx, struct topo *t,
                      const struct topo_host *defaults)
{
	static const char *const keys[] = {"name",   "role",      "forward", "nftables", "sysctls",
	                                   "resolv", "etc_hosts", "routes",  NULL};
	char f[64];
	snprintf(f, sizeof(f), "hosts[%d]", idx);
	if (!cJSON_IsObject(o))
		return jv_bad(c, f, "an object describing a host", o);
	int rc = jv_keys(c, o, f, keys);
	if (rc)
		return rc;
	struct topo_host *h = &t->hosts[t->n_hosts];
	*h = *defaults;
	h->nftables = NULL;
	rc = jv_str(c, o, "name", f, h->name, sizeof(h->name), 1,
	            "a host name of 1-15 letters, digits, '-' or '_'");
	if (rc < 0)
		return rc;
	if (!valid_name(h->name))
		return jv_bad(c, strcat(f, ".name"),
		              "a host name of 1-15 letters, digits, '-' or '_'",
		              cJSON_GetObjectItem(o, "name"));
	if (topo_host_index(t, h->name) >= 0)
		return err_set(c->e, EINVAL, "%s: %s.name: host \"%s\" is defined twice", c->origin,
		               f, h->name);
	snprintf(h->role, sizeof(h->role), "host");
	rc = jv_str(c, o, "role", f, h->role, sizeof(h->role), 0,
	            "one of router, nat, platform, registrar, callee, dns, stun, worker, host");
	if (rc < 0)
		return rc;
	int known = 0;
	for (int i = 0; roles[i]; i++)
		known |= !strcmp(h->role, roles[i]);
	if (!known)
		return jv_bad(
		        c, strcat(f, ".role"),
		        "one of router, nat, platform, registrar, callee, dns, stun, worker, host",
		        cJSON_GetObjectItem(o, "role"));
	h->forward = !strcmp(h->role, "router") || !strcmp(h->role, "nat");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "forward");
	if (v) {
		if (!cJSON_IsBool(v))
			return jv_bad(c, strcat(f, ".forward"), "true or false", v);
		h->forward = cJSON_IsTrue(v);
	}
	char sub[96];
#define SUB(name) (snprintf(sub, sizeof(sub), "%s.%s", f, name), sub)
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "resolv")) &&
	    (rc = parse_resolv(c, v, SUB("resolv"), h)))
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "etc_hosts")) &&
	    (rc = parse_etc_hosts(c, v, SUB("etc_hosts"), h)))
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "sysctls")) &&
	    (rc = parse_sysctls(c, v, SUB("sysctls"), h)))
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "routes")) &&
	    (rc = parse_routes(c, v, SUB("routes"), h)))
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "nftables")) &&
	    (rc = parse_nft(c, v, SUB("nftables"), h)))
		goto out;
#undef SUB
	t->n_hosts++;
	return 0;
out:
	free(h->nftables);
	h->nftables = NULL;
	return rc;
}

static int parse_end(struct jv *c, const cJSON *o, const char *field, struct topo *t,
                     struct topo_end *end)
{
	static const char *const keys[] = {"host", "ifname", "addr", NULL};
	if (!cJSON_IsObject(o))
		return jv_bad(c, field, "an object {\"host\", \"ifname\", \"addr\"}", o);
	int rc = jv_keys(c, o, field, keys);
	char host[TOPO_NAME_LEN];
	if (!rc)
		rc = jv_str(c, o, "host", field, host, sizeof(host), 1, "the name of a host");
	if (rc < 0)
		return rc;
	end->host = topo_host_index(t, host);
	if (end->host < 0)
		return err_set(c->e, EINVAL, "%s: %s.host: expected the name of a host, got \"%s\"",
		               c->origin, field, host);
	rc = jv_str(c, o, "ifname", field, end->ifname, sizeof(end->ifname), 1,
	            "an interface name of 1-15 letters, digits, '-' or '_'");
	if (rc < 0)
		return rc;
	if (!valid_name(end->ifname) || !strcmp(end->ifname, "lo"))
		return err_set(c->e, EINVAL,
		               "%s: %s.ifname: expected an interface name of 1-15 letters, digits, "
		               "'-' or '_' (not lo), got \"%s\"",
		               c->origin, field, end->ifname);
	rc = jv_str(c, o, "addr", field, end->addr, sizeof(end->addr), 1,
	            "an address with prefix, e.g. 10.10.1.2/24");
	if (rc < 0)
		return rc;
	if (!valid_cidr(end->addr))
		return err_set(
		        c->e, EINVAL,
		        "%s: %s.addr: expected an address with prefix, e.g. 10.10.1.2/24, got "
		        "\"%s\"",
		        c->origin, field, end->addr);
	return 0;
}

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

static int parse_link(struct jv *c, const cJSON *o, int idx, struct topo *t)
{
	static const char *const keys[] = {"a", "b", NULL};
	char f[64], fa[80], fb[80];
	snprintf(f, sizeof(f), "links[%d]", idx);
	if (!cJSON_IsObject(o))
		return jv_bad(c, f, "an object {\"a\": END, \"b\": END}", o);
	int rc = jv_keys(c, o, f, keys);
	if (rc)
		return rc;
	struct topo_link *l = &t->links[t->n_links];
	snprintf(fa, sizeof(fa), "%s.a", f);
	snprintf(fb, sizeof(fb), "%s.b", f);
	if ((rc = parse_end(c, cJSON_GetObjectItemCaseSensitive(o, "a"), fa, t, &l->a)) ||
	    (rc = parse_end(c, cJSON_GetObjectItemCaseSensitive(o, "b"), fb, t, &l->b)))
		return rc;
	if (l->a.host == l->b.host)
		return err_set(c->e, EINVAL,
		               "%s: %s: expected two different hosts, got \"%s\" twice", c->origin,
		               f, t->hosts[l->a.host].name);
	if (ifname_taken(t, l->a.host, l->a.ifname))
		return err_set(c->e, EINVAL, "%s: %s.ifname: \"%s\" is already used on host %s",
		               c->origin, fa, l->a.ifname, t->hosts[l->a.host].name);
	if (ifname_taken(t, l->b.host, l->b.ifname))
		return err_set(c->e, EINVAL, "%s: %s.ifname: \"%s\" is already used on host %s",
		               c->origin, fb, l->b.ifname, t->hosts[l->b.host].name);
	t->n_links++;
	return 0;
}

/* Lab-wide defaults ("resolv", "etc_hosts") that every host starts from. */
static int parse_defaults(struct jv *c, const cJSON *root, struct topo_host *d)
{
	const cJSON *v;
	int rc = 0;
	memset(d, 0, sizeof(*d));
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "resolv")))
		rc = parse_resolv(c, v, "resolv", d);
	if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "etc_hosts")))
		rc = parse_etc_hosts(c, v, "etc_hosts", d);
	return rc;
}

static int parse_root(struct jv *c, const cJSON *root, struct topo *t)
{
	static const char *const keys[] = {"name", "hosts", "links", "resolv", "etc_hosts", NULL};
	if (!cJSON_IsObject(root))
		return jv_bad(c, "(top level)", "an object with \"hosts\" and \"links\"", root);
	int rc = jv_keys(c, root, "", keys);
	if (rc)
		return rc;
	snprintf(t->name, sizeof(t->name), "lab");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (name && (!cJSON_IsString(name) || strlen(name->valuestring) >= sizeof(t->name)))
		return jv_bad(c, "name", "a string of under 64 characters", name);
	if (name)
		snprintf(t->name, sizeof(t->name), "%s", name->valuestring);
	struct topo_host defaults;
	if ((rc = parse_defaults(c, root, &defaults)))
		return rc;
	const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(root, "hosts");
	if (!cJSON_IsArray(hosts) || cJSON_GetArraySize(hosts) < 1 ||
	    cJSON_GetArraySize(hosts) > TOPO_MAX_HOSTS)
		return jv_bad(c, "hosts", "an array of 1 to 64 hosts", hosts);
	int i = 0;
	const cJSON *it;
	cJSON_ArrayForEach (it, hosts) {
		if ((rc = parse_host(c, it, i++, t, &defaults)))
			return rc;
	}
	const cJSON *links = cJSON_GetObjectItemCaseSensitive(root, "links");
	if (links && (!cJSON_IsArray(links) || cJSON_GetArraySize(links) > TOPO_MAX_LINKS))
		return jv_bad(c, "links", "an array of at most 128 links", links);
	i = 0;
	cJSON_ArrayForEach (it, links) {
		if ((rc = parse_link(c, it, i++, t)))
			return rc;
	}
	return 0;
}

int topo_parse(const char *json, const char *origin, struct topo **out, err_t *e)
{
	struct jv c = {origin, e};
	*out = NULL;
	cJSON *root = jv_parse(&c, json);
	if (!root)
		return -EINVAL;
	struct topo *t = calloc(1, sizeof(*t));
	int rc = t ? parse_root(&c, root, t) : -ENOMEM;
	cJSON_Delete(root);
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

char *topo_standard_json(int workers, int nat)
{
	/* Addressing plan: every service host sits on its own /24 off the core
	 * router (10.10.N.0/24, router .1, host .2); workers get 10.20.N.0/24, or
	 * 192.168.N.0/24 behind the NAT router, which reaches the core on
	 * 10.10.9.0/24. DNS is 10.10.4.2 for every host. */
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
	const char *wgw_host = "core";
	if (nat) {
		cJSON *h = std_host(hosts, "nat", "nat", "10.10.9.1");
		cJSON *rules = cJSON_AddArrayToObject(h, "nftables");
		cJSON_AddItemToArray(rules, cJSON_CreateString("table ip lab_nat {"));
		cJSON_AddItemToArray(
		        rules,
		        cJSON_CreateString("  chain postrouting { type nat hook postrouting "
		                           "priority srcnat; oifname \"eth0\" masquerade; }"));
		cJSON_AddItemToArray(rules, cJSON_CreateString("}"));
		std_link(links, "core", "eth9", "10.10.9.1/24", "nat", "eth0", "10.10.9.2/24");
		wgw_host = "nat";
	}
	for (int i = 1; i <= workers; i++) {
		const char *net = nat ? "192.168" : "10.20";
		snprintf(name, sizeof(name), "worker%d", i);
		snprintf(gw, sizeof(gw), "%s.%d.1", net, i);
		std_host(hosts, name, "worker", gw);
		snprintf(ifa, sizeof(ifa), nat ? "eth%d" : "eth%d", nat ? i : 10 + i);
		snprintf(a, sizeof(a), "%s.%d.1/24", net, i);
		snprintf(b, sizeof(b), "%s.%d.2/24", net, i);
		std_link(links, wgw_host, ifa, a, name, "eth0", b);
	}
	char *txt = cJSON_Print(root);
	cJSON_Delete(root);
	return txt;
}

/* edits.c — the lab-edit API behind the fault hooks (faults/labedit.h, and
 * edits.h for the run's side). Edits are made on the topology's JSON and the
 * far side's configuration trees before anything starts, and on the running
 * lab through its processes' cgroups. Each call checks the phase it belongs
 * to, so a fault that asks too early or too late gets an error, not a lab
 * half-edited. */
#define _GNU_SOURCE
#include "edits.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../netns/topo.h"
#include "farside.h"

static const char *const phase_names[] = {"shape", "topology", "far_side", "run_start"};

/* A call allowed from phase `from` on (and, when `only`, in it alone). */
static int in_phase(const struct lab_edit *le, enum le_phase from, int only, const char *call,
                    err_t *e)
{
	if (le->phase >= from && (!only || le->phase == from))
		return 0;
	return err_set(e, EINVAL, "%s: %s is for the %s hook%s, not %s",
	               le->current ? le->current->code : "a fault", call, phase_names[from],
	               only ? "" : " or later", phase_names[le->phase]);
}

long le_ms(const struct lab_edit *le, double seconds)
{
	return scenario_ms(le->s, seconds);
}

double le_time_scale(const struct lab_edit *le)
{
	return le->s->time_scale;
}

void le_note(struct lab_edit *le, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	long long ms = le->pf ? platform_ms(le->pf) : 0;
	labfile_note(le->lf, ms, "%s", what);
	if (!le->quiet && le->phase == LE_RUN)
		printf("  [%6.2f s] %s\n", ms / 1000.0, what);
}

/* --- scope and timing of the fault whose hook runs ------------------------------- */

static const struct scn_fault *entry(const struct lab_edit *le)
{
	return le->current ? &le->s->faults[le->k] : NULL;
}

static int timed(const struct scn_fault *f)
{
	return f && (f->has_at || f->has_until);
}

/* Worker n's bit (worker1 is bit 0), 0 for a name that is not a worker's. */
static unsigned long long worker_bit(const char *name)
{
	int n = 0, used = 0;
	if (sscanf(name, "worker%d%n", &n, &used) != 1 || name[used] || n < 1 || n > 64)
		return 0;
	return 1ULL << (n - 1);
}

/* The workers the running fault reaches: its scope's, or every one. */
static unsigned long long aimed_workers(const struct lab_edit *le)
{
	const struct scn_fault *f = entry(le);
	unsigned long long mask = 0;
	for (int i = 0; f && i < f->scope.n_workers; i++)
		mask |= worker_bit(f->scope.workers[i]);
	return mask ? mask : ~0ULL;
}

int le_worker_aimed(const struct lab_edit *le, int i)
{
	return i >= 0 && i < 64 && ((aimed_workers(le) >> i) & 1);
}

/* The group the running fault is aimed at, or NULL. */
static const struct scn_group *aimed_group(const struct lab_edit *le)
{
	const struct scn_fault *f = entry(le);
	for (int g = 0; f && f->scope.group[0] && g < le->s->n_groups; g++)
		if (!strcmp(le->s->groups[g].name, f->scope.group))
			return &le->s->groups[g];
	return NULL;
}

const char *le_scope_name(struct lab_edit *le)
{
	const struct scn_fault *f = entry(le);
	const struct scn_group *g = aimed_group(le);
	if (f && f->scope.name[0])
		return f->scope.name;
	if (!g)
		return NULL;
	/* The group's registrar: "name", "name:port" (an IPv6 literal in []). */
	const char *r = g->registrar, *colon = strrchr(r, ':');
	size_t n = colon && !strchr(r, ']') ? (size_t)(colon - r) : strlen(r);
	snprintf(le->scope_name, sizeof(le->scope_name), "%.*s", (int)n, r);
	return le->scope_name;
}

int le_scope_port(const struct lab_edit *le)
{
	const struct scn_group *g = aimed_group(le);
	const char *colon = g ? strrchr(g->registrar, ':') : NULL;
	if (!g)
		return 0;
	if (colon && !strchr(colon, ']'))
		return atoi(colon + 1);
	return g->transport == SCN_TLS ? 5061 : 5060;
}

/* --- shape --------------------------------------------------------------------- */

int le_nat(struct lab_edit *le, const char *masquerade_flags, err_t *e)
{
	int rc = in_phase(le, LE_SHAPE, 1, "le_nat", e);
	if (rc)
		return rc;
	if (le->nat && strcmp(le->masquerade, masquerade_flags))
		return err_set(e, EINVAL, "two faults want different NAT routers (\"%s\", \"%s\")",
		               le->masquerade, masquerade_flags);
	le->nat = 1;
	le->nat_workers |= aimed_workers(le);
	snprintf(le->masquerade, sizeof(le->masquerade), "%s", masquerade_flags);
	return 0;
}

/* --- topology ---------------------------------------------------------------------- */

static cJSON *host_json(const struct lab_edit *le, const char *name)
{
	cJSON *h;
	cJSON_ArrayForEach (h, cJSON_GetObjectItemCaseSensitive(le->topo, "hosts")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(h, "name");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return h;
	}
	return NULL;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* A host's bit among the workers; every bit for a host that is not one. */
static unsigned long long worker_bit_or_all(const cJSON *h)
{
	unsigned long long bit = worker_bit(str_of(h, "name"));
	return bit ? bit : ~0ULL;
}

int le_hosts(const struct lab_edit *le, const char *role, const char **names, int cap)
{
	int n = 0;
	const cJSON *h;
	/* A fault aimed at some workers sees only those. */
	unsigned long long aimed = strcmp(role, "worker") ? ~0ULL : aimed_workers(le);
	cJSON_ArrayForEach (h, cJSON_GetObjectItemCaseSensitive(le->topo, "hosts"))
		if (!strcmp(str_of(h, "role"), role) && (aimed & worker_bit_or_all(h))) {
			if (n < cap)
				names[n] = str_of(h, "name");
			n++;
		}
	return n;
}

/* The end of a link on `host` ("a" or "b" object), and the other end. */
static const cJSON *link_end(const struct lab_edit *le, const char *host, const cJSON **other)
{
	const cJSON *l;
	cJSON_ArrayForEach (l, cJSON_GetObjectItemCaseSensitive(le->topo, "links")) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(l, "a");
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(l, "b");
		if (!strcmp(str_of(a, "host"), host) || !strcmp(str_of(b, "host"), host)) {
			int is_a = !strcmp(str_of(a, "host"), host);
			*other = is_a ? b : a;
			return is_a ? a : b;
		}
	}
	return NULL;
}

static int host_cidr(const struct lab_edit *le, const char *host, char *addr, size_t cap,
                     int *prefix, err_t *e)
{
	const cJSON *other, *end = le->topo ? link_end(le, host, &other) : NULL;
	const char *cidr = end ? str_of(end, "addr") : "";
	const char *slash = strchr(cidr, '/');
	if (!slash || (size_t)(slash - cidr) >= cap)
		return err_set(e, ENOENT, "%s: no host %s with an address in the lab",
		               le->current ? le->current->code : "a fault", host);
	snprintf(addr, cap, "%.*s", (int)(slash - cidr), cidr);
	*prefix = atoi(slash + 1);
	return 0;
}

int le_host_addr(const struct lab_edit *le, const char *host, char *buf, size_t cap, err_t *e)
{
	int prefix, rc = in_phase(le, LE_TOPOLOGY, 0, "le_host_addr", e);
	return rc ? rc : host_cidr(le, host, buf, cap, &prefix, e);
}

int le_host_net(const struct lab_edit *le, const char *host, char *buf, size_t cap, err_t *e)
{
	char addr[64];
	int prefix, rc = in_phase(le, LE_TOPOLOGY, 0, "le_host_net", e);
	if (rc || (rc = host_cidr(le, host, addr, sizeof(addr), &prefix, e)))
		return rc;
	struct in_addr a;
	if (inet_pton(AF_INET, addr, &a) != 1 || prefix < 0 || prefix > 32)
		return err_set(e, EINVAL, "host %s: not an IPv4 address: %s", host, addr);
	uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
	a.s_addr &= mask;
	char net[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, net, sizeof(net));
	snprintf(buf, cap, "%s/%d", net, prefix);
	return 0;
}

/* Where a host's traffic comes from as the far side sees it: its own
 * network, or its NAT router's outside address. */
static int seen_from(const struct lab_edit *le, const char *host, char *buf, size_t cap, err_t *e)
{
	const cJSON *other;
	if (!link_end(le, host, &other))
		return err_set(e, ENOENT, "host %s has no link", host);
	const char *gw = str_of(other, "host");
	if (strcmp(str_of(host_json(le, gw), "role"), "nat"))
		return le_host_net(le, host, buf, cap, e);
	return le_host_addr(le, gw, buf, cap, e); /* its first link: the outside */
}

int le_host_nets(const struct lab_edit *le, const char *role, char *buf, size_t cap, err_t *e)
{
	const char *names[TOPO_MAX_HOSTS];
	int n = le_hosts(le, role, names, TOPO_MAX_HOSTS), rc;
	if ((rc = in_phase(le, LE_TOPOLOGY, 0, "le_host_nets", e)))
		return rc;
	if (n < 1)
		return err_set(e, ENOENT, "the lab has no host with role %s", role);
	size_t len = (size_t)snprintf(buf, cap, "{ ");
	for (int i = 0; i < n && i < TOPO_MAX_HOSTS; i++) {
		char net[64];
		if ((rc = le_host_net(le, names[i], net, sizeof(net), e)))
			return rc;
		len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", i ? ", " : "",
		                        net);
	}
	len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, " }");
	return len < cap ? 0 : err_set(e, ENOSPC, "the networks of role %s do not fit", role);
}

/* A worker behind the NAT router is seen from the router's address, which
 * every worker behind it shares: a fault aimed at one of them cannot tell it
 * from the others there, and would reach them too. */
static int nat_shared_with_unaimed(const struct lab_edit *le, const char *role, const char *host,
                                   err_t *e)
{
	const cJSON *other, *h;
	unsigned long long aimed = aimed_workers(le);
	if (strcmp(role, "worker") || aimed == ~0ULL || !link_end(le, host, &other) ||
	    strcmp(str_of(host_json(le, str_of(other, "host")), "role"), "nat"))
		return 0;
	cJSON_ArrayForEach (h, cJSON_GetObjectItemCaseSensitive(le->topo, "hosts")) {
		const cJSON *gw;
		const char *name = str_of(h, "name");
		if (strcmp(str_of(h, "role"), "worker") || (aimed & worker_bit(name)) ||
		    !link_end(le, name, &gw) || strcmp(str_of(gw, "host"), str_of(other, "host")))
			continue;
		return err_set(e, EINVAL,
		               "%s: aimed at %s, which shares the NAT router's address with %s: "
		               "from the far side they are one source (aim at both, or put only "
		               "%s behind the NAT)",
		               le->current ? le->current->code : "a fault", host, name, host);
	}
	return 0;
}

int le_sources(const struct lab_edit *le, const char *role, char *buf, size_t cap, err_t *e)
{
	const char *names[TOPO_MAX_HOSTS];
	int n = le_hosts(le, role, names, TOPO_MAX_HOSTS), rc;
	if ((rc = in_phase(le, LE_TOPOLOGY, 0, "le_sources", e)))
		return rc;
	if (n < 1)
		return err_set(e, ENOENT, "the lab has no host with role %s", role);
	size_t len = (size_t)snprintf(buf, cap, "{ ");
	char seen[TOPO_MAX_HOSTS][64];
	int n_seen = 0;
	for (int i = 0; i < n && i < TOPO_MAX_HOSTS; i++) {
		if ((rc = seen_from(le, names[i], seen[n_seen], sizeof(seen[0]), e)))
			return rc;
		if ((rc = nat_shared_with_unaimed(le, role, names[i], e)))
			return rc;
		int dup = 0;
		for (int k = 0; k < n_seen; k++)
			dup |= !strcmp(seen[k], seen[n_seen]);
		if (dup)
			continue;
		len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s",
		                        n_seen ? ", " : "", seen[n_seen]);
		n_seen++;
	}
	len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, " }");
	return len < cap ? 0 : err_set(e, ENOSPC, "the sources of role %s do not fit", role);
}

/* A host's member `key` (an array or an object, made when missing) into
 * *out, for a topology edit named `call`: refused out of phase or without
 * the host. */
static int host_member(struct lab_edit *le, const char *host, const char *key, int array,
                       const char *call, cJSON **out, err_t *e)
{
	int rc = in_phase(le, LE_TOPOLOGY, 1, call, e);
	cJSON *h = rc ? NULL : host_json(le, host);
	if (rc || !h)
		return rc ? rc : err_set(e, ENOENT, "%s: no host %s", call, host);
	*out = cJSON_GetObjectItemCaseSensitive(h, key);
	if (!*out)
		*out = array ? cJSON_AddArrayToObject(h, key) : cJSON_AddObjectToObject(h, key);
	return 0;
}

/* The ruleset with each table renamed NAME_f<k> (k: the scenario's fault),
 * so two faults' tables never merge and a timed fault's can be deleted
 * alone; the commands that delete them go to undo. malloc'd, or NULL. */
static char *own_tables(const char *ruleset, int k, char *undo, size_t ucap, err_t *e)
{
	size_t cap = strlen(ruleset) + 256, len = 0, ulen = 0;
	char *out = malloc(cap);
	const char *p = ruleset;
	if (!out)
		return err_set(e, ENOMEM, "out of memory"), NULL;
	undo[0] = '\0';
	while (*p) {
		char fam[16], name[48];
		int used = 0;
		const char *line = p + strspn(p, " \t");
		if (!strncmp(line, "table ", 6) &&
		    sscanf(line, "table %15s %47[A-Za-z0-9_-]%n", fam, name, &used) == 2 &&
		    len + (size_t)(line - p) + (size_t)used + 16 < cap) {
			len += (size_t)snprintf(out + len, cap - len, "%.*s%s_f%d",
			                        (int)(line - p) + used - (int)strlen(name), p, name,
			                        k);
			ulen += (size_t)snprintf(undo + ulen, ulen < ucap ? ucap - ulen : 0,
			                         "delete table %s %s_f%d\n", fam, name, k);
			p = line + used;
		}
		size_t n = strcspn(p, "\n");
		n += p[n] == '\n';
		if (len + n + 1 > cap) {
			char *bigger = realloc(out, cap += n + 256);
			if (!bigger)
				return free(out), err_set(e, ENOMEM, "out of memory"), NULL;
			out = bigger;
		}
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	out[len] = '\0';
	if (ulen >= ucap)
		return free(out), err_set(e, ENOSPC, "too many tables in one ruleset"), NULL;
	if (!ulen)
		return free(out),
		       err_set(e, EINVAL,
		               "the ruleset declares no \"table FAMILY NAME\" (a name of at most "
		               "47 letters, digits, '_' or '-'): it could not be told apart"),
		       NULL;
	return out;
}

/* A timed fault's edit, kept for the running lab. */
static struct le_deferred *defer(struct lab_edit *le, const char *host, err_t *e)
{
	if (le->n_deferred == FAULT_MAX_DEFERRED)
		return err_set(e, ENOSPC, "%s: more than %d timed edits in one run",
		               le->current->code, FAULT_MAX_DEFERRED),
		       NULL;
	struct le_deferred *d = &le->deferred[le->n_deferred++];
	memset(d, 0, sizeof(*d));
	d->k = le->k;
	snprintf(d->host, sizeof(d->host), "%s", host);
	return d;
}

int le_nft(struct lab_edit *le, const char *host, const char *ruleset, err_t *e)
{
	cJSON *rules;
	char undo[160];
	int held = timed(entry(le));
	/* A held-back ruleset goes on no host's list, but the host must exist. */
	int rc = held ? in_phase(le, LE_TOPOLOGY, 1, "le_nft", e)
	              : host_member(le, host, "nftables", 1, "le_nft", &rules, e);
	if (!rc && held && !host_json(le, host))
		rc = err_set(e, ENOENT, "le_nft: no host %s", host);
	char *own = rc ? NULL : own_tables(ruleset, le->k, undo, sizeof(undo), e);
	if (!own)
		return rc ? rc : -ENOMEM;
	if (!held) {
		cJSON_AddItemToArray(rules, cJSON_CreateString(own));
		free(own);
		return 0;
	}
	struct le_deferred *d = defer(le, host, e);
	if (!d)
		return free(own), -ENOSPC;
	d->ruleset = own;
	snprintf(d->undo, sizeof(d->undo), "%s", undo);
	return 0;
}

int le_sysctl(struct lab_edit *le, const char *host, const char *key, long value, err_t *e)
{
	cJSON *sys = NULL;
	int held = timed(entry(le));
	int rc = held ? in_phase(le, LE_TOPOLOGY, 1, "le_sysctl", e)
	              : host_member(le, host, "sysctls", 0, "le_sysctl", &sys, e);
	if (!rc && held && !host_json(le, host))
		rc = err_set(e, ENOENT, "le_sysctl: no host %s", host);
	if (!rc && held) {
		struct le_deferred *d = defer(le, host, e);
		if (!d)
			return -ENOSPC;
		snprintf(d->key, sizeof(d->key), "%s", key);
		d->value = value;
	} else if (!rc) {
		cJSON_DeleteItemFromObjectCaseSensitive(sys, key);
		cJSON_AddNumberToObject(sys, key, (double)value);
	}
	return rc;
}

/* Added hosts take 10.10.N.0/24 from N = 30 up (the standard topology uses 1
 * to 9 for its services and the NAT router, 10.20.N for workers), and the
 * router's side is named "add<k>" (the router's own are eth<N>). */
#define ADDED_NET_FIRST 30

static cJSON *link_end_json(const char *host, const char *ifname, const char *addr)
{
	cJSON *end = cJSON_CreateObject();
	cJSON_AddStringToObject(end, "host", host);
	cJSON_AddStringToObject(end, "ifname", ifname);
	cJSON_AddStringToObject(end, "addr", addr);
	return end;
}

int le_add_host(struct lab_edit *le, const char *name, const char *role, err_t *e)
{
	int rc = in_phase(le, LE_TOPOLOGY, 1, "le_add_host", e);
	if (rc)
		return rc;
	const char *router[1];
	if (le_hosts(le, "router", router, 1) < 1)
		return err_set(e, ENOENT, "le_add_host: the lab has no router to attach %s to",
		               name);
	if (host_json(le, name))
		return err_set(e, EEXIST, "le_add_host: the lab already has a host %s", name);
	cJSON *hosts = cJSON_GetObjectItemCaseSensitive(le->topo, "hosts");
	int net = ADDED_NET_FIRST + le->n_added;
	if (cJSON_GetArraySize(hosts) >= TOPO_MAX_HOSTS || net > 254)
		return err_set(e, ENOSPC, "le_add_host %s: the lab has no room for another host",
		               name);
	char gw[32], a[32], b[32], ifname[16];
	snprintf(gw, sizeof(gw), "10.10.%d.1", net);
	snprintf(a, sizeof(a), "10.10.%d.1/24", net);
	snprintf(b, sizeof(b), "10.10.%d.2/24", net);
	snprintf(ifname, sizeof(ifname), "add%d", le->n_added);
	cJSON *h = cJSON_CreateObject(), *route = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "name", name);
	cJSON_AddStringToObject(h, "role", role);
	cJSON_AddStringToObject(route, "to", "default");
	cJSON_AddStringToObject(route, "via", gw);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(h, "routes"), route);
	cJSON_AddItemToArray(hosts, h);
	cJSON *link = cJSON_CreateObject();
	cJSON_AddItemToObject(link, "a", link_end_json(router[0], ifname, a));
	cJSON_AddItemToObject(link, "b", link_end_json(name, "eth0", b));
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(le->topo, "links"), link);
	le->n_added++;
	return 0;
}

int le_worker_cgroups(struct lab_edit *le, err_t *e)
{
	int rc = in_phase(le, LE_TOPOLOGY, 1, "le_worker_cgroups", e);
	if (!rc)
		le->worker_cgroups = 1;
	return rc;
}

/* --- far side ------------------------------------------------------------------------- */

cJSON *le_config(struct lab_edit *le, const char *service, err_t *e)
{
	if (in_phase(le, LE_FAR_SIDE, 1, "le_config", e))
		return NULL;
	cJSON *c = NULL;
	for (int i = 0; i < le->n_configs; i++)
		if (!strcmp(le->configs[i].service, service))
			c = le->configs[i].tree;
	if (!c)
		err_set(e, ENOENT, "%s: the far side has no %s configuration of siplab's here",
		        le->current ? le->current->code : "a fault", service);
	return c;
}

const char *le_callee_prefix(const struct lab_edit *le)
{
	return le->s->far.callee_prefix;
}

/* --- the running lab ------------------------------------------------------------------ */

int le_workers(const struct lab_edit *le)
{
	return le->phase == LE_RUN ? le->n_workers : 0;
}

const char *le_worker_name(const struct lab_edit *le, int i)
{
	return i >= 0 && i < le->n_workers ? le->worker_names[i] : "?";
}

int le_worker_endpoints(const struct lab_edit *le, int i)
{
	if (le->phase != LE_RUN || !le->pf || i < 0 || i >= le->n_workers)
		return 0;
	const struct pf_worker *w = platform_worker(le->pf, le_worker_name(le, i));
	return w ? w->n_assigned : 0;
}

long long le_worker_memory(const struct lab_edit *le, int i)
{
	if (le->phase != LE_RUN || i < 0 || i >= le->n_workers || !le->workers[i]->has_cg)
		return -1;
	return cgroup_memory_usage(&le->workers[i]->cg);
}

int le_worker_memory_limit(struct lab_edit *le, int i, long long bytes, err_t *e)
{
	int rc = in_phase(le, LE_RUN, 1, "le_worker_memory_limit", e);
	if (rc)
		return rc;
	if (i < 0 || i >= le->n_workers || !le->workers[i]->has_cg)
		return err_set(e, ENOENT, "worker %d has no memory cgroup (le_worker_cgroups)", i);
	return cgroup_set_memory_limit(&le->workers[i]->cg, bytes, e);
}

int le_worker_cpu_limit(struct lab_edit *le, int i, double pct, err_t *e)
{
	int rc = in_phase(le, LE_RUN, 1, "le_worker_cpu_limit", e);
	if (rc)
		return rc;
	if (i < 0 || i >= le->n_workers || !le->workers[i]->has_cg)
		return err_set(e, ENOENT, "worker %d has no cgroup (le_worker_cgroups)", i);
	return cgroup_set_cpu_limit(&le->workers[i]->cg, pct, e);
}

int le_aimed_cpu_limit(struct lab_edit *le, double pct, err_t *e)
{
	int rc = 0;
	for (int i = 0; !rc && i < le_workers(le); i++) {
		if (!le_worker_aimed(le, i))
			continue;
		rc = le_worker_cpu_limit(le, i, pct, e);
		if (rc)
			break;
		if (pct > 0)
			le_note(le, "%s: %s's CPU limited to %g%% of one core (%d endpoints on it)",
			        le->current ? le->current->code : "a fault", le_worker_name(le, i),
			        pct, le_worker_endpoints(le, i));
		else
			le_note(le, "%s: %s's CPU quota lifted",
			        le->current ? le->current->code : "a fault", le_worker_name(le, i));
	}
	return rc;
}

int le_stop_service(struct lab_edit *le, const char *service, err_t *e)
{
	int rc = in_phase(le, LE_RUN, 0, "le_stop_service", e);
	if (rc)
		return rc;
	if (!le->far || farside_stop_service(le->far, le->lab, service))
		return err_set(e, ENOENT, "%s: the far side has no %s running",
		               le->current ? le->current->code : "a fault", service);
	le_note(le, "%s: the %s stopped (nothing listens on its ports now)",
	        le->current ? le->current->code : "a fault", service);
	return 0;
}

int le_at(struct lab_edit *le, long ms, le_action fn, const void *arg, err_t *e)
{
	int rc = in_phase(le, LE_RUN, 0, "le_at", e);
	if (rc)
		return rc;
	if (le->n_timers == FAULT_MAX_TIMERS)
		return err_set(e, ENOSPC, "%s: more than %d timed actions in one run",
		               le->current ? le->current->code : "a fault", FAULT_MAX_TIMERS);
	le->timers[le->n_timers++] = (struct le_timer){ms, fn, arg, le->k, 0};
	return 0;
}

/* --- the run's side --------------------------------------------------------------------- */

void edits_init(struct lab_edit *le, const struct scenario *s, struct labfile *lf, int quiet)
{
	memset(le, 0, sizeof(*le));
	le->s = s;
	le->lf = lf;
	le->quiet = quiet;
}

void edits_free(struct lab_edit *le)
{
	cJSON_Delete(le->topo);
	le->topo = NULL;
	for (int i = 0; i < le->n_deferred; i++)
		free(le->deferred[i].ruleset);
	le->n_deferred = 0;
	for (int i = 0; i < le->n_timed_cfg; i++) {
		cJSON_Delete(le->timed_cfg[i].on);
		cJSON_Delete(le->timed_cfg[i].off);
	}
	le->n_timed_cfg = 0;
}

typedef int (*hook_fn)(struct lab_edit *, const struct fault_args *, err_t *);

static hook_fn hook_of(const struct fault *f, enum le_phase p)
{
	switch (p) {
	case LE_SHAPE:
		return f->shape;
	case LE_TOPOLOGY:
		return f->topology;
	case LE_FAR_SIDE:
		return f->far_side;
	case LE_RUN:
		return f->run_start;
	}
	return NULL;
}

/* Make or undo one held-back edit on the running lab. */
static int switch_one(struct lab_edit *le, struct le_deferred *d, int on, err_t *e)
{
	char val[32];
	snprintf(val, sizeof(val), "%ld", d->value);
	if (d->ruleset)
		return lab_host_nft(le->lab, d->host, on ? d->ruleset : d->undo, e);
	if (on)
		return lab_host_sysctl(le->lab, d->host, d->key, val, d->old, sizeof(d->old), e);
	if (!d->old[0])
		return err_set(e, EIO, "sysctl %s on %s: its value before is unknown", d->key,
		               d->host);
	return lab_host_sysctl(le->lab, d->host, d->key, d->old, NULL, 0, e);
}

/* Make fault k's held-back edits on the running lab, all or none: a failed
 * one undoes those made before it. */
static int switch_on(struct lab_edit *le, int k, err_t *e)
{
	int rc = 0, i;
	if (!le->lab || (le->n_timed_cfg && !le->far))
		return err_set(e, ENOENT, "no running lab to switch the fault on in");
	for (i = 0; !rc && i < le->n_deferred; i++) {
		struct le_deferred *d = &le->deferred[i];
		if (d->k == k && !d->applied && !(rc = switch_one(le, d, 1, e)))
			d->applied = 1;
	}
	for (int c = 0; !rc && c < le->n_timed_cfg; c++)
		if (le->timed_cfg[c].k == k)
			rc = farside_reload(le->far, le->timed_cfg[c].service, le->timed_cfg[c].on,
			                    e);
	for (int j = 0; rc && j < le->n_deferred; j++) {
		struct le_deferred *d = &le->deferred[j];
		if (d->k == k && d->applied && !switch_one(le, d, 0, NULL))
			d->applied = 0;
	}
	return rc;
}

/* Undo fault k's held-back edits, every one that can be: the first error is
 * returned, the others still tried. */
static int switch_off(struct lab_edit *le, int k, err_t *e)
{
	int rc = 0;
	if (!le->lab || (le->n_timed_cfg && !le->far))
		return err_set(e, ENOENT, "no running lab to switch the fault off in");
	for (int i = 0; i < le->n_deferred; i++) {
		struct le_deferred *d = &le->deferred[i];
		if (d->k != k || !d->applied)
			continue;
		err_t one;
		int r = switch_one(le, d, 0, rc ? &one : e);
		d->applied = r != 0;
		rc = rc ? rc : r;
	}
	for (int c = 0; c < le->n_timed_cfg; c++) {
		err_t one;
		if (le->timed_cfg[c].k != k)
			continue;
		int r = farside_reload(le->far, le->timed_cfg[c].service, le->timed_cfg[c].off,
		                       rc ? &one : e);
		rc = rc ? rc : r;
	}
	return rc;
}

/* The code of the timed fault that changes a service's configuration
 * mid-run, or NULL. */
static const char *timed_config_of(const struct lab_edit *le, const char *service)
{
	for (int i = 0; i < le->n_timed_cfg; i++)
		if (!strcmp(le->timed_cfg[i].service, service))
			return le->s->faults[le->timed_cfg[i].k].code;
	return NULL;
}

/* A timed fault's far_side hook edits copies of the configurations; the
 * ones it changed are kept for its strike (and the originals for its
 * lift), the services start without them. */
static int held_back_far_side(struct lab_edit *le, hook_fn h, const struct scn_fault *sf, err_t *e)
{
	cJSON *live[4];
	int rc = 0;
	for (int i = 0; i < le->n_configs; i++) {
		live[i] = le->configs[i].tree;
		le->configs[i].tree = cJSON_Duplicate(live[i], 1);
	}
	rc = h(le, &sf->args, e);
	for (int i = 0; i < le->n_configs; i++) {
		cJSON *copy = le->configs[i].tree;
		le->configs[i].tree = live[i];
		if (rc || cJSON_Compare(copy, live[i], 1)) {
			cJSON_Delete(copy);
			continue;
		}
		if (strcmp(le->configs[i].service, "dns") || timed_config_of(le, "dns") ||
		    le->n_timed_cfg == (int)(sizeof(le->timed_cfg) / sizeof(le->timed_cfg[0]))) {
			cJSON_Delete(copy);
			rc = timed_config_of(le, "dns")
			             ? err_set(e, ENOTSUP,
			                       "%s: at_s/until_s: %s already changes the DNS "
			                       "server's configuration mid-run; two timed faults "
			                       "cannot share it",
			                       sf->code, timed_config_of(le, "dns"))
			             : err_set(e, ENOTSUP,
			                       "%s: at_s/until_s: the %s cannot take a new "
			                       "configuration mid-run (only the DNS server "
			                       "reloads, on SIGHUP)",
			                       sf->code, le->configs[i].service);
			continue;
		}
		le->timed_cfg[le->n_timed_cfg++] = (struct le_timed_config){
		        le->k, le->configs[i].service, copy, cJSON_Duplicate(live[i], 1)};
	}
	return rc;
}

static int strike(struct lab_edit *le, const void *arg, err_t *e)
{
	const struct scn_fault *sf = arg;
	int rc = switch_on(le, le->k, e);
	if (!rc && le->current->run_start)
		rc = le->current->run_start(le, &sf->args, e);
	if (!rc)
		le_note(le, "%s: switched on", sf->code);
	return rc;
}

/* Everything is undone that can be, run_stop included, whatever failed. */
static int lift(struct lab_edit *le, const void *arg, err_t *e)
{
	const struct scn_fault *sf = arg;
	err_t later;
	int rc = switch_off(le, le->k, e);
	int stop =
	        le->current->run_stop ? le->current->run_stop(le, &sf->args, rc ? &later : e) : 0;
	rc = rc ? rc : stop;
	if (!rc)
		le_note(le, "%s: switched off", sf->code);
	return rc;
}

/* A timed fault's run_start is its strike at at_s (0: as the run starts),
 * which also makes its held-back edits; at until_s they are undone. */
static int schedule(struct lab_edit *le, const struct scn_fault *sf, err_t *e)
{
	int rc = sf->has_at ? le_at(le, le_ms(le, sf->at_s), strike, sf, e) : strike(le, sf, e);
	if (!rc && sf->has_until)
		rc = le_at(le, le_ms(le, sf->until_s), lift, sf, e);
	return rc;
}

/* Every fault of the scenario, in order, through the hook of this phase —
 * for the far side, the timed ones after every other, so the configuration
 * a timed fault switches to and from carries all the others' edits. */
static int run_hooks(struct lab_edit *le, enum le_phase p, err_t *e)
{
	le->phase = p;
	int passes = p == LE_FAR_SIDE ? 2 : 1;
	for (int j = 0; j < passes * le->s->n_faults; j++) {
		int k = j % le->s->n_faults, pass = j / le->s->n_faults;
		const struct scn_fault *sf = &le->s->faults[k];
		const struct fault *f = fault_find(sf->code);
		hook_fn h = f ? hook_of(f, p) : NULL;
		int at_run = p == LE_RUN && timed(sf);
		if ((!h && !at_run) || (passes == 2 && pass != timed(sf)))
			continue;
		le->current = f;
		le->k = k;
		int rc = at_run                          ? schedule(le, sf, e)
		         : p == LE_FAR_SIDE && timed(sf) ? held_back_far_side(le, h, sf, e)
		                                         : h(le, &sf->args, e);
		le->current = NULL;
		if (rc)
			return err_wrap(e, rc, "fault %s (%s hook)", f->code, phase_names[p]);
	}
	return 0;
}

int edits_topology(struct lab_edit *le, char **json, err_t *e)
{
	int rc = run_hooks(le, LE_SHAPE, e);
	if (rc)
		return rc;
	char *base = topo_standard_json_nat(le->s->platform.workers, le->nat ? le->nat_workers : 0,
	                                    le->masquerade);
	le->topo = base ? cJSON_Parse(base) : NULL;
	free(base);
	if (!le->topo)
		return err_set(e, ENOMEM, "out of memory building the topology");
	/* The scenario's second registrar comes before the faults, so they
	 * find it by its name. */
	le->phase = LE_TOPOLOGY;
	if (le->s->far.peer_domain[0] && (rc = le_add_host(le, LE_PEER_REGISTRAR, "host", e)))
		return rc;
	if ((rc = run_hooks(le, LE_TOPOLOGY, e)))
		return rc;
	*json = cJSON_Print(le->topo);
	return *json ? 0 : err_set(e, ENOMEM, "out of memory printing the topology");
}

int edits_far_side(struct lab_edit *le, cJSON *registrar, cJSON *dns, cJSON *callees, err_t *e)
{
	le->n_configs = 0;
	if (registrar)
		le->configs[le->n_configs++] = (typeof(le->configs[0])){"registrar", registrar};
	le->configs[le->n_configs++] = (typeof(le->configs[0])){"dns", dns};
	if (callees)
		le->configs[le->n_configs++] = (typeof(le->configs[0])){"callees", callees};
	if (le->alg_config)
		le->configs[le->n_configs++] = (typeof(le->configs[0])){"alg", le->alg_config};
	int rc = run_hooks(le, LE_FAR_SIDE, e);
	le->n_configs = 0; /* the trees stay the caller's */
	return rc;
}

int edits_run_start(struct lab_edit *le, struct lab_proc **workers, int n, struct platform *pf,
                    err_t *e)
{
	le->workers = workers;
	le->n_workers = n < PF_MAX_WORKERS ? n : PF_MAX_WORKERS;
	le->pf = pf;
	/* Worker i's process runs in host worker<i+1>, under that name at the
	 * gateway (the platform lists workers in the order they connected). */
	for (int i = 0; i < le->n_workers; i++)
		topo_worker_name(i, le->worker_names[i], sizeof(le->worker_names[i]));
	return run_hooks(le, LE_RUN, e);
}

void edits_cancel(struct lab_edit *le)
{
	for (int i = 0; i < le->n_timers; i++)
		le->timers[i].done = 1;
}

void edits_tick(struct lab_edit *le, long run_ms)
{
	for (int i = 0; i < le->n_timers; i++) {
		struct le_timer *t = &le->timers[i];
		if (t->done || run_ms < t->ms)
			continue;
		t->done = 1;
		le->k = t->k;
		le->current = t->k < le->s->n_faults ? fault_find(le->s->faults[t->k].code) : NULL;
		err_t e = {{0}};
		if (t->fn(le, t->arg, &e)) {
			snprintf(le->failed, sizeof(le->failed), "%s: a timed action failed: %s",
			         le->current ? le->current->code : "a fault", e.msg);
			le_note(le, "%s", le->failed);
		}
		le->current = NULL;
	}
}

int le_worker_token_revoked(struct lab_edit *le, err_t *e)
{
	int rc = in_phase(le, LE_TOPOLOGY, 1, "le_worker_token_revoked", e);
	if (!rc) {
		le->token_revoked = 1;
		le_note(le, "the workers get a token the platform did not issue");
	}
	return rc;
}

int le_service_cpu_limit(struct lab_edit *le, const char *service, double pct, err_t *e)
{
	int rc = in_phase(le, LE_RUN, 0, "le_service_cpu_limit", e);
	if (rc)
		return rc;
	if (!le->far)
		return err_set(e, ENOENT, "%s: the far side is not running",
		               le->current ? le->current->code : "a fault");
	return farside_cpu_limit(le->far, le->lab, service, pct, e);
}

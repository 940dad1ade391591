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

int le_hosts(const struct lab_edit *le, const char *role, const char **names, int cap)
{
	int n = 0;
	const cJSON *h;
	cJSON_ArrayForEach (h, cJSON_GetObjectItemCaseSensitive(le->topo, "hosts"))
		if (!strcmp(str_of(h, "role"), role)) {
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

int le_nft(struct lab_edit *le, const char *host, const char *ruleset, err_t *e)
{
	cJSON *rules;
	int rc = host_member(le, host, "nftables", 1, "le_nft", &rules, e);
	if (!rc)
		cJSON_AddItemToArray(rules, cJSON_CreateString(ruleset));
	return rc;
}

int le_sysctl(struct lab_edit *le, const char *host, const char *key, long value, err_t *e)
{
	cJSON *sys;
	int rc = host_member(le, host, "sysctls", 0, "le_sysctl", &sys, e);
	if (!rc) {
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
	le->timers[le->n_timers++] = (struct le_timer){ms, fn, arg, le->current, 0};
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

/* Every fault of the scenario, through the hook of this phase. */
static int run_hooks(struct lab_edit *le, enum le_phase p, err_t *e)
{
	le->phase = p;
	const struct fault *f = le->s->has_fault ? fault_find(le->s->fault.code) : NULL;
	hook_fn h = f ? hook_of(f, p) : NULL;
	if (!h)
		return 0;
	le->current = f;
	int rc = h(le, &le->s->fault.args, e);
	le->current = NULL;
	return rc ? err_wrap(e, rc, "fault %s (%s hook)", f->code, phase_names[p]) : 0;
}

int edits_topology(struct lab_edit *le, char **json, err_t *e)
{
	int rc = run_hooks(le, LE_SHAPE, e);
	if (rc)
		return rc;
	char *base = topo_standard_json_masq(le->s->platform.workers, le->nat, le->masquerade);
	le->topo = base ? cJSON_Parse(base) : NULL;
	free(base);
	if (!le->topo)
		return err_set(e, ENOMEM, "out of memory building the topology");
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

void edits_tick(struct lab_edit *le, long run_ms)
{
	for (int i = 0; i < le->n_timers; i++) {
		struct le_timer *t = &le->timers[i];
		if (t->done || run_ms < t->ms)
			continue;
		t->done = 1;
		le->current = t->f;
		err_t e = {{0}};
		if (t->fn(le, t->arg, &e))
			le_note(le, "%s: a timed action failed: %s", t->f->code, e.msg);
		le->current = NULL;
	}
}

int le_service_cpu_limit(struct lab_edit *le, const char *service, double pct, err_t *e)
{
	int rc = in_phase(le, LE_RUN, 0, "le_service_cpu_limit", e);
	if (rc)
		return rc;
	rc = le->far ? farside_cpu_limit(le->far, le->lab, service, pct, e) : -1;
	if (rc == -1)
		return err_set(e, ENOENT, "%s: the far side has no %s running",
		               le->current ? le->current->code : "a fault", service);
	return rc;
}

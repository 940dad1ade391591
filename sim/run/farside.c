/* farside.c — start the lab's far side for a scenario (see farside.h). */
#define _GNU_SOURCE
#include "farside.h"

#include "../../lib/rng.h"
#include "../../registrar/registrar.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRAR_ADDR "10.10.2.2"
#define CALLEE_ADDR    "10.10.3.2"
#define DNS_ADDR       "10.10.4.2"
#define PLATFORM_ADDR  "10.10.1.2"

static void add_record(cJSON *records, const char *name, const char *type, const char *value)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "type", type);
	cJSON_AddStringToObject(r, "value", value);
	cJSON_AddItemToArray(records, r);
}

static void add_naptr(cJSON *records, int order, const char *service, const char *value)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", "lab");
	cJSON_AddStringToObject(r, "type", "NAPTR");
	cJSON_AddNumberToObject(r, "order", order);
	cJSON_AddNumberToObject(r, "preference", 10);
	cJSON_AddStringToObject(r, "flags", "s");
	cJSON_AddStringToObject(r, "service", service);
	cJSON_AddStringToObject(r, "value", value);
	cJSON_AddItemToArray(records, r);
}

static void add_srv(cJSON *records, const char *name, int port)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "type", "SRV");
	cJSON_AddNumberToObject(r, "priority", 10);
	cJSON_AddNumberToObject(r, "weight", 10);
	cJSON_AddNumberToObject(r, "port", port);
	cJSON_AddStringToObject(r, "value", "registrar.lab");
	cJSON_AddItemToArray(records, r);
}

/* Names as a customer's would be: the registrar by name, and the domain
 * "lab" discoverable by NAPTR and SRV (RFC 3263) for transport "auto". */
static cJSON *dns_config(const struct scenario *s)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "listen", DNS_ADDR);
	/* Resolvers cache for the TTL: scaled like every duration, so a record
	 * changed mid-run is seen as soon, in scenario time, as it would be. */
	long ttl = (scenario_ms(s, s->far.dns_ttl_s) + 999) / 1000;
	cJSON_AddNumberToObject(d, "ttl", (double)(ttl < 1 ? 1 : ttl));
	cJSON_AddArrayToObject(d, "faults");
	cJSON *r = cJSON_AddArrayToObject(d, "records");
	add_record(r, "registrar.lab", "A", REGISTRAR_ADDR);
	add_record(r, "callee.lab", "A", CALLEE_ADDR);
	add_record(r, "platform.lab", "A", PLATFORM_ADDR);
	add_record(r, "lab", "A", REGISTRAR_ADDR);
	add_naptr(r, 10, "SIP+D2U", "_sip._udp.lab");
	add_naptr(r, 20, "SIP+D2T", "_sip._tcp.lab");
	add_srv(r, "_sip._udp.lab", 5060);
	add_srv(r, "_sip._tcp.lab", 5060);
	add_srv(r, "_sips._tcp.lab", 5061);
	return d;
}

/* The Kamailio configuration's template (sim/run/kamailio.cfg.in), built
 * into the program so a run does not depend on where it is started from. */
__asm__(".section .rodata\n"
        ".global kamailio_template\n"
        "kamailio_template:\n"
        ".incbin \"sim/run/kamailio.cfg.in\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char kamailio_template[];

static int write_file(const char *dir, const char *name, const char *text, char *path, size_t cap,
                      err_t *e)
{
	snprintf(path, cap, "%s/%s", dir, name);
	return sys_write_file(path, text, strlen(text), 1, e);
}

/* SIP timers for a compressed run: T1 and Timer B/F scaled with it. */
static void add_sip_timers(cJSON *o, const struct scenario *s)
{
	long t1 = scenario_ms(s, 0.5);
	t1 = t1 < 5 ? 5 : t1;
	cJSON_AddNumberToObject(o, "t1_ms", (double)t1);
	cJSON_AddNumberToObject(o, "t1x64_ms", (double)(64 * t1));
}

/* The registrar's account pools: the far side's own when the scenario gives
 * them, else the groups' accounts. */
static int registrar_pools(const struct scenario *s)
{
	return s->far.n_pools ? s->far.n_pools : s->n_groups;
}

static const struct scn_accounts *registrar_pool(const struct scenario *s, int i)
{
	return s->far.n_pools ? &s->far.pools[i] : &s->groups[i].accounts;
}

static cJSON *pool_json(const char *prefix, int first, int count, const char *password,
                        const char *domain)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "prefix", prefix);
	if (first >= 0)
		cJSON_AddNumberToObject(p, "first", first);
	cJSON_AddNumberToObject(p, "count", count);
	cJSON_AddStringToObject(p, "password", password);
	if (domain)
		cJSON_AddStringToObject(p, "domain", domain);
	return p;
}

/* siplab's registrar as the scenario describes it; the faults edit it. */
static cJSON *registrar_config(const struct farside *f, const struct scenario *s)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "listen", REGISTRAR_ADDR);
	cJSON *domains = cJSON_AddArrayToObject(r, "domains");
	cJSON_AddItemToArray(domains, cJSON_CreateString("lab"));
	cJSON_AddItemToArray(domains, cJSON_CreateString("registrar.lab"));
	cJSON *t = cJSON_AddArrayToObject(r, "transports");
	static const char *const names[] = {"udp", "tcp", "tls"};
	const int on[] = {s->far.udp, s->far.tcp, s->far.tls};
	for (int i = 0; i < 3; i++)
		if (on[i])
			cJSON_AddItemToArray(t, cJSON_CreateString(names[i]));
	char log[PATH_MAX + 32];
	snprintf(log, sizeof(log), "%s/registrar-wire.log", f->dir);
	cJSON_AddStringToObject(r, "log", log);
	cJSON_AddStringToObject(r, "tls_dir", f->tls_dir);
	add_sip_timers(r, s);
	if (s->sbc_relay || s->sbc_reorder || s->sbc_rewrite[0]) {
		cJSON *sbc = cJSON_AddObjectToObject(r, "sbc");
		cJSON_AddBoolToObject(sbc, "relay", s->sbc_relay);
		cJSON_AddBoolToObject(sbc, "reorder", s->sbc_reorder);
		if (s->sbc_rewrite[0])
			cJSON_AddStringToObject(sbc, "rewrite_address", s->sbc_rewrite);
		cJSON_AddArrayToObject(sbc, "strip");
	}
	cJSON *pools = cJSON_AddArrayToObject(r, "account_pool");
	cJSON_AddItemToArray(pools, pool_json(s->far.callee_prefix, -1, s->far.callee_count,
	                                      f->callee_password, NULL));
	for (int i = 0; i < registrar_pools(s); i++) {
		const struct scn_accounts *a = registrar_pool(s, i);
		if (s->far.peer_domain[0] && !strcmp(a->domain, s->far.peer_domain))
			continue; /* the second registrar's */
		cJSON_AddItemToArray(pools,
		                     pool_json(a->prefix, a->first, a->count > 0 ? a->count : 1,
		                               a->password, a->domain));
	}
	if (s->platform.other_run.endpoints > 0) { /* another tenant's accounts */
		static struct scenario other;
		scenario_other_run(s, &other);
		const struct scn_accounts *a = &other.groups[0].accounts;
		cJSON_AddItemToArray(
		        pools, pool_json(a->prefix, a->first, a->count, a->password, a->domain));
	}
	return r;
}

/* Whether the registrar's (edited) configuration listens on a transport. */
static int listens_on(const cJSON *reg, const char *transport)
{
	const cJSON *t;
	cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive(reg, "transports"))
		if (cJSON_IsString(t) && !strcmp(t->valuestring, transport))
			return 1;
	return 0;
}

static int write_json(const char *dir, const char *name, const cJSON *tree, char *path, size_t cap,
                      err_t *e)
{
	char *text = cJSON_Print(tree);
	if (!text)
		return err_set(e, ENOMEM, "out of memory writing %s", name);
	int rc = write_file(dir, name, text, path, cap, e);
	free(text);
	return rc;
}

/* The index of the key whose @NAME@ starts at p, or -1. */
static int field_at(const char *p, const char *const *keys)
{
	for (int i = 0; *p == '@' && keys[i]; i++) {
		size_t n = strlen(keys[i]);
		if (!strncmp(p + 1, keys[i], n) && p[1 + n] == '@')
			return i;
	}
	return -1;
}

/* text with every @NAME@ of keys[i] replaced by values[i]; malloc'd, or
 * NULL when out of memory. Two passes: the size, then the text. */
static char *fill_template(const char *text, const char *const *keys, const char *const *values)
{
	size_t size = 1;
	for (const char *p = text; *p;) {
		int k = field_at(p, keys);
		size += k < 0 ? 1 : strlen(values[k]);
		p += k < 0 ? 1 : strlen(keys[k]) + 2;
	}
	char *out = malloc(size), *o = out;
	for (const char *p = text; out && *p;) {
		int k = field_at(p, keys);
		if (k < 0) {
			*o++ = *p++;
			continue;
		}
		o = stpcpy(o, values[k]);
		p += strlen(keys[k]) + 2;
	}
	if (out)
		*o = '\0';
	return out;
}

static void password_line(char *buf, size_t cap, size_t *n, const char *prefix, const char *pw)
{
	*n += (size_t)snprintf(buf + *n, *n < cap ? cap - *n : 0,
	                       "\t\tif ($tU =~ \"^%s[0-9]+$\") $var(pw) = \"%s\";\n", prefix, pw);
}

static int write_kamailio(struct farside *f, const struct scenario *s, char *path, size_t cap,
                          err_t *e)
{
	/* One password per account prefix, as the scenario's pools have it. */
	size_t size = (size_t)(s->n_groups + s->far.n_pools + 1) * 192, n = 0;
	char *pw = malloc(size);
	if (!pw)
		return err_set(e, ENOMEM, "out of memory");
	password_line(pw, size, &n, s->far.callee_prefix, f->callee_password);
	for (int i = 0; i < registrar_pools(s); i++)
		password_line(pw, size, &n, registrar_pool(s, i)->prefix,
		              registrar_pool(s, i)->password);
	if (n && pw[n - 1] == '\n')
		pw[n - 1] = '\0'; /* the template's line ends it */
	static const char *const keys[] = {"ADDR", "PASSWORDS", NULL};
	const char *values[] = {REGISTRAR_ADDR, pw, NULL};
	char *cfg = fill_template(kamailio_template, keys, values);
	free(pw);
	if (!cfg)
		return err_set(e, ENOMEM, "out of memory filling the Kamailio template");
	int rc = write_file(f->dir, "kamailio.cfg", cfg, path, cap, e);
	free(cfg);
	return rc;
}

static int start_registrar(struct farside *f, struct lab *lab, const struct scenario *s,
                           const cJSON *reg, const char *self, err_t *e)
{
	char cfg[PATH_MAX], log[PATH_MAX];
	int rc;
	if (s->far.registrar == SCN_REG_KAMAILIO) {
		char run[PATH_MAX];
		snprintf(run, sizeof(run), "%s/kamailio.run", f->dir);
		if ((rc = sys_mkdir_p(run, 0755, e)) ||
		    (rc = write_kamailio(f, s, cfg, sizeof(cfg), e)))
			return rc;
		snprintf(log, sizeof(log), "%s/kamailio.log", f->dir);
		char *argv[] = {"kamailio", "-f", cfg, "-DD", "-E", "-Y", run, NULL};
		/* Kamailio cannot write our readiness line: ready is when its
		 * SIP port answers. Its randomness is its own (not seeded). */
		const struct lab_ready ready = {LAB_READY_SIP, 10000, REGISTRAR_ADDR, 5060};
		return lab_service(lab, "registrar", argv, log, &ready, &f->registrar, e);
	}
	if ((rc = write_json(f->dir, "registrar.json", reg, cfg, sizeof(cfg), e)))
		return rc;
	snprintf(log, sizeof(log), "%s/registrar.log", f->dir);
	char seed[24];
	rng_seed_arg(s->seed.value, "registrar", seed, sizeof(seed));
	char *argv[] = {(char *)self, "registrar", cfg, "--seed", seed, NULL};
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 10000};
	return lab_service(lab, "registrar", argv, log, &ready, &f->registrar, e);
}

/* The callee pool registers over a transport the registrar listens on (the
 * far side of a test is not where the test's own mistakes are), as the
 * registrar's configuration has it after the faults. */
static void callee_registrar(const struct scenario *s, const cJSON *reg, cJSON *cfg,
                             const char *tls_dir)
{
	const char *uri = "sip:" REGISTRAR_ADDR ":5060";
	if (reg && !listens_on(reg, "udp") && s->far.registrar != SCN_REG_KAMAILIO) {
		if (listens_on(reg, "tcp")) {
			uri = "sip:" REGISTRAR_ADDR ":5060;transport=tcp";
		} else {
			uri = "sips:" REGISTRAR_ADDR ":5061";
			cJSON_AddStringToObject(cfg, "tls_dir", tls_dir);
		}
	}
	cJSON_AddStringToObject(cfg, "registrar", uri);
}

/* The callee pool as the scenario describes it; the faults edit it. Where
 * it registers is added once the registrar's configuration is final. */
static cJSON *callees_config(const struct farside *f, const struct scenario *s)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "domain", f->callee_domain);
	cJSON_AddStringToObject(c, "bind", CALLEE_ADDR);
	cJSON_AddStringToObject(c, "prefix", s->far.callee_prefix);
	cJSON_AddNumberToObject(c, "count", s->far.callee_count);
	cJSON_AddStringToObject(c, "password", f->callee_password);
	cJSON_AddStringToObject(c, "behaviour", s->far.callee_behaviour);
	add_sip_timers(c, s);
	return c;
}

static int start_callees(struct farside *f, struct lab *lab, const struct scenario *s,
                         const cJSON *reg, cJSON *c, const char *self, err_t *e)
{
	char cfg[PATH_MAX], log[PATH_MAX];
	callee_registrar(s, reg, c, f->tls_dir);
	int rc = write_json(f->dir, "callees.json", c, cfg, sizeof(cfg), e);
	if (rc)
		return rc;
	snprintf(log, sizeof(log), "%s/callees.log", f->dir);
	char seed[24];
	rng_seed_arg(s->seed.value, "callees", seed, sizeof(seed));
	char *argv[] = {(char *)self, "callees", cfg, "--seed", seed, NULL};
	/* Ready once every account meant to register is registered. */
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 10000};
	return lab_service(lab, "callee", argv, log, &ready, &f->callees, e);
}

static int uses_callee_pool(const struct scenario *s)
{
	if (s->platform.other_run.endpoints > 0) /* the other tenant's callers dial it */
		return 1;
	for (int i = 0; i < s->n_groups; i++)
		if (!strcmp(s->groups[i].target, "callee-pool"))
			return 1;
	return 0;
}

/* The lab CA and certificate, made once for the run: the registrar serves
 * TLS with them, and the workers' and callee pool's SIP stacks need one to
 * speak TLS at all, even to a registrar that has no TLS. */
static int make_certs(const struct farside *f, err_t *e)
{
	return registrar_make_certs(f->tls_dir, "registrar.lab",
	                            "DNS:registrar.lab,DNS:lab,IP:" REGISTRAR_ADDR, e);
}

/* --- the second registrar (far_side.peer_domain) ------------------------------ */

static void add_peer(cJSON *reg, const char *domain, const char *addr)
{
	cJSON *peers = cJSON_GetObjectItemCaseSensitive(reg, "peers");
	if (!peers)
		peers = cJSON_AddArrayToObject(reg, "peers");
	char uri[96];
	snprintf(uri, sizeof(uri), "sip:%s:5060", addr);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "domain", domain);
	cJSON_AddStringToObject(p, "uri", uri);
	cJSON_AddItemToArray(peers, p);
}

/* A registrar of its own for the peer domain, over UDP, with that domain's
 * account pools; requests for the first registrar's domain go back there,
 * as two providers' proxies peer. */
static cJSON *peer_registrar_config(const struct farside *f, const struct scenario *s,
                                    const char *addr)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "listen", addr);
	cJSON *domains = cJSON_AddArrayToObject(r, "domains");
	cJSON_AddItemToArray(domains, cJSON_CreateString(s->far.peer_domain));
	cJSON_AddItemToArray(domains, cJSON_CreateString(LE_PEER_REGISTRAR ".lab"));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "transports"), cJSON_CreateString("udp"));
	char log[PATH_MAX + 32];
	snprintf(log, sizeof(log), "%s/" LE_PEER_REGISTRAR "-wire.log", f->dir);
	cJSON_AddStringToObject(r, "log", log);
	cJSON_AddStringToObject(r, "tls_dir", f->tls_dir);
	add_sip_timers(r, s);
	cJSON *pools = cJSON_AddArrayToObject(r, "account_pool");
	for (int i = 0; i < registrar_pools(s); i++) {
		const struct scn_accounts *a = registrar_pool(s, i);
		if (!strcmp(a->domain, s->far.peer_domain))
			cJSON_AddItemToArray(pools, pool_json(a->prefix, a->first,
			                                      a->count > 0 ? a->count : 1,
			                                      a->password, a->domain));
	}
	add_peer(r, "lab", REGISTRAR_ADDR);
	return r;
}

static int start_peer_registrar(struct farside *f, struct lab *lab, const struct scenario *s,
                                const cJSON *reg, const char *self, err_t *e)
{
	char cfg[PATH_MAX], log[PATH_MAX], seed[24];
	int rc = write_json(f->dir, LE_PEER_REGISTRAR ".json", reg, cfg, sizeof(cfg), e);
	if (rc)
		return rc;
	snprintf(log, sizeof(log), "%s/" LE_PEER_REGISTRAR ".log", f->dir);
	rng_seed_arg(s->seed.value, LE_PEER_REGISTRAR, seed, sizeof(seed));
	char *argv[] = {(char *)self, "registrar", cfg, "--seed", seed, NULL};
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 10000};
	return lab_service(lab, LE_PEER_REGISTRAR, argv, log, &ready, &f->registrar2, e);
}

/* The second registrar's configuration in *peer (NULL when the scenario has
 * none), its name in the lab's DNS and the first registrar's route to it. */
static int peer_setup(const struct farside *f, const struct scenario *s, struct lab_edit *le,
                      cJSON *reg, cJSON *dns, cJSON **peer, err_t *e)
{
	char addr[64];
	*peer = NULL;
	if (!s->far.peer_domain[0] || !reg)
		return 0;
	int rc = le_host_addr(le, LE_PEER_REGISTRAR, addr, sizeof(addr), e);
	if (rc)
		return rc;
	add_record(cJSON_GetObjectItemCaseSensitive(dns, "records"), LE_PEER_REGISTRAR ".lab", "A",
	           addr);
	add_peer(reg, s->far.peer_domain, addr);
	*peer = peer_registrar_config(f, s, addr);
	return *peer ? 0 : err_set(e, ENOMEM, "out of memory");
}

static int start_services(struct farside *f, struct lab *lab, const struct scenario *s,
                          const cJSON *reg, const cJSON *dns, cJSON *callees, const char *self,
                          err_t *e)
{
	char cfg[PATH_MAX], log[PATH_MAX];
	int rc = write_json(f->dir, "dns.json", dns, cfg, sizeof(cfg), e);
	if (rc)
		return rc;
	snprintf(log, sizeof(log), "%s/dns.log", f->dir);
	char *argv[] = {(char *)self, "dns", cfg, NULL};
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 5000};
	if ((rc = lab_service(lab, "dns", argv, log, &ready, &f->dns, e)))
		return err_wrap(e, rc, "the lab's DNS server");
	if ((rc = start_registrar(f, lab, s, reg, self, e)))
		return err_wrap(e, rc, "the registrar");
	if (callees && (rc = start_callees(f, lab, s, reg, callees, self, e)))
		return err_wrap(e, rc, "the callee pool");
	return 0;
}

/* The NAT router's SIP ALG, as a fault configured it (registrar/alg.h). */
static int start_alg(struct farside *f, struct lab *lab, const cJSON *alg, const char *self,
                     err_t *e)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(alg, "listen");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(alg, "upstream");
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(alg, "outside");
	if (!cJSON_IsString(l) || !cJSON_IsString(u) || !cJSON_IsString(o))
		return err_set(e, EINVAL, "the SIP ALG needs listen, upstream and outside");
	char log[PATH_MAX];
	snprintf(log, sizeof(log), "%s/alg.log", f->dir);
	char *argv[] = {(char *)self, "alg", l->valuestring, u->valuestring, o->valuestring, NULL};
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 5000};
	int rc = lab_service(lab, "nat", argv, log, &ready, &f->alg, e);
	return rc ? err_wrap(e, rc, "the SIP ALG on the NAT router") : 0;
}

int farside_start(struct farside *f, struct lab *lab, const struct scenario *s, struct lab_edit *le,
                  const char *self, const char *dir, err_t *e)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	snprintf(f->tls_dir, sizeof(f->tls_dir), "%s/tls", dir);
	snprintf(f->callee_domain, sizeof(f->callee_domain), "lab");
	snprintf(f->callee_password, sizeof(f->callee_password), "callee-secret");
	int rc = sys_mkdir_p(dir, 0755, e);
	if (!rc)
		rc = make_certs(f, e);
	if (rc)
		return rc;
	/* Kamailio's configuration is its own template, not a tree to edit. */
	cJSON *reg = s->far.registrar == SCN_REG_KAMAILIO ? NULL : registrar_config(f, s);
	cJSON *dns = dns_config(s);
	/* The callee pool runs only when a group dials it (or a person may). */
	cJSON *callees = uses_callee_pool(s) || le->keep ? callees_config(f, s) : NULL;
	cJSON *peer, *alg = cJSON_CreateObject();
	rc = peer_setup(f, s, le, reg, dns, &peer, e);
	le->alg_config = alg;
	if (!rc)
		rc = edits_far_side(le, reg, dns, callees, e);
	le->alg_config = NULL;
	if (!rc)
		rc = start_services(f, lab, s, reg, dns, callees, self, e);
	if (!rc && peer && (rc = start_peer_registrar(f, lab, s, peer, self, e)))
		err_wrap(e, rc, "the second registrar (%s)", s->far.peer_domain);
	if (!rc && cJSON_GetObjectItemCaseSensitive(alg, "upstream"))
		rc = start_alg(f, lab, alg, self, e);
	cJSON_Delete(peer);
	cJSON_Delete(alg);
	le->far = f; /* a fault may stop a service as the run starts */
	le->lab = lab;
	cJSON_Delete(reg);
	cJSON_Delete(dns);
	cJSON_Delete(callees);
	return rc;
}

static void stop(struct lab *lab, struct lab_proc **p)
{
	if (!*p)
		return;
	kill((*p)->pid, SIGTERM);
	if (lab_wait(lab, *p, 5000, NULL)) {
		kill((*p)->pid, SIGKILL);
		lab_wait(lab, *p, 2000, NULL);
	}
	lab_release(lab, *p);
	*p = NULL;
}

void farside_stop(struct farside *f, struct lab *lab)
{
	stop(lab, &f->alg);
	stop(lab, &f->callees);
	stop(lab, &f->registrar2);
	stop(lab, &f->registrar);
	stop(lab, &f->dns);
}

/* As a crash: SIGKILL, then collect it (no graceful shutdown to wait for). */
static void kill_now(struct lab *lab, struct lab_proc **p)
{
	kill((*p)->pid, SIGKILL);
	lab_wait(lab, *p, 2000, NULL);
	lab_release(lab, *p);
	*p = NULL;
}

int farside_stop_service(struct farside *f, struct lab *lab, const char *service)
{
	struct lab_proc **p = !strcmp(service, "registrar") ? &f->registrar
	                      : !strcmp(service, "dns")     ? &f->dns
	                      : !strcmp(service, "callee")  ? &f->callees
	                                                    : NULL;
	if (!p || !*p)
		return -1;
	kill_now(lab, p);
	return 0;
}

int farside_cpu_limit(struct farside *f, struct lab *lab, const char *service, double pct, err_t *e)
{
	struct lab_proc *p = !strcmp(service, "registrar") ? f->registrar
	                     : !strcmp(service, "dns")     ? f->dns
	                     : !strcmp(service, "callee")  ? f->callees
	                                                   : NULL;
	if (!p)
		return err_set(e, ENOENT, "the far side has no %s running", service);
	return lab_proc_cpu_limit(lab, p, pct, e);
}

int farside_reload(struct farside *f, const char *service, const cJSON *tree, err_t *e)
{
	char path[PATH_MAX];
	if (strcmp(service, "dns"))
		return err_set(e, ENOTSUP,
		               "the %s cannot take a new configuration while it runs (only the DNS "
		               "server reloads, on SIGHUP)",
		               service);
	if (!f->dns)
		return err_set(e, ENOENT, "the DNS server is not running");
	int rc = write_json(f->dir, "dns.json", tree, path, sizeof(path), e);
	if (!rc && kill(f->dns->pid, SIGHUP) < 0)
		rc = err_set(e, errno, "SIGHUP to the DNS server: %s", strerror(errno));
	return rc;
}

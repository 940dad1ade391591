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

/* Names as a customer's would be: the registrar by name, and the domain
 * "lab" discoverable by NAPTR and SRV (RFC 3263) for transport "auto". */
static const char dns_json[] =
        "{\"listen\":\"" DNS_ADDR "\",\"faults\":[%s],\"records\":["
        "{\"name\":\"registrar.lab\",\"type\":\"A\",\"value\":\"" REGISTRAR_ADDR "\"},"
        "{\"name\":\"callee.lab\",\"type\":\"A\",\"value\":\"" CALLEE_ADDR "\"},"
        "{\"name\":\"platform.lab\",\"type\":\"A\",\"value\":\"10.10.1.2\"},"
        "{\"name\":\"lab\",\"type\":\"A\",\"value\":\"" REGISTRAR_ADDR "\"},"
        "{\"name\":\"lab\",\"type\":\"NAPTR\",\"order\":10,\"preference\":10,\"flags\":\"s\","
        "\"service\":\"SIP+D2U\",\"value\":\"_sip._udp.lab\"},"
        "{\"name\":\"lab\",\"type\":\"NAPTR\",\"order\":20,\"preference\":10,\"flags\":\"s\","
        "\"service\":\"SIP+D2T\",\"value\":\"_sip._tcp.lab\"},"
        "{\"name\":\"_sip._udp.lab\",\"type\":\"SRV\",\"priority\":10,\"weight\":10,"
        "\"port\":5060,\"value\":\"registrar.lab\"},"
        "{\"name\":\"_sip._tcp.lab\",\"type\":\"SRV\",\"priority\":10,\"weight\":10,"
        "\"port\":5060,\"value\":\"registrar.lab\"},"
        "{\"name\":\"_sips._tcp.lab\",\"type\":\"SRV\",\"priority\":10,\"weight\":10,"
        "\"port\":5061,\"value\":\"registrar.lab\"}]}";

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

static void sip_timers(const struct scenario *s, char *buf, size_t cap)
{
	long t1 = scenario_ms(s, 0.5);
	t1 = t1 < 5 ? 5 : t1;
	snprintf(buf, cap, "\"t1_ms\":%ld,\"t1x64_ms\":%ld", t1, 64 * t1);
}

/* What the faults and the scenario's SBC settings add to the registrar:
 * a rate limit, an SBC that strips codecs or relays media. */
static void registrar_extras(const struct scenario *s, const struct fault_plan *plan, char *out,
                             size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	if (plan->rate_per_second)
		n += (size_t)snprintf(out + n, cap - n,
		                      ",\"rate_limit\":{\"per_second\":%d,\"mode\":\"%s\","
		                      "\"retry_after\":%d,\"window_ms\":%d,"
		                      "\"exempt\":[\"" CALLEE_ADDR "\"]}",
		                      plan->rate_per_second, plan->rate_mode, plan->retry_after,
		                      plan->rate_window_ms);
	if (!plan->n_strip && !s->sbc_relay)
		return;
	n += (size_t)snprintf(out + n, cap - n, ",\"sbc\":{\"relay\":%s,\"strip\":[",
	                      s->sbc_relay ? "true" : "false");
	for (int i = 0; i < plan->n_strip; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", i ? "," : "", plan->strip[i]);
	snprintf(out + n, cap - n, "]}");
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

static int write_registrar(struct farside *f, const struct scenario *s,
                           const struct fault_plan *plan, char *path, size_t cap, err_t *e)
{
	int udp = plan->transports_set ? plan->udp : s->far.udp;
	int tcp = plan->transports_set ? plan->tcp : s->far.tcp;
	int tls = plan->transports_set ? plan->tls : s->far.tls;
	char extras[512];
	registrar_extras(s, plan, extras, sizeof(extras));
	size_t size = 4096 + (size_t)(s->n_groups + s->far.n_pools) * 256;
	char *j = malloc(size), timers[64];
	if (!j)
		return err_set(e, ENOMEM, "out of memory");
	sip_timers(s, timers, sizeof(timers));
	size_t n = (size_t)snprintf(
	        j, size,
	        "{\"listen\":\"" REGISTRAR_ADDR "\",\"domains\":[\"lab\",\"registrar.lab\"],"
	        "\"transports\":[%s%s%s],\"log\":\"%s/registrar-wire.log\",\"tls_dir\":\"%s\",%s%s,"
	        "\"account_pool\":[{\"prefix\":\"%s\",\"count\":%d,\"password\":\"%s\"}",
	        udp ? "\"udp\"," : "", tcp ? "\"tcp\"," : "", tls ? "\"tls\"" : "", f->dir,
	        f->tls_dir, timers, extras, s->far.callee_prefix, s->far.callee_count,
	        f->callee_password);
	/* A trailing comma is left when TLS is off; JSON wants none. */
	char *comma = strstr(j, ",]");
	if (comma)
		memmove(comma, comma + 1, strlen(comma));
	n = strlen(j);
	for (int i = 0; i < registrar_pools(s); i++) {
		const struct scn_accounts *a = registrar_pool(s, i);
		n += (size_t)snprintf(j + n, size - n,
		                      ",{\"prefix\":\"%s\",\"first\":%d,\"count\":%d,\"password\":"
		                      "\"%s\",\"domain\":\"%s\"}",
		                      a->prefix, a->first, a->count > 0 ? a->count : 1,
		                      plan->wrong_passwords ? "not-the-tests" : a->password,
		                      a->domain);
	}
	snprintf(j + n, size - n, "]}");
	int rc = write_file(f->dir, "registrar.json", j, path, cap, e);
	free(j);
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
                           const struct fault_plan *plan, const char *self, err_t *e)
{
	char cfg[PATH_MAX], log[PATH_MAX];
	int rc;
	if (s->far.registrar == SCN_REG_KAMAILIO &&
	    (plan->rate_per_second || plan->transports_set || plan->n_strip || s->sbc_relay ||
	     plan->wrong_passwords))
		return err_set(e, ENOTSUP,
		               "rate limits, transport faults and SBC settings act on siplab's "
		               "registrar; this scenario uses Kamailio");
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
	if ((rc = write_registrar(f, s, plan, cfg, sizeof(cfg), e)))
		return rc;
	snprintf(log, sizeof(log), "%s/registrar.log", f->dir);
	char seed[24];
	snprintf(seed, sizeof(seed), "%llu",
	         (unsigned long long)rng_derive(s->seed.value, "registrar"));
	char *argv[] = {(char *)self, "registrar", cfg, "--seed", seed, NULL};
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 10000};
	return lab_service(lab, "registrar", argv, log, &ready, &f->registrar, e);
}

/* The callee pool registers over a transport the registrar listens on (the
 * far side of a test is not where the test's own mistakes are). */
static void callee_registrar(const struct scenario *s, const struct fault_plan *plan,
                             const char *tls_dir, char *uri, size_t cap, char *tls, size_t tcap)
{
	int udp = plan->transports_set ? plan->udp : s->far.udp;
	int tcp = plan->transports_set ? plan->tcp : s->far.tcp;
	tls[0] = '\0';
	if (udp || s->far.registrar == SCN_REG_KAMAILIO) {
		snprintf(uri, cap, "sip:" REGISTRAR_ADDR ":5060");
	} else if (tcp) {
		snprintf(uri, cap, "sip:" REGISTRAR_ADDR ":5060;transport=tcp");
	} else {
		snprintf(uri, cap, "sips:" REGISTRAR_ADDR ":5061");
		snprintf(tls, tcap, ",\"tls_dir\":\"%s\"", tls_dir);
	}
}

static int start_callees(struct farside *f, struct lab *lab, const struct scenario *s,
                         const struct fault_plan *plan, const char *self, err_t *e)
{
	char j[2048], cfg[PATH_MAX], log[PATH_MAX], timers[64], uri[96], tls[PATH_MAX];
	sip_timers(s, timers, sizeof(timers));
	callee_registrar(s, plan, f->tls_dir, uri, sizeof(uri), tls, sizeof(tls));
	snprintf(j, sizeof(j),
	         "{\"registrar\":\"%s\",\"domain\":\"%s\",\"bind\":"
	         "\"" CALLEE_ADDR "\",\"prefix\":\"%s\",\"count\":%d,\"password\":\"%s\","
	         "\"behaviour\":\"%s\",%s%s}",
	         uri, f->callee_domain, s->far.callee_prefix, s->far.callee_count,
	         f->callee_password, s->far.callee_behaviour, timers, tls);
	int rc = write_file(f->dir, "callees.json", j, cfg, sizeof(cfg), e);
	if (rc)
		return rc;
	snprintf(log, sizeof(log), "%s/callees.log", f->dir);
	char seed[24];
	snprintf(seed, sizeof(seed), "%llu",
	         (unsigned long long)rng_derive(s->seed.value, "callees"));
	char *argv[] = {(char *)self, "callees", cfg, "--seed", seed, NULL};
	/* Ready once every account is registered. */
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 10000};
	return lab_service(lab, "callee", argv, log, &ready, &f->callees, e);
}

static int uses_callee_pool(const struct scenario *s)
{
	for (int i = 0; i < s->n_groups; i++)
		if (!strcmp(s->groups[i].target, "callee-pool"))
			return 1;
	return 0;
}

int farside_start(struct farside *f, struct lab *lab, const struct scenario *s,
                  const struct fault_plan *plan, const char *self, const char *dir, err_t *e)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	snprintf(f->tls_dir, sizeof(f->tls_dir), "%s/tls", dir);
	snprintf(f->callee_domain, sizeof(f->callee_domain), "lab");
	snprintf(f->callee_password, sizeof(f->callee_password), "callee-secret");
	char cfg[PATH_MAX], log[PATH_MAX], faults[160] = "", dns[sizeof(dns_json) + 160];
	if (plan->dns_name[0])
		snprintf(faults, sizeof(faults), "{\"name\":\"%s\",\"mode\":\"%s\"}",
		         plan->dns_name, plan->dns_mode);
	snprintf(dns, sizeof(dns), dns_json, faults);
	int rc = sys_mkdir_p(dir, 0755, e);
	/* The lab CA and certificate, made once for the run: the registrar
	 * serves TLS with them, and the workers' and callee pool's SIP stacks
	 * need one to speak TLS at all, even to a registrar that has no TLS. */
	if (!rc)
		rc = registrar_make_certs(f->tls_dir, "registrar.lab",
		                          "DNS:registrar.lab,DNS:lab,IP:" REGISTRAR_ADDR, e);
	if (!rc)
		rc = write_file(dir, "dns.json", dns, cfg, sizeof(cfg), e);
	if (rc)
		return rc;
	snprintf(log, sizeof(log), "%s/dns.log", dir);
	char *argv[] = {(char *)self, "dns", cfg, NULL};
	const struct lab_ready ready = {.how = LAB_READY_LINE, .timeout_ms = 5000};
	if ((rc = lab_service(lab, "dns", argv, log, &ready, &f->dns, e)))
		return err_wrap(e, rc, "the lab's DNS server");
	if ((rc = start_registrar(f, lab, s, plan, self, e)))
		return err_wrap(e, rc, "the registrar");
	if (uses_callee_pool(s) && (rc = start_callees(f, lab, s, plan, self, e)))
		return err_wrap(e, rc, "the callee pool");
	return 0;
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
	stop(lab, &f->callees);
	stop(lab, &f->registrar);
	stop(lab, &f->dns);
}

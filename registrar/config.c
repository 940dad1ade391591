/* config.c — read and check the registrar's configuration (see config.h):
 * its field tables (which also make `siplab registrar --help`), and the
 * accounts the pools expand to. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../media/codec.h"

static const char *const transports[] = {"udp", "tcp", "tls", NULL};
static const char *const tls_versions[] = {"any", "1.0-1.1", "1.3", NULL};
static const char *const limit_modes[] = {"503", "drop", "403", "429", NULL};
static const int limit_values[] = {REG_LIMIT_503, REG_LIMIT_DROP, REG_LIMIT_403, REG_LIMIT_429};

/* The transports are one flag each, in the order of `transports`. */
_Static_assert(offsetof(struct reg_config, tls) ==
                       offsetof(struct reg_config, udp) + 2 * sizeof(int),
               "transports fills udp, tcp, tls in turn");

static const struct field account_fields[] = {
        F_STRING(struct reg_account, user, "user", FF_REQUIRED, NULL, "a user name"),
        F_STRING(struct reg_account, password, "password", FF_REQUIRED, NULL, "a password"),
        F_STRING(struct reg_account, domain, "domain", FF_DERIVED, "the first domain",
                 "a domain name"),
        F_BOOL(struct reg_account, enabled, "enabled", 0, "true",
               "false: the account is locked (403)"),
        F_END,
};

/* "accounts": as many as given, in an array of their own. */
static int read_accounts(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct reg_config *cfg = dst;
	const cJSON *it;
	if (!cJSON_IsArray(v))
		return jv_bad(c, path, "an array of accounts", v);
	int n = cJSON_GetArraySize(v), rc;
	cfg->accounts = n ? calloc((size_t)n, sizeof(*cfg->accounts)) : NULL;
	if (n && !cfg->accounts)
		return err_set(c->e, ENOMEM, "out of memory");
	cJSON_ArrayForEach (it, v) {
		struct reg_account *a = &cfg->accounts[cfg->n_accounts];
		char f[200];
		snprintf(f, sizeof(f), "%s[%d]", path, cfg->n_accounts);
		snprintf(a->domain, sizeof(a->domain), "%s", cfg->domains[0]);
		if ((rc = fields_read(c, account_fields, it, f, a)))
			return rc;
		cfg->n_accounts++;
	}
	return 0;
}

/* An account pool as written; read_pool makes its accounts. */
struct reg_pool {
	char prefix[32];
	int count;
	char password[64];
	char domain[64];
	int disabled, first;
};

static const struct field pool_fields[] = {
        F_STRING(struct reg_pool, prefix, "prefix", FF_REQUIRED, NULL, "a user name prefix"),
        F_INT(struct reg_pool, count, "count", 1, 1000000, FF_REQUIRED, NULL,
              "how many accounts: PREFIX0001 ..."),
        F_STRING(struct reg_pool, password, "password", FF_REQUIRED, NULL, "a password"),
        F_STRING(struct reg_pool, domain, "domain", FF_DERIVED, "the first domain",
                 "a domain name"),
        F_INT(struct reg_pool, disabled, "disabled", 0, 1000000, 0, "0",
              "how many of the last accounts are locked (for reg.accounts_locked)"),
        F_INT(struct reg_pool, first, "first", 0, 999999, 0, "1",
              "the number of the first account"),
        F_END,
};

/* {"prefix": "ep", "count": 1000, "password": "pw"} makes ep0001 ... ep1000,
 * the way a test platform's account pool looks. */
static int read_pool(struct jv *c, const cJSON *o, const char *path, struct reg_config *cfg)
{
	struct reg_pool p;
	memset(&p, 0, sizeof(p));
	snprintf(p.domain, sizeof(p.domain), "%s", cfg->domains[0]);
	int rc = fields_read(c, pool_fields, o, path, &p);
	if (rc)
		return rc;
	if (p.disabled > p.count) {
		char f[200], want[64];
		snprintf(f, sizeof(f), "%s.disabled", path);
		snprintf(want, sizeof(want), "an integer from 0 to %d (the count)", p.count);
		return jv_bad(c, f, want, cJSON_GetObjectItemCaseSensitive(o, "disabled"));
	}
	struct reg_account *more =
	        realloc(cfg->accounts, sizeof(*more) * (size_t)(cfg->n_accounts + p.count));
	if (!more)
		return err_set(c->e, ENOMEM, "out of memory");
	cfg->accounts = more;
	for (int i = 1; i <= p.count; i++) {
		struct reg_account *a = &cfg->accounts[cfg->n_accounts++];
		snprintf(a->user, sizeof(a->user), "%s%04d", p.prefix, p.first + i - 1);
		snprintf(a->password, sizeof(a->password), "%s", p.password);
		snprintf(a->domain, sizeof(a->domain), "%s", p.domain);
		/* The last `disabled` accounts are locked, for reg.accounts_locked. */
		a->enabled = i <= p.count - p.disabled;
	}
	return 0;
}

/* "account_pool": one pool, or an array of them (one per group of a test). */
static int read_pools(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	const cJSON *it;
	int i = 0, rc;
	if (!cJSON_IsArray(v))
		return read_pool(c, v, path, dst);
	cJSON_ArrayForEach (it, v) {
		char f[200];
		snprintf(f, sizeof(f), "%s[%d]", path, i++);
		if ((rc = read_pool(c, it, f, dst)))
			return rc;
	}
	return 0;
}

/* Given a limit, its mode is 503 unless it says. */
static int limit_check(struct jv *c, const cJSON *o, const char *path, void *dst)
{
	struct reg_config *cfg = dst;
	if (!cJSON_GetObjectItemCaseSensitive(o, "mode"))
		cfg->limit_mode = REG_LIMIT_503;
	return 0;
}

static const struct field limit_fields[] = {
        F_INT(struct reg_config, limit_per_second, "per_second", 1, 1000000, FF_REQUIRED, NULL,
              "REGISTERs a window takes before the limit acts"),
        F_CHOICE(struct reg_config, limit_mode, "mode", limit_modes, FF_DERIVED, "503",
                 "what a REGISTER over the limit gets: 503 with Retry-After, no answer, 403 "
                 "or 429",
                 .values = limit_values),
        F_INT(struct reg_config, retry_after, "retry_after", 0, 86400, 0, "5",
              "the Retry-After of a 503, seconds"),
        F_INT(struct reg_config, limit_window_ms, "window_ms", 1, 60000, FF_DERIVED, "1000",
              "the window, ms (shorter in time-compressed runs)"),
        F_STRINGS(struct reg_config, limit_exempt, n_limit_exempt, "exempt", 0, 0, NULL,
                  "IPv4 addresses the limit does not apply to"),
        F_END,
};

static int valid_sip_uri(const char *s)
{
	return !strncmp(s, "sip:", 4) || !strncmp(s, "sips:", 5);
}

static const struct field peer_fields[] = {
        F_STRING(struct reg_peer, domain, "domain", FF_REQUIRED, NULL, "a domain name"),
        F_STRING(struct reg_peer, uri, "uri", FF_REQUIRED, NULL,
                 "a SIP URI such as sip:10.10.5.2:5060", .valid = valid_sip_uri),
        F_END,
};

/* Given an "sbc" object, the SBC is on, and relays on the registrar's address. */
static int sbc_check(struct jv *c, const cJSON *o, const char *path, void *dst)
{
	struct reg_config *cfg = dst;
	snprintf(cfg->sbc.relay_address, sizeof(cfg->sbc.relay_address), "%s", cfg->listen);
	return 0;
}

/* What the relay does to one direction of the media it forwards. */
#define IMPAIR_FIELDS(i)                                                                           \
	F_NUMBER(struct reg_config, sbc.impair[i].loss_pct, "loss_pct", 0, 100, 0, "0",            \
	         "packets lost, percent of those forwarded"),                                      \
	        F_NUMBER(struct reg_config, sbc.impair[i].burst, "burst", 1, 1000, 0, "1",         \
	                 "mean length of a loss burst, packets (Gilbert-Elliott); 1: random "      \
	                 "loss"),                                                                  \
	        F_NUMBER(struct reg_config, sbc.impair[i].delay_ms, "delay_ms", 0, 5000, 0, "0",   \
	                 "one-way delay added to every packet, ms"),                               \
	        F_NUMBER(struct reg_config, sbc.impair[i].jitter_ms, "jitter_ms", 0, 1000, 0, "0", \
	                 "interarrival jitter added, ms (a random extra delay of 0 to 3 times "    \
	                 "it: packets overtake each other)"),                                      \
	        F_END

static const struct field impair_c2c_fields[] = {IMPAIR_FIELDS(0)};
static const struct field impair_c2e_fields[] = {IMPAIR_FIELDS(1)};

static const struct field impair_fields[] = {
        F_SECTION("caller_to_callee", impair_c2c_fields, 0,
                  "what the media the caller sends meets on its way"),
        F_SECTION("callee_to_caller", impair_c2e_fields, 0,
                  "what the media the callee sends meets on its way"),
        F_END,
};

static const char *const relay_drops[] = {"none", "caller_to_callee", "callee_to_caller", NULL};

static const struct field sbc_fields[] = {
        F_STRINGS(struct reg_config, sbc.strip, sbc.n_strip, "strip", 0, FF_ANYCASE, NULL,
                  "codec names removed from offers, such as \"PCMA\" or \"opus\"",
                  .choices = codec_names),
        F_STRING(struct reg_config, sbc.rewrite_address, "rewrite_address", 0, NULL,
                 "an IPv4 address written into the c= line of offers"),
        F_BOOL(struct reg_config, sbc.relay, "relay", 0, "false",
               "relay media through the registrar, latching to where it comes from"),
        F_BOOL(struct reg_config, sbc.reorder, "reorder", 0, "false",
               "reverse the order of the codecs in offers (re-prioritise; remove nothing)"),
        F_SECTION("impair", impair_fields, 0,
                  "an impairing hop: loss, delay and jitter on the media the relay forwards"),
        F_CHOICE(struct reg_config, sbc.relay_drop, "drop", relay_drops, 0, "none",
                 "a broken relay: the direction it does not forward"),
        F_STRING(struct reg_config, sbc.renumber_codec, "renumber_codec", 0, NULL,
                 "a codec whose payload type offers get renumbered (renumber_pt), and "
                 "answers get back; the RTP keeps its type",
                 .choices = codec_names),
        F_INT(struct reg_config, sbc.renumber_pt, "renumber_pt", 96, 127, 0, "96",
              "the dynamic payload type renumber_codec gets in offers"),
        F_END,
};

const struct field reg_config_fields[] = {
        F_STRING(struct reg_config, listen, "listen", 0, "0.0.0.0", "an IP address to listen on"),
        F_INT(struct reg_config, port, "port", 1, 65535, 0, "5060", "the UDP and TCP port"),
        F_INT(struct reg_config, tls_port, "tls_port", 1, 65535, 0, "5061", "the TLS port"),
        F_FLAGS(struct reg_config, udp, "transports", transports, 1, 0, "udp,tcp,tls",
                "the transports to listen on"),
        F_STRINGS(struct reg_config, domains, n_domains, "domains", 1, FF_REQUIRED, NULL,
                  "domain names served (the first is the default)"),
        F_STRING(struct reg_config, realm, "realm", FF_DERIVED, "the first domain",
                 "the digest realm"),
        F_CUSTOM("accounts", read_accounts, "array of objects", 0, "accounts, one by one",
                 .sub = account_fields),
        F_CUSTOM("account_pool", read_pools, "object, or array of them", 0,
                 "accounts PREFIX0001 ... made in bulk; an array makes several pools",
                 .sub = pool_fields),
        F_SECTION("rate_limit", limit_fields, 0, "a limit on REGISTERs (none without it)",
                  .check = limit_check),
        F_LIST(struct reg_config, peers, n_peers, "peers", peer_fields, 0, 0,
               "registrars that requests for other domains go to"),
        F_INT(struct reg_config, max_expires, "max_expires", 1, 86400 * 7, 0, "3600",
              "the longest a binding lasts, seconds"),
        F_STRING(struct reg_config, log_path, "log", 0, NULL,
                 "a file path for the message log (\"\": stderr, \"off\": none)"),
        F_STRING(struct reg_config, tls_dir, "tls_dir", 0, NULL,
                 "a directory with agent.pem and cafile.pem (made at start if missing)"),
        F_INT(struct reg_config, t1_ms, "t1_ms", 1, 60000, FF_DERIVED, "the stack's (500)",
              "SIP timer T1, ms, for time-compressed runs"),
        F_INT(struct reg_config, t1x64_ms, "t1x64_ms", 1, 3840000, FF_DERIVED, "64 times T1",
              "SIP's transaction timeout, ms"),
        F_CHOICE(struct reg_config, tls_versions, "tls_versions", tls_versions, 0, "any",
                 "the TLS versions offered: any, only 1.0 and 1.1, or only 1.3"),
        F_SECTION("sbc", sbc_fields, FF_GIVEN, "SDP rewriting and media relay on the call path",
                  .n_off = offsetof(struct reg_config, sbc.enabled), .check = sbc_check),
        F_END,
};

static size_t user_hash(const char *u)
{
	size_t h = 5381;
	while (*u)
		h = h * 33 + (unsigned char)*u++;
	return h;
}

/* Accounts are looked up on every REGISTER: index them by user name. */
static int index_accounts(struct reg_config *cfg)
{
	cfg->acc_slots = 16;
	while (cfg->acc_slots < (size_t)cfg->n_accounts * 2)
		cfg->acc_slots *= 2;
	cfg->acc_index = malloc(cfg->acc_slots * sizeof(int));
	if (!cfg->acc_index)
		return -ENOMEM;
	memset(cfg->acc_index, 0xff, cfg->acc_slots * sizeof(int));
	for (int i = 0; i < cfg->n_accounts; i++) {
		size_t s = user_hash(cfg->accounts[i].user) & (cfg->acc_slots - 1);
		while (cfg->acc_index[s] >= 0)
			s = (s + 1) & (cfg->acc_slots - 1);
		cfg->acc_index[s] = i;
	}
	return 0;
}

int reg_config_parse(const char *json, const char *origin, struct reg_config *cfg, err_t *e)
{
	struct jv c = {origin, e, cfg};
	memset(cfg, 0, sizeof(*cfg));
	cJSON *root = jv_parse(&c, json);
	if (!root)
		return -EINVAL;
	int rc = fields_read(&c, reg_config_fields, root, "", cfg);
	if (!rc && !cJSON_GetObjectItemCaseSensitive(root, "realm"))
		snprintf(cfg->realm, sizeof(cfg->realm), "%s", cfg->domains[0]);
	cJSON_Delete(root);
	if (!rc && index_accounts(cfg))
		rc = err_set(e, ENOMEM, "out of memory");
	if (rc)
		reg_config_free(cfg);
	return rc;
}

int reg_config_load(const char *path, struct reg_config *cfg, err_t *e)
{
	char *buf;
	memset(cfg, 0, sizeof(*cfg));
	int rc = jv_read_file(path, &buf, e);
	if (rc)
		return rc;
	rc = reg_config_parse(buf, path, cfg, e);
	free(buf);
	return rc;
}

void reg_config_free(struct reg_config *cfg)
{
	free(cfg->accounts);
	free(cfg->acc_index);
	cfg->accounts = NULL;
	cfg->acc_index = NULL;
	cfg->n_accounts = 0;
}

const struct reg_account *reg_config_account(const struct reg_config *c, const char *user,
                                             const char *domain)
{
	if (!c->acc_index)
		return NULL;
	for (size_t s = user_hash(user) & (c->acc_slots - 1); c->acc_index[s] >= 0;
	     s = (s + 1) & (c->acc_slots - 1)) {
		const struct reg_account *a = &c->accounts[c->acc_index[s]];
		if (!strcmp(a->user, user) && !strcasecmp(a->domain, domain))
			return a;
	}
	return NULL;
}

int reg_config_is_local(const struct reg_config *c, const char *domain)
{
	for (int i = 0; i < c->n_domains; i++)
		if (!strcasecmp(c->domains[i], domain))
			return 1;
	return !strcmp(domain, c->listen);
}

const struct reg_peer *reg_config_peer(const struct reg_config *c, const char *domain)
{
	for (int i = 0; i < c->n_peers; i++)
		if (!strcasecmp(c->peers[i].domain, domain))
			return &c->peers[i];
	return NULL;
}

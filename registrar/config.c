/* config.c — read and check the registrar's configuration (see config.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/jsonv.h"

static int parse_transports(struct jv *c, const cJSON *a, struct reg_config *cfg)
{
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
		return jv_bad(c, "transports", "a non-empty array of \"udp\", \"tcp\", \"tls\"", a);
	cfg->udp = cfg->tcp = cfg->tls = 0;
	const cJSON *it;
	cJSON_ArrayForEach (it, a) {
		const char *s = cJSON_IsString(it) ? it->valuestring : "";
		if (!strcmp(s, "udp"))
			cfg->udp = 1;
		else if (!strcmp(s, "tcp"))
			cfg->tcp = 1;
		else if (!strcmp(s, "tls"))
			cfg->tls = 1;
		else
			return jv_bad(c, "transports", "\"udp\", \"tcp\" or \"tls\"", it);
	}
	return 0;
}

static int parse_account(struct jv *c, const cJSON *o, const char *f, struct reg_account *a,
                         const char *default_domain)
{
	static const char *const keys[] = {"user", "password", "domain", "enabled", NULL};
	if (!cJSON_IsObject(o))
		return jv_bad(c, f, "an object {\"user\", \"password\", \"domain\", \"enabled\"}",
		              o);
	int rc = jv_keys(c, o, f, keys);
	if (!rc)
		rc = jv_str(c, o, "user", f, a->user, sizeof(a->user), 1, "a user name");
	if (rc >= 0)
		rc = jv_str(c, o, "password", f, a->password, sizeof(a->password), 1, "a password");
	snprintf(a->domain, sizeof(a->domain), "%s", default_domain);
	if (rc >= 0)
		rc = jv_str(c, o, "domain", f, a->domain, sizeof(a->domain), 0, "a domain name");
	a->enabled = 1;
	if (rc >= 0)
		rc = jv_bool(c, o, "enabled", f, &a->enabled);
	return rc < 0 ? rc : 0;
}

/* "account_pool": {"prefix": "ep", "count": 1000, "password": "pw", "domain": "lab",
 * "first": 1} makes ep0001 ... ep1000, the way a test platform's account pool
 * looks. */
static int parse_pool(struct jv *c, const cJSON *o, struct reg_config *cfg, const char *dom)
{
	static const char *const keys[] = {"prefix",   "count", "password", "domain",
	                                   "disabled", "first", NULL};
	char prefix[32] = "", password[64] = "", domain[64];
	int count = 0, disabled = 0, first = 1;
	snprintf(domain, sizeof(domain), "%s", dom);
	if (!cJSON_IsObject(o))
		return jv_bad(c, "account_pool", "an object {\"prefix\", \"count\", \"password\"}",
		              o);
	int rc = jv_keys(c, o, "account_pool", keys);
	if (!rc)
		rc = jv_str(c, o, "prefix", "account_pool", prefix, sizeof(prefix), 1,
		            "a user name prefix of under 32 characters");
	if (rc >= 0)
		rc = jv_int(c, o, "count", "account_pool", &count, 1, 1000000, 1);
	if (rc >= 0)
		rc = jv_str(c, o, "password", "account_pool", password, sizeof(password), 1,
		            "a password");
	if (rc >= 0)
		rc = jv_str(c, o, "domain", "account_pool", domain, sizeof(domain), 0,
		            "a domain name");
	if (rc >= 0)
		rc = jv_int(c, o, "disabled", "account_pool", &disabled, 0, count, 0);
	if (rc >= 0)
		rc = jv_int(c, o, "first", "account_pool", &first, 0, 999999, 0);
	if (rc < 0)
		return rc;
	struct reg_account *more =
	        realloc(cfg->accounts, sizeof(*more) * (size_t)(cfg->n_accounts + count));
	if (!more)
		return err_set(c->e, ENOMEM, "out of memory");
	cfg->accounts = more;
	for (int i = 1; i <= count; i++) {
		struct reg_account *a = &cfg->accounts[cfg->n_accounts++];
		snprintf(a->user, sizeof(a->user), "%s%04d", prefix, first + i - 1);
		snprintf(a->password, sizeof(a->password), "%s", password);
		snprintf(a->domain, sizeof(a->domain), "%s", domain);
		/* The last `disabled` accounts are locked, for reg.accounts_locked. */
		a->enabled = i <= count - disabled;
	}
	return 0;
}

static int parse_limit(struct jv *c, const cJSON *o, struct reg_config *cfg)
{
	static const char *const keys[] = {"per_second", "mode",   "retry_after",
	                                   "window_ms",  "exempt", NULL};
	char mode[16] = "503";
	if (!cJSON_IsObject(o))
		return jv_bad(c, "rate_limit",
		              "an object {\"per_second\", \"mode\", \"retry_after\"}", o);
	int rc = jv_keys(c, o, "rate_limit", keys);
	if (!rc)
		rc = jv_int(c, o, "per_second", "rate_limit", &cfg->limit_per_second, 1, 1000000,
		            1);
	if (rc >= 0)
		rc = jv_str(c, o, "mode", "rate_limit", mode, sizeof(mode), 0,
		            "\"503\", \"drop\", \"403\" or \"429\"");
	if (rc >= 0)
		rc = jv_int(c, o, "retry_after", "rate_limit", &cfg->retry_after, 0, 86400, 0);
	if (rc >= 0)
		rc = jv_int(c, o, "window_ms", "rate_limit", &cfg->limit_window_ms, 1, 60000, 0);
	const cJSON *ex = rc >= 0 ? cJSON_GetObjectItemCaseSensitive(o, "exempt") : NULL, *it;
	if (ex && (!cJSON_IsArray(ex) || cJSON_GetArraySize(ex) > 4))
		return jv_bad(c, "rate_limit.exempt", "an array of at most 4 IPv4 addresses", ex);
	cJSON_ArrayForEach (it, ex) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) >= 64)
			return jv_bad(c, "rate_limit.exempt", "IPv4 addresses", it);
		snprintf(cfg->limit_exempt[cfg->n_limit_exempt++], 64, "%s", it->valuestring);
	}
	if (rc < 0)
		return rc;
	static const struct {
		const char *name;
		enum reg_limit_mode mode;
	} modes[] = {{"503", REG_LIMIT_503},
	             {"drop", REG_LIMIT_DROP},
	             {"403", REG_LIMIT_403},
	             {"429", REG_LIMIT_429}};
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++)
		if (!strcmp(mode, modes[i].name))
			cfg->limit_mode = modes[i].mode;
	if (cfg->limit_mode == REG_LIMIT_NONE)
		return jv_bad(c, "rate_limit.mode", "\"503\", \"drop\", \"403\" or \"429\"",
		              cJSON_GetObjectItem(o, "mode"));
	return 0;
}

static int parse_lists(struct jv *c, const cJSON *root, struct reg_config *cfg)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "domains"), *it;
	int rc = 0, i = 0;
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > REG_MAX_DOMAINS)
		return jv_bad(c, "domains", "an array of 1 to 8 domain names", v);
	cJSON_ArrayForEach (it, v) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) >= 64)
			return jv_bad(c, "domains", "domain names of under 64 characters", it);
		snprintf(cfg->domains[cfg->n_domains++], 64, "%s", it->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "transports")) &&
	    (rc = parse_transports(c, v, cfg)))
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(root, "accounts");
	if (v && !cJSON_IsArray(v))
		return jv_bad(c, "accounts", "an array of accounts", v);
	int n = v ? cJSON_GetArraySize(v) : 0;
	cfg->accounts = n ? calloc((size_t)n, sizeof(*cfg->accounts)) : NULL;
	if (n && !cfg->accounts)
		return err_set(c->e, ENOMEM, "out of memory");
	cJSON_ArrayForEach (it, v) {
		char f[32];
		snprintf(f, sizeof(f), "accounts[%d]", i++);
		if ((rc = parse_account(c, it, f, &cfg->accounts[cfg->n_accounts],
		                        cfg->domains[0])))
			return rc;
		cfg->n_accounts++;
	}
	/* One pool, or an array of them (one per group of a test). */
	v = cJSON_GetObjectItemCaseSensitive(root, "account_pool");
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach (it, v)
			if ((rc = parse_pool(c, it, cfg, cfg->domains[0])))
				return rc;
	} else if (v && (rc = parse_pool(c, v, cfg, cfg->domains[0]))) {
		return rc;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "peers");
	if (v && (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > REG_MAX_PEERS))
		return jv_bad(c, "peers", "an array of at most 8 {\"domain\", \"uri\"}", v);
	i = 0;
	cJSON_ArrayForEach (it, v) {
		static const char *const keys[] = {"domain", "uri", NULL};
		char f[32];
		struct reg_peer *p = &cfg->peers[cfg->n_peers];
		snprintf(f, sizeof(f), "peers[%d]", i++);
		if (!cJSON_IsObject(it))
			return jv_bad(c, f, "an object {\"domain\", \"uri\"}", it);
		if ((rc = jv_keys(c, it, f, keys)) ||
		    (rc = jv_str(c, it, "domain", f, p->domain, sizeof(p->domain), 1,
		                 "a domain name")) < 0 ||
		    (rc = jv_str(c, it, "uri", f, p->uri, sizeof(p->uri), 1,
		                 "a SIP URI such as sip:10.10.5.2:5060")) < 0)
			return rc;
		if (strncmp(p->uri, "sip:", 4) && strncmp(p->uri, "sips:", 5))
			return jv_bad(c, f, "\"uri\" as a sip: or sips: URI",
			              cJSON_GetObjectItem(it, "uri"));
		cfg->n_peers++;
	}
	return 0;
}

static int parse_sbc(struct jv *c, const cJSON *o, struct reg_config *cfg)
{
	static const char *const keys[] = {"strip", "rewrite_address", "relay", NULL};
	struct sbc_config *s = &cfg->sbc;
	if (!cJSON_IsObject(o))
		return jv_bad(c, "sbc", "an object {\"strip\", \"rewrite_address\", \"relay\"}", o);
	int rc = jv_keys(c, o, "sbc", keys);
	if (!rc)
		rc = jv_str(c, o, "rewrite_address", "sbc", s->rewrite_address,
		            sizeof(s->rewrite_address), 0, "an IPv4 address");
	if (rc >= 0)
		rc = jv_bool(c, o, "relay", "sbc", &s->relay);
	if (rc < 0)
		return rc;
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "strip"), *it;
	if (a && (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > SBC_MAX_STRIP))
		return jv_bad(c, "sbc.strip", "an array of at most 8 codec names", a);
	cJSON_ArrayForEach (it, a) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof(s->strip[0]))
			return jv_bad(c, "sbc.strip", "codec names such as \"PCMA\" or \"opus\"",
			              it);
		snprintf(s->strip[s->n_strip++], sizeof(s->strip[0]), "%s", it->valuestring);
	}
	s->enabled = 1;
	snprintf(s->relay_address, sizeof(s->relay_address), "%s", cfg->listen);
	return 0;
}

static int parse_root(struct jv *c, const cJSON *root, struct reg_config *cfg)
{
	static const char *const keys[] = {
	        "listen",   "port",         "tls_port",   "transports", "realm",       "domains",
	        "accounts", "account_pool", "rate_limit", "peers",      "max_expires", "log",
	        "tls_dir",  "t1_ms",        "t1x64_ms",   "sbc",        NULL};
	if (!cJSON_IsObject(root))
		return jv_bad(c, "(top level)", "an object", root);
	int rc = jv_keys(c, root, "", keys);
	snprintf(cfg->listen, sizeof(cfg->listen), "0.0.0.0");
	cfg->port = 5060;
	cfg->tls_port = 5061;
	cfg->udp = cfg->tcp = cfg->tls = 1;
	cfg->retry_after = 5;
	cfg->max_expires = 3600;
	if (!rc)
		rc = jv_str(c, root, "listen", "", cfg->listen, sizeof(cfg->listen), 0,
		            "an IP address to listen on");
	if (rc >= 0)
		rc = jv_int(c, root, "port", "", &cfg->port, 1, 65535, 0);
	if (rc >= 0)
		rc = jv_int(c, root, "tls_port", "", &cfg->tls_port, 1, 65535, 0);
	if (rc >= 0)
		rc = jv_int(c, root, "max_expires", "", &cfg->max_expires, 1, 86400 * 7, 0);
	if (rc >= 0)
		rc = jv_int(c, root, "t1_ms", "", &cfg->t1_ms, 1, 60000, 0);
	if (rc >= 0)
		rc = jv_int(c, root, "t1x64_ms", "", &cfg->t1x64_ms, 1, 3840000, 0);
	if (rc >= 0)
		rc = jv_str(c, root, "log", "", cfg->log_path, sizeof(cfg->log_path), 0,
		            "a file path");
	if (rc >= 0)
		rc = jv_str(c, root, "tls_dir", "", cfg->tls_dir, sizeof(cfg->tls_dir), 0,
		            "a directory path");
	if (rc < 0 || (rc = parse_lists(c, root, cfg)))
		return rc;
	snprintf(cfg->realm, sizeof(cfg->realm), "%s", cfg->domains[0]);
	if ((rc = jv_str(c, root, "realm", "", cfg->realm, sizeof(cfg->realm), 0, "a realm")) < 0)
		return rc;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "rate_limit");
	if (v && (rc = parse_limit(c, v, cfg)))
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(root, "sbc");
	return v ? parse_sbc(c, v, cfg) : 0;
}

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
	struct jv c = {origin, e};
	memset(cfg, 0, sizeof(*cfg));
	cJSON *root = jv_parse(&c, json);
	if (!root)
		return -EINVAL;
	int rc = parse_root(&c, root, cfg);
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

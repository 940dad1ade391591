/* config.h — the registrar's configuration: domains, accounts, transports and
 * the behaviours faults switch on (rate limiting). Read from JSON; a mistake
 * names the file, the field and what was expected. */
#ifndef SIPLAB_REG_CONFIG_H
#define SIPLAB_REG_CONFIG_H

#include "../lib/limits.h"

#include "../lib/fields.h"
#include "../lib/sys.h"
#include "sbc.h"

enum reg_limit_mode {
	REG_LIMIT_NONE,
	REG_LIMIT_503,  /* 503 Service Unavailable with Retry-After */
	REG_LIMIT_DROP, /* no answer at all: the client times out */
	REG_LIMIT_403,
	REG_LIMIT_429,
};

struct reg_account {
	char user[64];
	char password[64];
	char domain[64];
	int enabled;
};

struct reg_peer {
	char domain[64]; /* requests for this domain ... */
	char uri[128];   /* ... go to this registrar, e.g. sip:10.10.5.2:5060 */
};

/* The TLS versions the registrar offers: any its OpenSSL has, only the old
 * ones (a legacy server that modern clients refuse), or only 1.3. */
enum reg_tls_versions { REG_TLS_ANY, REG_TLS_LEGACY, REG_TLS_13 };

struct reg_config {
	char listen[64]; /* address to bind, e.g. 10.10.2.2 or 0.0.0.0 */
	int port;        /* UDP and TCP */
	int tls_port;
	int udp, tcp, tls; /* listening transports */
	char realm[64];
	char domains[REG_MAX_DOMAINS][64];
	int n_domains;
	struct reg_account *accounts;
	int n_accounts;
	int *acc_index; /* open-addressing hash of accounts by user, -1 = empty */
	size_t acc_slots;
	struct reg_peer peers[REG_MAX_PEERS];
	int n_peers;
	enum reg_limit_mode limit_mode;
	int limit_per_second;     /* REGISTERs per window before the limit acts */
	int limit_window_ms;      /* the window: 1000 ms, shorter in time-compressed runs */
	char limit_exempt[4][64]; /* source addresses the limit does not apply to */
	int n_limit_exempt;
	int retry_after; /* seconds, for 503 */
	int max_expires; /* cap on a binding's lifetime, seconds */
	/* From --seed, not the file: the digest secret and sofia's numbers
	 * follow it (lib/rng.h); seeded 0: fresh ones. */
	unsigned long long seed;
	int seeded;
	char log_path[256];    /* message log ("" = stderr, "off" = none) */
	char tls_dir[256];     /* agent.pem + cafile.pem; "" = make a lab CA at start */
	int t1_ms, t1x64_ms;   /* SIP timers (time-compressed runs); 0 = defaults */
	struct sbc_config sbc; /* SDP rewriting and media relay on the call path */
	int tls_versions;      /* enum reg_tls_versions: what its TLS offers */
};

/* The configuration file's fields, for reading and for --help. */
extern const struct field reg_config_fields[];

int reg_config_parse(const char *json, const char *origin, struct reg_config *c, err_t *e);
int reg_config_load(const char *path, struct reg_config *c, err_t *e);
void reg_config_free(struct reg_config *c);

/* The account for user@domain, or NULL. */
const struct reg_account *reg_config_account(const struct reg_config *c, const char *user,
                                             const char *domain);
/* Is domain (a name or an address) served by this registrar? */
int reg_config_is_local(const struct reg_config *c, const char *domain);
const struct reg_peer *reg_config_peer(const struct reg_config *c, const char *domain);

#endif

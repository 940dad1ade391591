/* topo.h — a lab topology as data: hosts, links, addresses, routes, roles.
 * Parsed from JSON (cJSON) and validated before anything is built, so a bad
 * file is refused with the field that is wrong and what was expected. */
#ifndef SIPLAB_TOPO_H
#define SIPLAB_TOPO_H

#include "../lib/limits.h"

#include "../lib/fields.h"
#include "../lib/sys.h"

#define TOPO_NAME_LEN 16 /* like IFNAMSIZ: 15 characters and the NUL */

struct topo_kv {
	char key[128];
	char val[128];
};

struct topo_route {
	char to[64]; /* "default" or an address/prefix */
	char via[48];
};

struct topo_host {
	char name[TOPO_NAME_LEN];
	char role[16];
	int forward;    /* IP forwarding on (routers, NAT) */
	char *nftables; /* ruleset text given to libnftables, or NULL */
	struct topo_kv sysctls[TOPO_MAX_KV];
	int n_sysctls;
	char nameservers[TOPO_MAX_NS][48];
	int n_nameservers;
	char search[128];
	struct topo_kv etc_hosts[TOPO_MAX_KV]; /* key = name, val = address */
	int n_etc_hosts;
	struct topo_route routes[TOPO_MAX_ROUTES];
	int n_routes;
};

struct topo_end {
	int host; /* index into topo.hosts */
	char ifname[TOPO_NAME_LEN];
	char addr[64]; /* address/prefix, e.g. 10.10.1.2/24 */
};

struct topo_link {
	struct topo_end a, b;
};

struct topo {
	char name[64];
	struct topo_host common; /* what every host starts from: the lab-wide resolv, etc_hosts */
	struct topo_host hosts[TOPO_MAX_HOSTS];
	int n_hosts;
	struct topo_link links[TOPO_MAX_LINKS];
	int n_links;
};

/* A topology file's fields, for reading and for --help. */
extern const struct field topo_fields[];

/* Parse and validate JSON text. origin names the source in errors (a file path
 * or "standard topology"). On error nothing is left allocated in t. */
int topo_parse(const char *json, const char *origin, struct topo **out, err_t *e);
/* Read a file and parse it. */
int topo_load(const char *path, struct topo **out, err_t *e);
void topo_free(struct topo *t);

/* The standard lab for the scenarios: a core router with platform, registrar,
 * callee pool and DNS hosts, and `workers` worker hosts, optionally behind a
 * NAT/firewall router. Returns malloc'd JSON text (so users can print, copy
 * and edit it) — parse it with topo_parse. */
char *topo_standard_json(int workers, int nat);
/* The same, with the NAT router's nftables masquerade flags ("" for a
 * port-keeping NAT, "random,fully-random" for a symmetric one). */
char *topo_standard_json_masq(int workers, int nat, const char *masquerade_flags);
/* The same with only some workers behind the NAT router: bit i of
 * nat_workers for worker i+1 (none: no NAT router). */
char *topo_standard_json_nat(int workers, unsigned long long nat_workers,
                             const char *masquerade_flags);

/* The name of the standard topology's worker i (from 0): "worker<i+1>" — the
 * host, the process and the name it gives the gateway. Returns buf. */
const char *topo_worker_name(int i, char *buf, size_t cap);

/* Index of the host with that name, or -1. */
int topo_host_index(const struct topo *t, const char *name);
/* The first address (without prefix) of a host, or NULL when it has no link. */
const char *topo_host_addr(const struct topo *t, int host, char *buf, size_t cap);
/* Index of the first host with that role, or -1. */
int topo_find_role(const struct topo *t, const char *role);

#endif

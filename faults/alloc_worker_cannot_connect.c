/* alloc.worker_cannot_connect — the workers run on the customer's hosts but
 * never come ONLINE, so pre-flight finds none. Mechanism, by `how`:
 * "token" starts every worker with a well-formed token the platform did not
 * issue (revoked, or pasted from another account): the gateway refuses it
 * and logs the refusal. "port_blocked" drops, with nftables on every worker
 * host, the workers' TCP to the gateway's port: their connections never open
 * and they keep retrying. "dns" makes the lab DNS server answer the gateway's
 * name (the workers reach it by name) with NXDOMAIN. The remedies: the right
 * token, the rule removed, the name resolving. */
#include <stdio.h>
#include <string.h>

#include "fault.h"

static const char *const hows[] = {"token", "port_blocked", "dns", NULL};

/* The gateway as the workers know it (sim/run/runlab.c starts them with
 * this name, and the lab DNS serves it). */
#define GATEWAY_NAME "platform.lab"
#define GATEWAY_PORT 7000

/* Every worker host drops its own TCP to the gateway, silently, as an
 * outbound firewall rule on a customer's host would. */
static int block_port(struct lab_edit *le, err_t *e)
{
	const char *platform[1], *workers[SCN_MAX_WORKERS];
	char to[64], rules[400];
	if (le_hosts(le, "platform", platform, 1) < 1)
		return err_set(e, ENOENT,
		               "alloc.worker_cannot_connect: the lab has no platform "
		               "host");
	int rc = le_host_addr(le, platform[0], to, sizeof(to), e);
	int n = le_hosts(le, "worker", workers, SCN_MAX_WORKERS);
	(void)snprintf(rules, sizeof(rules),
	               "table inet lab_gateway_block {\n  chain output { type filter hook output "
	               "priority filter; ip daddr %s tcp dport %d drop; }\n}",
	               to, GATEWAY_PORT);
	for (int i = 0; !rc && i < n; i++)
		rc = le_nft(le, workers[i], rules, e);
	return rc;
}

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	if (!strcmp(a->v[0].text, "token"))
		return le_worker_token_revoked(le, e);
	if (!strcmp(a->v[0].text, "port_blocked"))
		return block_port(le, e);
	return 0;
}

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	if (strcmp(a->v[0].text, "dns"))
		return 0;
	cJSON *dns = le_config(le, "dns", e);
	if (!dns)
		return -ENOENT;
	cJSON *faults = cJSON_GetObjectItemCaseSensitive(dns, "faults");
	if (!faults)
		faults = cJSON_AddArrayToObject(dns, "faults");
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "name", GATEWAY_NAME);
	cJSON_AddStringToObject(f, "mode", "nxdomain");
	cJSON_AddItemToArray(faults, f);
	return 0;
}

const struct fault fault_alloc_worker_cannot_connect = {
        .code = "alloc.worker_cannot_connect",
        .summary = "the workers never reach the platform: a refused token, their outbound "
                   "traffic to the gateway dropped, or the gateway's name not resolving",
        .applied = "before the workers start: their token, nftables on the worker hosts, or "
                   "the lab DNS server's answer for the gateway's name",
        .reverted = "the next lab's workers get the issued token, no rule, a resolving name",
        .params = {{"how", FP_ENUM, "token", 0, 0, NULL,
                    "token (refused by the gateway), port_blocked (outbound TCP to the "
                    "gateway dropped) or dns (the gateway's name gets NXDOMAIN)",
                    hows}},
        .topology = topology,
        .far_side = far_side,
        .keeps_workers_offline = 1,
};

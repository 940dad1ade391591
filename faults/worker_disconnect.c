/* worker.disconnect — the path between a worker and the platform's gateway
 * is cut in the middle of the run: a router drops every packet between the
 * worker's network and the gateway, silently (no reset, no ICMP). The worker
 * process goes on, its calls too (the far side is reached by another path),
 * but the gateway stops hearing its heartbeats and, after its heartbeat
 * timeout, takes the worker for lost with every endpoint on it. Mechanism:
 * nftables on the core router, switched on at at_s (and off at until_s),
 * for the aimed workers (scope.workers; every worker by default). The remedy
 * is the path restored (and the guide's advice: several workers, so one
 * loss does not fail the run). */
#include <stdio.h>

#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	const char *router[1], *platform[1];
	char from[SCN_MAX_WORKERS * 24 + 16], gw[64], rules[sizeof(from) * 2 + 256];
	if (le_hosts(le, "router", router, 1) < 1 || le_hosts(le, "platform", platform, 1) < 1)
		return err_set(e, ENOENT, "worker.disconnect: the lab has no router or platform");
	int rc = le_sources(le, "worker", from, sizeof(from), e);
	if (!rc)
		rc = le_host_addr(le, platform[0], gw, sizeof(gw), e);
	if (rc)
		return rc;
	/* Both ways, in the forward path: a cut cable, not a refusing host. */
	(void)snprintf(
	        rules, sizeof(rules), /* sized for from twice */
	        "table inet lab_cut {\n  chain forward { type filter hook forward priority "
	        "filter; ip saddr %s ip daddr %s drop;\n    ip saddr %s ip daddr %s drop; }\n}",
	        from, gw, gw, from);
	return le_nft(le, router[0], rules, e);
}

const struct fault fault_worker_disconnect = {
        .code = "worker.disconnect",
        .summary = "the path between a worker and the gateway is cut mid-run",
        .applied = "at at_s: nftables on the core router drops worker <-> gateway traffic",
        .reverted = "at until_s, or in the next lab: the rule deleted",
        .topology = topology,
        .scopes = FAULT_SCOPE_WORKER,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL | FAULT_TIMING_NEEDS_AT,
};

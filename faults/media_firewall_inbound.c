/* media.firewall_inbound — a firewall on a worker's host lets UDP out but
 * drops what comes in, except the answers of its DNS server and registrar:
 * calls connect, and the audio is one-way on that worker. The confounder of
 * media.symmetric_nat: one-way audio with no NAT on that worker. Mechanism:
 * nftables on the hosts of the workers it is aimed at (scope.workers; every
 * worker's by default), from the start or switched on and off mid-run. The
 * remedy is the firewall opened (the fault removed). */
#include <stdio.h>

#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	const char *workers[SCN_MAX_WORKERS];
	int n = le_hosts(le, "worker", workers, SCN_MAX_WORKERS), rc = 0;
	/* Stateless, as a host firewall that only knows its service ports:
	 * inbound UDP from anything but DNS and SIP is dropped. */
	for (int i = 0; !rc && i < n && i < SCN_MAX_WORKERS; i++)
		rc = le_nft(le, workers[i],
		            "table inet lab_inbound {\n  chain input { type filter hook input "
		            "priority filter; udp sport != { 53, 5060, 5061 } drop; }\n}",
		            e);
	return rc;
}

const struct fault fault_media_firewall_inbound = {
        .code = "media.firewall_inbound",
        .summary = "a firewall on a worker's host drops inbound UDP media",
        .applied = "before the run (or at at_s): nftables on the aimed workers' hosts",
        .reverted = "the next lab's workers have no firewall (or at until_s: the rule deleted)",
        .topology = topology,
        .scopes = FAULT_SCOPE_WORKER,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};

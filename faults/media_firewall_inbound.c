/* media.firewall_inbound — a firewall on one worker's host lets UDP out but
 * drops what comes in, except the answers of its DNS server and registrar:
 * calls connect, and the audio is one-way on that worker only. The
 * confounder of media.symmetric_nat: one-way audio with no NAT on that
 * worker. Mechanism: nftables on the worker host. The remedy is the
 * firewall opened (the fault removed). */
#include <stdio.h>

#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	const char *workers[SCN_MAX_WORKERS];
	int n = le_hosts(le, "worker", workers, SCN_MAX_WORKERS), k = (int)a->v[0].num;
	if (k > n)
		return err_set(e, EINVAL, "media.firewall_inbound: worker %d, but the lab has %d",
		               k, n);
	/* Stateless, as a host firewall that only knows its service ports:
	 * inbound UDP from anything but DNS and SIP is dropped. */
	return le_nft(le, workers[k - 1],
	              "table inet lab_inbound {\n  chain input { type filter hook input priority "
	              "filter; udp sport != { 53, 5060, 5061 } drop; }\n}",
	              e);
}

const struct fault fault_media_firewall_inbound = {
        .code = "media.firewall_inbound",
        .summary = "a firewall on one worker's host drops inbound UDP media",
        .applied = "before the run: nftables on that worker's host",
        .reverted = "the next lab's workers have no firewall",
        .params = {{"worker", FP_INT, "1", 1, SCN_MAX_WORKERS, NULL,
                    "which worker's host (1 is the first)", NULL}},
        .topology = topology,
};

/* reg.sip_port_blocked — a firewall in front of the registrar drops SIP from
 * the workers' networks. Mechanism: nftables on the registrar host drops UDP
 * and TCP to ports 5060 and 5061 from the worker subnets, silently: REGISTERs
 * are retransmitted and time out. The remedy is the port opened. */
#include <stdio.h>

#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	const char *reg[1], *workers[SCN_MAX_WORKERS];
	/* Every worker's network, or the NAT router's address, as a set. */
	char from[SCN_MAX_WORKERS * 24 + 16], rules[sizeof(from) + 256];
	if (le_hosts(le, "registrar", reg, 1) < 1)
		return err_set(e, ENOENT, "reg.sip_port_blocked: the lab has no registrar host");
	/* One worker's path only (its own address), or every worker's. */
	int k = (int)a->v[0].num, rc;
	if (k > 0 && k > le_hosts(le, "worker", workers, SCN_MAX_WORKERS))
		return err_set(e, EINVAL, "reg.sip_port_blocked: worker %d, but the lab has fewer",
		               k);
	rc = k > 0 ? le_host_addr(le, workers[k - 1], from, sizeof(from), e)
	           : le_sources(le, "worker", from, sizeof(from), e);
	if (rc)
		return rc;
	/* Silently, as most firewalls do: no ICMP, no reset. */
	(void)snprintf(
	        rules, sizeof(rules), /* sized above: from fits whole */
	        "table inet lab_block {\n  chain input { type filter hook input priority filter; "
	        "ip saddr %s th dport { 5060, 5061 } drop; }\n}",
	        from);
	return le_nft(le, reg[0], rules, e);
}

const struct fault fault_reg_sip_port_blocked = {
        .code = "reg.sip_port_blocked",
        .summary = "a firewall drops SIP from the workers to the registrar",
        .applied = "before the run: nftables on the registrar host",
        .reverted = "the next lab's registrar host has no firewall",
        .params = {{"worker", FP_INT, "0", 0, SCN_MAX_WORKERS, NULL,
                    "only this worker's path (1 is the first); 0: every worker's", NULL}},
        .topology = topology,
};

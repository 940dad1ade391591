/* reg.sip_port_blocked — a firewall drops SIP from the workers to the
 * registrar, silently: no ICMP, no reset. Mechanism (nftables), by `drop`:
 * "all" drops UDP and TCP to ports 5060 and 5061 from the workers on the
 * registrar host (REGISTERs are retransmitted and time out); "tcp_syn" drops
 * only the TCP SYNs to those ports on the core router, on the way to the
 * registrar (a TCP or TLS connection never opens, UDP still passes).
 * scope.workers narrows it to those workers' paths; at_s/until_s switch it
 * mid-run. The remedy is the port opened. */
#include <stdio.h>
#include <string.h>

#include "fault.h"

static const char *const drops[] = {"all", "tcp_syn", NULL};

/* TCP SYNs to the registrar dropped on the router: connections never open. */
static int drop_syns(struct lab_edit *le, const char *reg, const char *from, err_t *e)
{
	const char *router[1];
	char to[64], rules[SCN_MAX_WORKERS * 24 + 400];
	if (le_hosts(le, "router", router, 1) < 1)
		return err_set(e, ENOENT, "reg.sip_port_blocked: the lab has no router");
	int rc = le_host_addr(le, reg, to, sizeof(to), e);
	if (rc)
		return rc;
	(void)snprintf(rules, sizeof(rules), /* sized for every worker's network */
	               "table inet lab_block {\n  chain forward { type filter hook forward "
	               "priority filter; ip saddr %s ip daddr %s tcp dport { 5060, 5061 } "
	               "tcp flags & (syn | ack) == syn drop; }\n}",
	               from, to);
	return le_nft(le, router[0], rules, e);
}

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	const char *reg[1];
	char from[SCN_MAX_WORKERS * 24 + 16], rules[sizeof(from) + 256];
	if (le_hosts(le, "registrar", reg, 1) < 1)
		return err_set(e, ENOENT, "reg.sip_port_blocked: the lab has no registrar host");
	/* Every worker's network (or the NAT router's address) the fault is
	 * aimed at, as a set. */
	int rc = le_sources(le, "worker", from, sizeof(from), e);
	if (rc)
		return rc;
	if (!strcmp(a->v[0].text, "tcp_syn"))
		return drop_syns(le, reg[0], from, e);
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
        .applied =
                "before the run, or at at_s: nftables on the registrar host (or, for TCP SYNs, the "
                "core router)",
        .reverted = "at until_s, or in the next lab: the rules deleted",
        .params = {{"drop", FP_ENUM, "all", 0, 0, NULL,
                    "what is dropped: all SIP (UDP and TCP), or only TCP SYNs", drops}},
        .topology = topology,
        .scopes = FAULT_SCOPE_WORKER,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};

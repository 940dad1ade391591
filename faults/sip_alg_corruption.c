/* sip.alg_corruption — a SIP ALG on the NAT router rewrites the workers'
 * SIP on its way out and breaks their digest authentication: the registrar
 * answers every REGISTER with credentials with another 401.
 *
 * Mechanism: the aimed workers sit behind the lab's NAT router (a
 * port-keeping masquerade), whose nftables redirect their SIP/UDP to the
 * registrar into a SIP ALG running on the router (`siplab alg`,
 * registrar/alg.c). It rewrites what they send as ALGs do — the top Via's
 * sent-by and the Contact to its own outside address and port, the SDP's
 * addresses — and, its bug, the uri= of the Authorization header, which the
 * digest response is a hash over; replies come back untouched, so the Via
 * the registrar answers carries the ALG's address. The kernel's own helper
 * (nf_conntrack_sip with nf_nat_sip, an nftables `ct helper "sip"`) loads
 * and works in the lab's namespaces: tried on the NAT router, it rewrote a
 * REGISTER's Via and Contact to the outside address, restored them in the
 * replies, and left the Authorization alone, since the workers' URIs name
 * hosts, not addresses — it does not corrupt this traffic, so a userspace
 * ALG with the guide's failure is used instead. The remedy is the ALG
 * disabled (the fault removed). */
#include <stdio.h>

#include "fault.h"

#define ALG_PORT 5062 /* where the router hands the SIP to its ALG */

static int shape(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_nat(le, "", e);
}

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	const char *nat[1];
	char nets[SCN_MAX_WORKERS * 24 + 16], rules[sizeof(nets) + 300];
	if (le_hosts(le, "nat", nat, 1) < 1)
		return err_set(e, ENOENT, "sip.alg_corruption: the lab has no NAT router");
	int rc = le_host_nets(le, "worker", nets, sizeof(nets), e);
	if (rc)
		return rc;
	(void)snprintf(
	        rules, sizeof(rules), /* sized for every worker's network */
	        "table ip lab_alg {\n  chain pre { type nat hook prerouting priority dstnat; "
	        "ip saddr %s udp dport 5060 redirect to :%d; }\n}",
	        nets, ALG_PORT);
	return le_nft(le, nat[0], rules, e);
}

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	const char *nat[1], *reg[1];
	char outside[64], up[64], listen[32], upstream[80];
	if (le_hosts(le, "nat", nat, 1) < 1 || le_hosts(le, "registrar", reg, 1) < 1)
		return err_set(e, ENOENT,
		               "sip.alg_corruption: the lab has no NAT router or registrar");
	cJSON *alg = le_config(le, "alg", e);
	int rc = alg ? le_host_addr(le, nat[0], outside, sizeof(outside), e) : -ENOENT;
	if (!rc)
		rc = le_host_addr(le, reg[0], up, sizeof(up), e);
	if (rc)
		return rc;
	snprintf(listen, sizeof(listen), "0.0.0.0:%d", ALG_PORT);
	snprintf(upstream, sizeof(upstream), "%s:5060", up);
	cJSON_AddStringToObject(alg, "listen", listen);
	cJSON_AddStringToObject(alg, "upstream", upstream);
	cJSON_AddStringToObject(alg, "outside", outside);
	le_note(le,
	        "the NAT router's SIP ALG rewrites the workers' SIP to %s (Via, Contact, c=, "
	        "and the Authorization's uri=)",
	        upstream);
	return 0;
}

const struct fault fault_sip_alg_corruption = {
        .code = "sip.alg_corruption",
        .summary = "a SIP ALG on the NAT router rewrites the workers' SIP and breaks digest auth",
        .applied = "before the run: the aimed workers behind the NAT router, their SIP/UDP "
                   "redirected into a SIP ALG there",
        .reverted = "the next lab has no NAT router and no ALG",
        .shape = shape,
        .topology = topology,
        .far_side = far_side,
        .scopes = FAULT_SCOPE_WORKER,
};

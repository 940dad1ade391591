/* reg.intermittent_network — a flaky path between the workers and the
 * registrar loses SIP packets at random. Mechanism: nftables on the core
 * router, in its forward chain, drops a share of the SIP/UDP packets it
 * passes — `numgen random mod 100 < loss_pct`, or (every > 0) each every-th
 * one by a counter, `numgen inc mod every == 0`, for a run that must lose the
 * same packets each time. Which packets: "register" (the default) is the
 * REGISTER requests from the workers to the registrar (matched by the first
 * eight bytes of the UDP payload), so the calls that follow a registration
 * cross a clean path and the symptom stays where the guide puts it; "all" is
 * every SIP/UDP packet both ways, calls included.
 *
 * A REGISTER transaction is lost only when every one of its sends is (seven
 * within Timer F at the lab's timers), and a registration is two of them
 * (the challenge, then the credentials). Measured (time scale 0.1, scenarios/
 * reg_intermittent_network.json, 40 endpoints on two workers and in two
 * groups): at 70 % of REGISTERs lost, 0.7^7 ≈ 8 % of transactions and about
 * 16 % of registrations should fail (408 made up by the stack after the
 * retransmissions); seven runs (five at once) lost 4, 4, 4, 5, 5, 8 and 11
 * of the 40, each diagnosed reg.intermittent_network, and nine successes in
 * ten had retransmitted on the way. In one run the four failures all fell on
 * one worker by chance (the rule allows for it). A counter (every > 0) gives
 * retransmissions and
 * almost never a failure: a transaction's sends do not all land on the
 * counter's multiples. The remedy is the path fixed: the fault removed. */
#include <stdio.h>
#include <string.h>

#include "fault.h"

static const char *const packet_kinds[] = {"register", "all", NULL};

/* "REGISTER" as the first eight bytes of the UDP payload (after the 8-byte
 * UDP header: bit 64 of the transport header). */
#define NFT_IS_REGISTER "@th,64,64 0x5245474953544552"

/* The nftables expression choosing the packets lost: a random share, or
 * each n-th one by a counter. */
static void loss_expr(const struct fault_args *a, char *buf, size_t cap)
{
	int every = (int)a->v[1].num;
	if (every > 0)
		(void)snprintf(buf, cap, "numgen inc mod %d == 0", every);
	else
		(void)snprintf(buf, cap, "numgen random mod 100 < %d", (int)(a->v[0].num + 0.5));
}

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	const char *reg[1], *router[1];
	char from[SCN_MAX_WORKERS * 24 + 16], to[64], lose[64];
	char rules[2 * sizeof(from) + 600];
	if (le_hosts(le, "registrar", reg, 1) < 1 || le_hosts(le, "router", router, 1) < 1)
		return err_set(e, ENOENT,
		               "reg.intermittent_network: the lab has no registrar or router");
	int rc = le_sources(le, "worker", from, sizeof(from), e);
	if (!rc)
		rc = le_host_addr(le, reg[0], to, sizeof(to), e);
	if (rc)
		return rc;
	loss_expr(a, lose, sizeof(lose));
	if (!strcmp(a->v[2].text, "all"))
		(void)snprintf(
		        rules, sizeof(rules), /* sized for every worker's network, twice */
		        "table inet lab_loss {\n  chain forward { type filter hook forward "
		        "priority filter;\n    ip saddr %s ip daddr %s udp dport 5060 %s drop;\n"
		        "    ip saddr %s ip daddr %s udp sport 5060 %s drop;\n  }\n}",
		        from, to, lose, to, from, lose);
	else
		(void)snprintf(rules, sizeof(rules),
		               "table inet lab_loss {\n  chain forward { type filter hook forward "
		               "priority filter;\n    ip saddr %s ip daddr %s udp dport 5060 "
		               "" NFT_IS_REGISTER " %s drop;\n  }\n}",
		               from, to, lose);
	return le_nft(le, router[0], rules, e);
}

const struct fault fault_reg_intermittent_network = {
        .code = "reg.intermittent_network",
        .summary = "a flaky path loses SIP packets between the workers and the registrar",
        .applied = "before the run, or at at_s: nftables on the core router dropping a share of "
                   "SIP/UDP "
                   "(numgen random, or every n-th packet)",
        .reverted = "at until_s, or in the next lab: the rule deleted",
        .params = {{"loss_pct", FP_NUMBER, "70", 1, 100, "%",
                    "the share of the chosen packets lost, at random", NULL},
                   {"every", FP_INT, "0", 0, 1000000, NULL,
                    "instead of at random, lose each every-th packet (deterministic); 0: "
                    "random",
                    NULL},
                   {"packets", FP_ENUM, "register", 0, 0, NULL,
                    "which packets: the REGISTER requests to the registrar, or all SIP/UDP "
                    "both ways",
                    packet_kinds}},
        .topology = topology,
        .scopes = FAULT_SCOPE_WORKER,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};

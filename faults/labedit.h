/* labedit.h — what a fault may change in a lab, and nothing else: the small
 * API behind the fault hooks (fault.h). The run implements it
 * (sim/run/edits.c); a fault sees only these calls, so it names hosts by
 * role ("worker", "registrar", "router", "nat", "dns", "callee",
 * "platform") and never by a literal address, and its edits add to the lab
 * rather than replace it (a scenario may compose several faults: each one's
 * nftables tables are renamed NAME_f<k> so they never merge).
 *
 * Which calls are allowed depends on the hook: le_nat in shape; le_hosts,
 * le_host_net, le_sources, le_nft and le_sysctl in topology (addresses
 * exist from then on); le_config in far_side; le_worker_*, le_stop_service and le_at in
 * run_start (and in what le_at calls). A call that takes an err_t fails out
 * of its phase with an error that says so; the lookups without one (le_hosts,
 * le_workers, le_worker_*) find nothing then (0, -1, "?"). */
#ifndef SIPLAB_LABEDIT_H
#define SIPLAB_LABEDIT_H

#include <cJSON.h>
#include <stddef.h>

#include "../lib/err.h"

struct lab_edit;

/* --- time -------------------------------------------------------------------- */
/* Scenario seconds as milliseconds of this (possibly compressed) run. */
long le_ms(const struct lab_edit *le, double seconds);
/* The scenario's time scale (1 = real time). */
double le_time_scale(const struct lab_edit *le);

/* --- where the fault is aimed (the scenario's "scope") ---------------------------- *
 * A fault aimed at some workers sees only those in le_hosts and le_sources
 * for the role "worker" (and le_nat puts only those behind the NAT router);
 * these say the rest. */
/* The name the fault is aimed at: scope.name, or the registrar name the
 * scope's group uses; NULL when it is not aimed at a name. */
const char *le_scope_name(struct lab_edit *le);
/* The registrar port the scope's group uses (its transport's default when
 * it names none); 0 when the fault is not aimed at a group. */
int le_scope_port(const struct lab_edit *le);
/* Whether worker i (of le_workers) is one the fault is aimed at. */
int le_worker_aimed(const struct lab_edit *le, int i);

/* --- shape: before the topology exists ------------------------------------------ */
/* Put the workers behind a NAT router; masquerade_flags are nftables'
 * ("" for a plain port-keeping masquerade, "random,fully-random" for a
 * symmetric one). */
int le_nat(struct lab_edit *le, const char *masquerade_flags, err_t *e);

/* --- topology: hosts by role ------------------------------------------------ */
/* The names of the hosts with this role, in order; returns how many (at most
 * cap are written). */
int le_hosts(const struct lab_edit *le, const char *role, const char **names, int cap);
/* A host's own network, as CIDR ("10.20.1.0/24"). */
int le_host_net(const struct lab_edit *le, const char *host, char *buf, size_t cap, err_t *e);
/* A host's address. */
int le_host_addr(const struct lab_edit *le, const char *host, char *buf, size_t cap, err_t *e);
/* Where the traffic of every host of a role comes from as the far side sees
 * it, as an nftables set ("{ 10.20.1.0/24, 10.20.2.0/24 }", or the NAT
 * router's outside address when they are behind it). */
int le_sources(const struct lab_edit *le, const char *role, char *buf, size_t cap, err_t *e);
/* The own networks of every host of a role (the aimed ones, for "worker"),
 * as an nftables set ("{ 192.168.1.0/24, 192.168.2.0/24 }"): behind a NAT
 * router, the addresses before it translates them. */
int le_host_nets(const struct lab_edit *le, const char *role, char *buf, size_t cap, err_t *e);
/* Add an nftables ruleset (complete text: "table inet NAME { ... }") to a
 * host, loaded as it comes up — or, for a timed fault, at its at_s, and its
 * tables deleted at until_s. */
int le_nft(struct lab_edit *le, const char *host, const char *ruleset, err_t *e);
/* Set a sysctl in a host's namespace as it comes up (a timed fault's: at
 * at_s, and back to its old value at until_s). */
int le_sysctl(struct lab_edit *le, const char *host, const char *key, long value, err_t *e);
/* The host of the scenario's second registrar (far_side.peer_domain; role
 * "host"), added before the faults' topology hooks; its name in the lab's
 * DNS is LE_PEER_REGISTRAR ".lab". */
#define LE_PEER_REGISTRAR "registrar2"
/* Add a host with this role on a network of its own off the core router
 * (the far side's side of the lab: a second registrar, an impairing hop);
 * its address is then known to le_host_addr. */
int le_add_host(struct lab_edit *le, const char *name, const char *role, err_t *e);
/* Give every worker process a memory cgroup of its own (no limit yet, unless
 * the scenario's platform.worker_memory_mb sets one), and a CPU one without a
 * quota. Every worker has the memory one wherever the lab can give it; this
 * makes it required. */
int le_worker_cgroups(struct lab_edit *le, err_t *e);

/* --- far side: its configuration, before it starts ------------------------------ */
/* The configuration tree of a far-side service ("registrar", "dns",
 * "callees": the callee pool, when a group dials it), to edit in place; NULL
 * (and e set) when that service has none — Kamailio's configuration is not
 * ours to edit, which is why faults declare FAULT_NEEDS_SIPLAB_REGISTRAR. */
cJSON *le_config(struct lab_edit *le, const char *service, err_t *e);
/* The account prefix of the callee pool (the far side's own accounts, which
 * a fault on the test's accounts leaves alone). */
const char *le_callee_prefix(const struct lab_edit *le);

/* --- the running lab ------------------------------------------------------------ */
/* How many workers there are, and the name of worker i. */
int le_workers(const struct lab_edit *le);
const char *le_worker_name(const struct lab_edit *le, int i);
/* Endpoints the platform gave worker i for this run. */
int le_worker_endpoints(const struct lab_edit *le, int i);
/* Memory worker i's cgroup uses now, in bytes; -1 without a cgroup. */
long long le_worker_memory(const struct lab_edit *le, int i);
int le_worker_memory_limit(struct lab_edit *le, int i, long long bytes, err_t *e);
/* Worker i's CPU quota from now on, in percent of one core (0: none); its
 * cgroup has the cpu controller where the lab has one (le_worker_cgroups). */
int le_worker_cpu_limit(struct lab_edit *le, int i, double pct, err_t *e);
/* The CPU quota of every worker the fault is aimed at (its scope.workers;
 * every worker by default), in percent of one core (0: none), noted in the
 * answer key. */
int le_aimed_cpu_limit(struct lab_edit *le, double pct, err_t *e);
/* Stop a far-side service ("registrar", "dns", "callee") now, as a process
 * that crashed or was never started: nothing listens on its ports from then
 * on. For run_start (and what le_at calls). */
int le_stop_service(struct lab_edit *le, const char *service, err_t *e);
/* Call fn at ms of run time (from the run's start). */
typedef int (*le_action)(struct lab_edit *le, const void *arg, err_t *e);
int le_at(struct lab_edit *le, long ms, le_action fn, const void *arg, err_t *e);

/* --- saying what was done ---------------------------------------------------------- */
/* A line in lab.json (the answer key) and on the terminal. */
void le_note(struct lab_edit *le, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- the workers' tokens -------------------------------------------------------- */
/* Start every worker with a well-formed token the platform did not issue (a
 * revoked or mistyped one): the gateway refuses it. In topology. */
int le_worker_token_revoked(struct lab_edit *le, err_t *e);
/* A far-side service's CPU quota from now on ("registrar", "dns",
 * "callee"), in percent of one core (0: none): its process is moved into a
 * CPU cgroup of its own. For run_start (and what le_at calls). */
int le_service_cpu_limit(struct lab_edit *le, const char *service, double pct, err_t *e);

#endif

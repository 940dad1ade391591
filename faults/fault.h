/* fault.h — the fault injector's catalogue. One file per documented failure
 * (codes from the fault catalogue, so reports, scenarios and the guide use the
 * same names), each one entry: a code, a one-line description, parameters
 * with defaults, and how it is applied. A fault does not flip a flag in the
 * code under test: it changes what the lab is built with — the registrar's
 * configuration, the DNS answers, the routers' nftables rules and conntrack
 * sysctls, a worker's memory cgroup, the SBC's SDP rewriting. Every fault
 * here is applied when the lab is built for the run and is reverted by
 * building the next lab without it (the remedy run). */
#ifndef SIPLAB_FAULT_H
#define SIPLAB_FAULT_H

#include "../lib/limits.h"

#include "../lib/sys.h"

struct fault_param {
	const char *name;
	const char *dflt;
	const char *help;
	const char *const *choices; /* NULL-terminated; NULL for a number, fault_text for text */
};

extern const char *const fault_text[];

/* What the lab is built with; the faults set these. Zero means untouched. */
struct fault_plan {
	/* registrar */
	int rate_per_second, rate_window_ms;
	char rate_mode[8]; /* "503", "drop", "403", "429" */
	int retry_after;
	int transports_set, udp, tcp, tls;
	char strip[8][16]; /* codecs the SBC removes from offers */
	int n_strip;
	int wrong_passwords; /* the registrar's accounts have other passwords than the test's */
	int block_sip;       /* the registrar host drops SIP (UDP and TCP 5060/5061) from workers */
	/* DNS: one name answered wrongly or not at all */
	char dns_name[64];
	char dns_mode[16]; /* nxdomain, servfail, drop */
	/* network */
	int nat;             /* workers behind the NAT router */
	int nat_random;      /* masquerade random,fully-random: a symmetric NAT */
	char firewall[64];   /* a subnet the core router guards statefully */
	int conntrack_udp_s; /* UDP conntrack timeouts on the core router, seconds */
	/* workers */
	long worker_headroom_kb; /* when the run starts, each worker's memory cgroup is
	                          * limited to what it uses then plus this */
};

struct fault {
	const char *code;
	const char *summary;
	const char *applied;  /* when and how, in a few words */
	const char *reverted; /* how it is undone */
	struct fault_param params[FAULT_MAX_PARAMS];
	/* Fill the plan from the parameter values (vals[i] for params[i]);
	 * time_scale compresses what is measured in seconds. */
	int (*apply)(struct fault_plan *plan, const char *const *vals, double time_scale, err_t *e);
};

/* Every fault, in the catalogue's order; NULL-terminated. */
extern const struct fault *const fault_catalogue[];

const struct fault *fault_find(const char *code);
/* Index of a parameter by name, or -1. */
int fault_param_index(const struct fault *f, const char *name);
/* Check one value against its parameter: a number, or one of its choices. */
int fault_param_check(const struct fault *f, int i, const char *value, err_t *e);
/* A number parameter (already checked). */
long fault_num(const char *v);

#endif

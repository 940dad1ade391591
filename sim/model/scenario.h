/* scenario.h — a test configuration, as the platform has it: groups of
 * endpoints (registrar, transport, account pool, codecs, SRTP, count, role and
 * callee target) and test-wide settings (buildup, call duration, region, and
 * a time scale that compresses every duration so a catalogue runs in
 * seconds). Read from JSON; every error names the file, the field and what
 * was expected, before anything starts. */
#ifndef SIPLAB_SCENARIO_H
#define SIPLAB_SCENARIO_H

#include "../../lib/limits.h"
#include "../../faults/fault.h"

#include <cJSON.h>

#include "../../lib/fields.h"
#include "../../lib/sys.h"
#include "../../media/codec.h"

enum scn_transport { SCN_UDP, SCN_TCP, SCN_TLS, SCN_AUTO };
enum scn_role { SCN_CALLER, SCN_CALLEE, SCN_RECEIVE_ONLY };

/* SIP accounts PREFIX0001 ... (from `first`, `count` of them), one password
 * and domain: a group's, and the far side's own pools. */
struct scn_accounts {
	char prefix[32];
	int first, count;
	char password[64];
	char domain[64];
};

/* A pause in sending (silence suppression): from at_s into the call, for
 * duration_s. The test's, or a group's own. */
struct scn_silence {
	double at_s, duration_s;
};

struct scn_group {
	char name[32];
	char registrar[128]; /* a name (resolved through the lab's DNS) or an address */
	enum scn_transport transport;
	struct scn_accounts accounts;
	enum media_codec codecs[SCN_MAX_CODECS];
	int n_codecs;
	enum media_keying srtp;
	int endpoints;
	enum scn_role role;
	char target[64]; /* "callee-pool", another group's name, a SIP URI dialled as
	                  * is ("sip:someone@lab"), or "" (receive-only) */
	char region[32];
	int has_pause; /* its own silence, instead of the test's */
	struct scn_silence pause;
};

/* What the customer's plan allows; pre-flight checks the run against it. */
struct scn_plan {
	int max_endpoints; /* concurrent endpoints */
	double credits;    /* endpoint-minutes left */
};

/* The workers the lab starts, and their heartbeat. */
struct scn_platform {
	int workers;
	char worker_region[32];            /* default: the test's region */
	char regions[SCN_MAX_REGIONS][32]; /* or one per worker, in turn */
	int n_regions;
	int capacity; /* endpoints one worker takes */
	double heartbeat_s, heartbeat_timeout_s;
	int worker_memory_mb; /* each worker's memory cgroup limit; 0: the lab's default (none) */
	/* Another tenant's run on the same gateway, started before the test's:
	 * its endpoints (callers to the callee pool) hold the workers while the
	 * test's run reaches pre-flight. 0 endpoints: none. */
	struct scn_other_run {
		int endpoints;
		double duration_s;
	} other_run;
};

enum scn_registrar_impl { SCN_REG_SIPLAB, SCN_REG_KAMAILIO };

/* The far side the lab runs: which registrar, on which transports, and the
 * callee pool. */
struct scn_far {
	enum scn_registrar_impl registrar;
	int udp, tcp, tls;
	char callee_prefix[32];
	int callee_count;
	char callee_behaviour[16];
	/* The registrar's own account pools; none = what the groups use. */
	struct scn_accounts pools[SCN_MAX_GROUPS];
	int n_pools;
	double dns_ttl_s; /* the lab DNS server's TTL, scenario seconds */
	/* A second siplab registrar (registrar2.lab, a host of its own) serving
	 * this domain ("" none): the first routes requests for it there, and it
	 * routes the rest back (call.no_route black-holes that route). */
	char peer_domain[64];
};

enum scn_action_kind { SCN_KILL_WORKER, SCN_STOP_WORKER, SCN_RESTART_WORKER };

/* Something done to the lab during (or before) the run. */
struct scn_action {
	enum scn_action_kind kind;
	char worker[32]; /* a worker host name, or "all" */
	int before_run;
	double at_s; /* seconds after the run starts (scaled) */
	/* restart_worker: seconds between the kill and the new process (scaled),
	 * as an orchestrator brings a container back. */
	double after_s;
};

/* Where a fault is aimed: some workers (their hosts), one group (through the
 * registrar name and port it uses), or one name. Empty: everywhere its
 * mechanism reaches. */
struct scn_scope {
	char workers[SCN_MAX_WORKERS][16];
	int n_workers;
	char group[32];
	char name[128];
};

/* A fault a scenario injects: its code, every parameter's value (given or
 * default) in the order of the fault's parameters, its scope, and when it
 * is on: from at_s (scenario seconds into the run) until until_s, or for
 * the whole run when neither is given. */
struct scn_fault {
	char code[48];
	struct fault_args args;
	struct scn_scope scope;
	double at_s, until_s;
	int has_at, has_until;
};

struct scenario {
	char name[64];
	char region[32];
	double buildup_s;
	double call_duration_s;
	double time_scale; /* 1 = real time; 0.05 = every duration 20 times shorter */
	struct scn_group groups[SCN_MAX_GROUPS];
	int n_groups;
	struct scn_plan plan;
	struct scn_platform platform;
	struct scn_far far;
	struct scn_action actions[SCN_MAX_ACTIONS];
	int n_actions;
	struct scn_silence pause;                /* every endpoint stops sending */
	struct scn_fault faults[SCN_MAX_FAULTS]; /* "faults", or the shorthand "fault" */
	int n_faults;
	int fault_shorthand;  /* given as "fault", not "faults" (errors say so) */
	char expect[1024];    /* the "expect" object as JSON text, "" when none */
	char remedy[4096];    /* the "remedy" object as JSON text, "" when none */
	int sbc_relay;        /* far_side.sbc.relay: the registrar relays media (latching) */
	int sbc_reorder;      /* far_side.sbc.reorder: it reverses offers' codec order */
	char sbc_rewrite[64]; /* far_side.sbc.rewrite_address: c= written into offers ("") */
	/* The run's seed: everything random in the run derives from it. Given by
	 * "seed" (or `siplab run --seed`), else drawn when the run starts. */
	struct scn_seed {
		unsigned long long value;
		int given;
	} seed;
};

/* RFC 7386 merge patch: patch's members replace target's (null removes).
 * Returns the patched target (a new tree when target is not an object). */
cJSON *json_merge_patch(cJSON *target, const cJSON *patch);
/* The scenario after its remedy: the remedy's "patch" merged into the
 * scenario's JSON and its "group_patch" into every group; the remedy's own
 * "expect" becomes the expectation. Returns malloc'd JSON text, or NULL with
 * the reason in e. */
char *scenario_remedied(const char *json, const char *origin, err_t *e);

/* The scenario file's fields, for reading and for `siplab run --help`. */
extern const struct field scenario_fields[];

/* Whether a group's target is a SIP URI, dialled as it is rather than
 * made from a group's accounts (a number outside the test). */
int scenario_target_is_uri(const char *target);

int scenario_parse(const char *json, const char *origin, struct scenario *s, err_t *e);
int scenario_load(const char *path, struct scenario *s, err_t *e);

/* Every duration the lab uses goes through here: seconds at scale 1 become
 * milliseconds of the compressed run. */
long scenario_ms(const struct scenario *s, double seconds);
/* Scenario milliseconds per lab millisecond (1 / time_scale): how a time the
 * compressed lab measured is read back in the scenario's time. */
double scenario_stretch(const struct scenario *s);
/* Total endpoints of the test. */
int scenario_endpoints(const struct scenario *s);
/* The other tenant's run of platform.other_run, as a scenario of its own
 * (its accounts are known to the registrar as the test's are). */
void scenario_other_run(const struct scenario *s, struct scenario *out);

#endif

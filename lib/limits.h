/* limits.h — every fixed size in siplab, in one place, tied together.
 *
 * A limit is either refused where the input is read (the scenario, a
 * config, a fault's parameters: the error names the limit) or, where the
 * input is traffic the lab does not control, counted as dropped in the
 * report. None truncates silently. Change one here and the assertions below
 * say which others must follow. */
#ifndef SIPLAB_LIMITS_H
#define SIPLAB_LIMITS_H

/* --- a scenario ------------------------------------------------------------ */
#define SCN_MAX_WORKERS  50 /* "platform.workers" */
#define SCN_MAX_GROUPS   16
#define SCN_MAX_CODECS   4 /* codecs one group offers */
#define SCN_MAX_ACTIONS  8
#define SCN_MAX_REGIONS  8 /* "platform.worker_regions" */
#define FAULT_MAX_PARAMS 6

/* --- the lab network --------------------------------------------------------- */
#define TOPO_MAX_HOSTS  64
#define TOPO_MAX_LINKS  128
#define TOPO_MAX_ROUTES 16
#define TOPO_MAX_KV     32
#define TOPO_MAX_NS     3
/* The far side and the routers of the standard topology, besides the
 * workers: platform, registrar, callee, dns, stun, core, nat. */
#define TOPO_FAR_HOSTS 12

/* --- the far side -------------------------------------------------------- */
#define REG_MAX_DOMAINS  8
#define REG_MAX_PEERS    8
#define LOC_MAX_BINDINGS 8
#define DNS_MAX_RECORDS  256
#define SBC_MAX_STRIP    8 /* codecs one SBC removes */

/* --- SIP traces and stack events (sip/tap.c, sim/worker) ----------------------- */
/* Messages kept per endpoint: the first ones (registration, call set-up) and
 * the last ones (so a long call keeps its BYE); the ones between are counted
 * in the endpoint's trace_dropped. */
#define TRACE_KEEP_FIRST 48
#define TRACE_KEEP_LAST  16
/* SIP stack events (ICMP errors, refused connections...) a worker reports
 * per run; more are counted in events_dropped. */
#define WORKER_MAX_EVENTS 200

/* --- the platform and its report -------------------------------------------- */
#define PF_MAX_WORKERS  64
#define DX_MAX_EVIDENCE 8 /* lines of one finding's evidence */

_Static_assert(SCN_MAX_WORKERS <= PF_MAX_WORKERS,
               "the gateway must hold every worker a scenario asks for");
_Static_assert(SCN_MAX_WORKERS + TOPO_FAR_HOSTS <= TOPO_MAX_HOSTS,
               "the standard topology must fit the workers and the far side");
_Static_assert(TOPO_MAX_LINKS >= 2 * TOPO_MAX_HOSTS, "each host has its link, and routers more");

#endif

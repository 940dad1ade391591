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
#define FAULT_TEXT       64 /* a fault parameter's word or name */
#define FAULT_MAX_ITEMS  8  /* a fault parameter's list */
#define FAULT_ITEM       24
#define FAULT_MAX_TIMERS 16 /* actions one run's faults schedule */
#define SCN_MAX_FAULTS   4  /* "faults": faults one scenario composes */
#define FAULT_MAX_DEFERRED \
	(SCN_MAX_WORKERS + \
	 16) /* rulesets and sysctls timed faults switch (one per worker host, and some) */

/* --- a worker's memory ("platform.worker_memory_mb") ----------------------------
 * Every worker runs in a memory cgroup of its own, limited by the scenario or,
 * by default, not at all (a normal run never meets a limit). */
#define WORKER_MEMORY_MB_MAX (1 << 20) /* 1 TB */

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
/* --- the SBC's impairing media relay (registrar/sbc.c) ------------------------ *
 * Packets one relayed call holds back at once for delay and jitter (a
 * second of both directions' audio at 400 ms of delay is 100); one more is
 * dropped and counted in the relay's log line. */
#define RELAY_MAX_HELD 512

/* The SIP ALG on the NAT router (registrar/alg.c): inside clients it keeps a
 * mapping for (a datagram from one more is counted dropped), and the largest
 * message it rewrites (a larger one is counted dropped, never cut). */
#define ALG_MAX_CLIENTS 256
#define ALG_MAX_MSG     8192
/* Calls the callee pool holds at once; one more is answered 486 Busy Here
 * and counted in its calls_refused. */
#define CALLEE_MAX_CALLS 1024

/* --- an SDP body (media/sdp.c): no limit on its size or its number of lines;
 * these bound single fields, refused by the parser as SDP_ERR_LIMIT ---------- */
#define SDP_MAX_CRYPTO 16 /* a=crypto lines of one media section */
#define SDP_MAX_NAME \
	32 /* an rtpmap encoding name, a crypto suite, a media type, a proto (with NUL) */
#define SDP_MAX_KEY 128 /* an a=crypto key (the base64 after inline:, with NUL) */

/* --- SIP traces and stack events (sip/tap.c, sim/worker) ----------------------- */
/* Messages kept per endpoint: the first ones (registration, call set-up) and
 * the last ones (so a long call keeps its BYE); the ones between are counted
 * in the endpoint's trace_dropped. */
#define TRACE_KEEP_FIRST 48
#define TRACE_KEEP_LAST  16
/* SIP stack events (ICMP errors, refused connections...) a worker reports
 * per run; more are counted in events_dropped. */
#define WORKER_MAX_EVENTS 200

/* --- the registrar probes (sim/worker/regprobe.c) ---------------------------
 * DNS questions one probe asks (A, NAPTR, and SRV for udp, tcp, tls), the A
 * records of an answer it keeps (the rest are counted in addresses_dropped),
 * OPTIONS sent over UDP (the first and its retransmissions), and the most
 * time the probes of one worker take, however long T1 is. */
#define RP_MAX_QUERIES 5
#define RP_MAX_ADDRS   4
#define RP_UDP_SENDS   4
#define RP_MAX_MS      10000

/* --- the platform and its report -------------------------------------------- */
#define PF_MAX_WORKERS  64
#define DX_MAX_EVIDENCE 8              /* lines of one finding's evidence; more are counted */
#define DX_MAX_WORKERS  PF_MAX_WORKERS /* workers of one report the diagnosis reads */

/* --- another tenant's run on the same gateway (platform.other_run) --------------- */
/* Its endpoints, refused above this when the scenario is read: it is there to
 * hold the workers, not to load them. */
#define OTHER_RUN_MAX_ENDPOINTS 200

/* --- the HTML report of a run (html/) ------------------------------------------------
 * The page stays one file a browser opens at once, whatever the report: the
 * endpoints listed with a ladder and their media (the rest are counted in a
 * note; the counts and the diagnosis still cover them all), the messages drawn
 * in one endpoint's ladder (a trace is already at most TRACE_KEEP_FIRST +
 * TRACE_KEEP_LAST), the bytes of one message's text shown (the rest counted
 * beside it), the worker events in the timeline, and the steps of a results.json. */
#define HTML_MAX_ENDPOINTS 200
#define HTML_MAX_LADDER    (TRACE_KEEP_FIRST + TRACE_KEEP_LAST)
#define HTML_MAX_MSG_TEXT  16384
#define HTML_MAX_EVENTS    100
#define HTML_MAX_STEPS     64

/* --- the lab's packet capture (netns/capture.c) ------------------------------
 * The most one run's capture file holds (a healthy run at time scale 0.1
 * writes a few MB): packets past it are not written, counted as dropped, and
 * said on the terminal, in lab.json and in the file's statistics blocks. A
 * packet is kept whole up to the snap length (the lab's links have an MTU of
 * 1500; only a TCP segment the kernel coalesced could be longer, and its
 * real length is kept with it); each end's kernel ring holds a few hundred
 * ms of a busy worker's traffic, and what overflows it is counted too. */
#define CAPTURE_MAX_BYTES  (128LL << 20)
#define CAPTURE_SNAPLEN    65535
#define CAPTURE_RING_BYTES (2 << 20)
#define CAPTURE_MAX_IFACES                                                    \
	(2 * TOPO_MAX_LINKS + TOPO_MAX_HOSTS) /* each link end, each loopback \
	                                       */

/* --- a customer's capture read for a diagnosis (pcapdx/) ------------------------
 * What one capture's reading keeps: SIP messages (the rest counted as
 * dropped, said in the diagnosis's "capture" section), TCP flows reassembled
 * at once and the bytes one flow may hold before a message is complete (a
 * flow past it is dropped, counted), ICMP errors, endpoints (by AOR) and the
 * Call-IDs of one endpoint. */
#define PX_MAX_MSGS      200000
#define PX_MAX_TCP_FLOWS 1024
#define PX_TCP_BUF       65536
#define PX_MAX_ICMP      4096
#define PX_MAX_ENDPOINTS 5000
#define PX_MAX_CALL_IDS  64

/* --- siplab run's CI options (sim/cli/cmd_run.c, results.c) -------------------
 * --shard K/N: the most shards a catalogue is split into; --timeout S: the
 * longest a scenario's flow may be given (both refused above, naming the
 * option). A flow stopped by its timeout has this long to hang up and write
 * its report before it is killed. */
#define SHARD_MAX          1000
#define FLOW_TIMEOUT_MAX_S 86400
#define FLOW_STOP_GRACE_S  15

/* --- siplab train (train/, sim/cli/cmd_train.c) ----------------------------------
 * --cases N: the most cases a session holds; a catalogue folder of more
 * scenarios than TRAIN_MAX_CATALOGUE is refused, naming the limit; the codes
 * an expectation accepts beyond TRAIN_MAX_ACCEPT are counted as dropped;
 * --time-limit S at most TRAIN_MAX_TIME_LIMIT_S. */
#define TRAIN_MAX_CASES        100
#define TRAIN_MAX_CATALOGUE    512
#define TRAIN_MAX_ACCEPT       8
#define TRAIN_MAX_TIME_LIMIT_S 86400

/* --- siplab repro (sim/cli/cmd_repro.c) ---------------------------------------
 * --tries N: the most causes a repro runs (refused above, naming the option);
 * the findings it walks for them: the ones beyond are counted in repro.json's
 * "findings_dropped", never tried. */
#define REPRO_MAX_TRIES    10
#define REPRO_MAX_FINDINGS 32
/* A rate limit's per-second read from the runs of REGISTERs its windows let
 * through: runs as long as this or longer are not taken for one window. */
#define REPRO_RUN_LENGTHS 4096

_Static_assert(SCN_MAX_WORKERS <= PF_MAX_WORKERS,
               "the gateway must hold every worker a scenario asks for");
_Static_assert(SCN_MAX_WORKERS + TOPO_FAR_HOSTS <= TOPO_MAX_HOSTS,
               "the standard topology must fit the workers and the far side");
_Static_assert(SBC_MAX_STRIP <= FAULT_MAX_ITEMS, "a fault's list holds every codec an SBC strips");
_Static_assert(TOPO_MAX_LINKS >= 2 * TOPO_MAX_HOSTS, "each host has its link, and routers more");

#endif

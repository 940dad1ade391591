/* codes.h — the report's machine-readable facts: one stable token per reason
 * a run ends, per way an endpoint fails, and per platform event of a worker.
 * The report writer (sim/) and the diagnosis (diagnose/) both take them from
 * the tables here, so the rules read codes, never the sentences beside them,
 * and the two sides cannot drift apart. Schema: docs/report.md. */
#ifndef SIPLAB_CODES_H
#define SIPLAB_CODES_H

/* report.json's schema_version: 2 added the codes of this file. */
#define REPORT_SCHEMA_VERSION 2

/* run.reason_code: why a run is CANNOT_RUN_FOR_NOW or FAILED. */
enum run_reason {
	RUN_REASON_NONE, /* no reason: the run completed */
	RUN_REASON_ENDPOINT_LIMIT,
	RUN_REASON_CREDITS,
	RUN_REASON_WORKERS_BUSY,
	RUN_REASON_NO_ONLINE_WORKERS, /* no worker ONLINE anywhere */
	RUN_REASON_REGION_MISMATCH,   /* workers ONLINE, none in the test's region */
	RUN_REASON_CAPACITY,
	RUN_REASON_ALLOCATION_FAILED,
	RUN_REASON_WORKER_LOST,
	RUN_REASON_TIMEOUT, /* endpoints without a result at the run's deadline */
	RUN_REASON_INFRASTRUCTURE_FAILED,
	RUN_REASON_COUNT
};

/* endpoints[].failure.kind: how an endpoint that did not succeed failed. */
enum ep_failure {
	EP_FAIL_NONE,
	EP_FAIL_REGISTRATION_REFUSED, /* the registrar answered an error */
	EP_FAIL_REGISTRATION_TIMEOUT, /* no answer to REGISTER */
	EP_FAIL_AUTH_FAILED,          /* challenged again after authenticating */
	EP_FAIL_DNS_FAILURE,          /* the registrar's name did not resolve */
	EP_FAIL_TRANSPORT_ERROR,      /* the request could not be delivered (ICMP, refused) */
	EP_FAIL_CALL_REJECTED,        /* the far side answered the INVITE with an error */
	EP_FAIL_CALL_TIMEOUT,         /* no final answer to the INVITE */
	EP_FAIL_CALL_CANCELLED,       /* a callee whose caller cancelled */
	EP_FAIL_NO_INCOMING_CALL,     /* a callee that waited and no INVITE came */
	EP_FAIL_OFFER_REJECTED,       /* the far side refused our SDP offer (488, 606, 415) */
	EP_FAIL_OFFER_REFUSED,        /* we (a callee) refused the SDP offer */
	EP_FAIL_NEGOTIATION_FAILED,   /* the answer, or the media it set up, was unusable */
	EP_FAIL_BYE_REJECTED,
	EP_FAIL_BYE_TIMEOUT,
	EP_FAIL_MEDIA_ONE_WAY, /* a call up, audio sent, none received */
	EP_FAIL_NO_MEDIA,      /* a call up, no audio either way */
	EP_FAIL_MEDIA_QUALITY, /* audio both ways, a metric beyond "good" */
	EP_FAIL_OS_ERROR,      /* the worker's own resources (sockets, memory) */
	EP_FAIL_WORKER_LOST,   /* the platform closed it: its worker was lost */
	EP_FAIL_NO_RESULT,     /* the platform closed it: no result by the deadline */
	EP_FAIL_NO_ACCOUNT,    /* the platform had no SIP account left for it */
	EP_FAIL_COUNT
};

/* endpoints[].failure.source: who decided the failure. */
enum fail_source {
	FAIL_SOURCE_NONE,
	FAIL_SOURCE_REMOTE,   /* a response received from the far side */
	FAIL_SOURCE_LOCAL,    /* the endpoint or its SIP stack (made-up 408/503, its timers) */
	FAIL_SOURCE_PLATFORM, /* the platform, for an endpoint its worker never reported */
	FAIL_SOURCE_COUNT
};

/* workers[].events[].kind and .cause: what the gateway saw of a worker. */
enum wk_event {
	WK_EVENT_NONE,
	WK_EVENT_ONLINE,
	WK_EVENT_DISPATCHED,
	WK_EVENT_RECONNECTED,
	WK_EVENT_OFFLINE,
	WK_EVENT_ERROR,
	WK_EVENT_COUNT
};

enum wk_cause {
	WK_CAUSE_NONE,
	WK_CAUSE_CONNECTION_CLOSED,
	WK_CAUSE_HEARTBEAT_TIMEOUT,
	WK_CAUSE_BAD_TOKEN,
	WK_CAUSE_UNKNOWN_TOKEN,
	WK_CAUSE_NO_NAME,
	WK_CAUSE_DISPATCH_REFUSED,
	WK_CAUSE_DISPATCH_UNSENT,
	WK_CAUSE_COUNT
};

/* The token of a code ("" for the NONE of each family). */
/* A worker's SIP stack events (sip/tap.c writes them, the diagnosis reads
 * them): their kinds, and the causes the rules look for. The tap has more
 * causes (icmp_* by type and code, errno names); these are the ones a rule
 * names. */
#define STACK_KIND_TRANSPORT "transport_error"
#define STACK_KIND_TLS       "tls_error"
#define STACK_KIND_DNS       "dns_error"
#define STACK_CAUSE_ICMP     "icmp_" /* a prefix: icmp_port_unreachable, ... */
#define STACK_CAUSE_REFUSED  "connection_refused"

/* workers[].probes (sim/worker/regprobe.c writes them, the registration
 * rules read them): what an OPTIONS to the registrar got, per transport... */
#define RP_ANSWERED   "answered"   /* a SIP response came (any status) */
#define RP_ICMP       "icmp"       /* an ICMP error came back (UDP: port unreachable) */
#define RP_REFUSED    "refused"    /* TCP/TLS: the connection was refused (RST) */
#define RP_SILENT     "silent"     /* nothing came back in the budget */
#define RP_TLS_FAILED "tls_failed" /* TLS: the handshake failed, or the certificate */
#define RP_NO_ADDRESS "no_address" /* the name did not resolve: nothing to probe */
#define RP_ERROR      "error"      /* a local error (no socket): says nothing of the path */
/* ... the TCP (and TLS) connection on the way ... */
#define RP_CONNECTED "connected"
/* ... the TLS handshake, and the verify result of the registrar's certificate ... */
#define RP_HANDSHAKE_OK     "ok"
#define RP_HANDSHAKE_FAILED "failed" /* an alert, or the peer closed, mid-handshake */
#define RP_VERIFY_OK        "ok"
#define RP_VERIFY_UNTRUSTED "untrusted_issuer" /* signed by a CA the worker does not trust */
#define RP_VERIFY_NAME      "name_mismatch"    /* not for the registrar's name */
#define RP_VERIFY_EXPIRED   "expired"
#define RP_VERIFY_NOT_YET   "not_yet_valid"
#define RP_VERIFY_INVALID   "invalid" /* any other verify error (verify_text says which) */
/* ... and the DNS questions: an rcode's name ("NOERROR", "NXDOMAIN",
 * "SERVFAIL", ...), or this when the DNS server never answered. */
#define RP_DNS_NO_ANSWER "no_answer"

const char *run_reason_name(enum run_reason r);
const char *ep_failure_name(enum ep_failure k);
const char *fail_source_name(enum fail_source s);
const char *wk_event_name(enum wk_event k);
const char *wk_cause_name(enum wk_cause c);

/* The code of a token; the family's NONE for NULL, "" or a token unknown
 * (a report of another schema), never an error. */
enum run_reason run_reason_from_name(const char *name);
enum ep_failure ep_failure_from_name(const char *name);
enum fail_source fail_source_from_name(const char *name);
enum wk_event wk_event_from_name(const char *name);
enum wk_cause wk_cause_from_name(const char *name);

#endif

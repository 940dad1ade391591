/* diagnose.h — diagnosis of a run from its report alone (never from the
 * fault that was injected), walking the failure guide's decision tree: the
 * run's status, whether it started, the scope (all endpoints or some, by
 * group, by worker, by time), the phase reached, the SIP codes and what the
 * traces show, and the media counters per direction. The rules are one row
 * each in rules_SECTION.c, one file per section of the guide. This folder
 * includes lib/ and media/ (the SDP reader and the codec table) and nothing
 * else: it sees the report, never the lab. Traced SIP messages are read with
 * sofia-sip's parser. */
#ifndef SIPLAB_DIAGNOSE_H
#define SIPLAB_DIAGNOSE_H

#include "../lib/codes.h"
#include "../lib/limits.h"

#include <cJSON.h>
#include <stdio.h>

/* One endpoint, as its record and trace show it. */
struct dx_ep {
	const cJSON *rec;
	int idx; /* its place in the report's endpoints (for JSON pointers) */
	const char *user, *group, *worker, *outcome, *phase_reached, *reason;
	int code, code_local, caller, registered;
	enum ep_failure fail;     /* failure.kind: how it failed, as a code */
	enum fail_source fail_by; /* failure.source: who decided it */
	double t_register;
	int reg_sent, reg_answered, sent_any, recv_any, retry_after;
	/* Where in its trace: the last answer to a REGISTER, the 200 whose Via
	 * was read, the INVITE it sent and the one it received (-1: none). */
	int reg_answer_at, via_at, invite_sent_at, invite_recv_at;
	const char *reg_transport; /* "udp", "tcp", "tls" of its REGISTER ("" unknown) */
	/* Its group's configuration in the report's test section: the SRTP it
	 * requires ("none", "sdes"; "" unknown) and its codecs ("PCMU PCMA"). */
	const char *srtp_cfg;
	char codecs_cfg[128];
	/* Codec names of the INVITE's SDP, whole however many ("" when none). */
	char *offer_sent, *offer_received;
	int offer_seen; /* an INVITE with SDP was received */
	/* The profiles of those offers' m=audio: 1 RTP/SAVP(F), 0 RTP/AVP, -1 none. */
	int offer_sent_secure, offer_received_secure;
	char sdp_addr[64]; /* the audio's c= address (IPv4 or IPv6) of the INVITE it sent */
	char sdp_addr_received[64]; /* and of the INVITE it received */
	/* The top Via's sent-by ("host:port") of its first REGISTER, and of the
	 * first answer to one: the same unless something on the way rewrote it. */
	char reg_via_sent[80], reg_via_answered[80];
	int reg_via_sent_at, reg_via_answered_at;
	int unreadable;                  /* traced messages sofia-sip's parser could not read */
	char via_host[64], received[64]; /* Via sent-by, and received= in the reply */
	int via_port, rport;
	int media;
	double rx, tx, before_pause, since_pause, sent_after_pause;
	/* Its media's payload types: the one its SDP negotiated (-1 unknown),
	 * the packets that came with another (not counted in rx), the last such
	 * type (-1 none). A codec changed mid-call: the call's first codec, the
	 * last, how many changes, audio received since (-1 none). */
	double pt_unexpected, rx_since_change;
	int pt_expected, pt_seen, codec_changes;
	const char *codec, *codec_first;
	/* A later offer it received once its call was up (a re-INVITE), and
	 * the answer it sent to it: where in its trace (-1: none), and their
	 * codecs ("" when none). */
	int reoffer_at, reanswer_at;
	char *reoffer, *reanswer;
};

struct dx_worker {
	const char *name, *status;
	int lost;
	double lost_t;
	double first_rss_kb, last_rss_kb, endpoints; /* from its heartbeats */
	int samples;
};

/* What a run report shows, read once. */
struct dx_evidence {
	const cJSON *report;
	const char *status, *reason;
	enum run_reason reason_code; /* the rules read this, never reason */
	int schema_version;          /* 1 when absent: a report without codes */
	int n;
	struct dx_ep *eps;
	struct dx_worker workers[DX_MAX_WORKERS];
	int workers_dropped; /* beyond DX_MAX_WORKERS: said in "saw" */
	int n_workers;
	int online_workers;
	int icmp_events, dns_events;
	char first_icmp[160], first_dns[160];
};

struct dx_rule;

struct dx_finding {
	const struct dx_rule *rule;
	int order; /* the rule's place in the guide: breaks ties in the ranking */
	int score; /* 0 to 100: how well the evidence fits */
	char *evidence[DX_MAX_EVIDENCE]; /* malloc'd lines, whole */
	int n_evidence;
	int n_dropped; /* lines beyond DX_MAX_EVIDENCE */
	/* Where each line came from: a JSON pointer into the report (RFC 6901,
	 * "/endpoints/3/trace/5"), malloc'd, or NULL. */
	char *source[DX_MAX_EVIDENCE];
};

struct dx_rule {
	const char *code;
	const char *branch;     /* where in the guide this is */
	const char *resolution; /* what to do, in our words */
	/* Fill f's evidence and return its score; 0 when it does not fit. */
	int (*match)(const struct dx_evidence *ev, struct dx_finding *f);
};

/* The rules, one table per section of the guide (diagnose/rules_*.c), each
 * ended by a row whose code is NULL. dx_sections lists them in the guide's
 * order, which is also the order that breaks ties in the ranking. */
extern const struct dx_rule dx_rules_allocation[], dx_rules_workers[], dx_rules_registration[],
        dx_rules_negotiation[], dx_rules_call[], dx_rules_media[];
extern const struct dx_rule dx_rules_quality[];
extern const struct dx_rule *const dx_sections[];
/* The address every call with audio sent its media to when it is one and no
 * endpoint's own: a media relay between the ends (rules_quality.c). */
int dx_media_relay(const struct dx_evidence *ev, char *relay, size_t cap);

/* Evidence helpers for the rules. */
/* The other end of an endpoint's call, when it is in the test too. */
const struct dx_ep *dx_far_end(const struct dx_evidence *ev, const struct dx_ep *e);
/* Inbound audio stopped at its pause and never came back, although the far
 * end sent again after its own pause. */
int dx_lost_after_pause(const struct dx_evidence *ev, const struct dx_ep *e);
void dx_say(struct dx_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line with where it came from: a JSON pointer into the report, or NULL. */
void dx_say_at(struct dx_finding *f, const char *source, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Pointers into the report: an endpoint ("/endpoints/3"), one message of its
 * trace ("/endpoints/3/trace/5"; the endpoint when msg < 0), a field of it. */
const char *dx_at_ep(const struct dx_ep *e, char *buf, size_t cap);
const char *dx_at_msg(const struct dx_ep *e, int msg, char *buf, size_t cap);
const char *dx_at_field(const struct dx_ep *e, const char *field, char *buf, size_t cap);

/* --- scope: where the symptoms are ------------------------------------------------- */
/* The guide's first question, asked of one symptom: all endpoints, one group,
 * one worker, only after a time, or some with no pattern. */
enum dx_scope_kind {
	DX_SCOPE_NONE,
	DX_SCOPE_ALL,
	DX_SCOPE_GROUP,
	DX_SCOPE_WORKER,
	DX_SCOPE_AFTER,
	DX_SCOPE_SOME
};
struct dx_scope {
	enum dx_scope_kind kind;
	const char *name; /* the group or worker */
	double after_ms;  /* DX_SCOPE_AFTER: every symptom started at or after it */
	int hit, of;      /* endpoints with the symptom, of those in the scope */
	int others;       /* endpoints outside the scope (none of them has it) */
};
typedef int (*dx_symptom)(const struct dx_ep *e);
void dx_scope_of(const struct dx_evidence *ev, dx_symptom has, struct dx_scope *sc);
/* Whether e lies in the scope (all of them for ALL, SOME and AFTER). */
int dx_in_scope(const struct dx_scope *sc, const struct dx_ep *e);
/* The scope as the first evidence line: "scope: group callers (10 of 10 ...)". */
void dx_say_scope(struct dx_finding *f, const struct dx_scope *sc, const char *symptom);
/* Symptoms the scopes are taken over. */
int dx_reg_failed(const struct dx_ep *e);
/* Codec lists as sets ("opus PCMU" = "PCMU opus"); telephone-event and
 * comfort noise are not audio codecs, and are left out of both. */
int dx_same_codecs(const char *a, const char *b);
/* Whether two lists share an audio codec. */
int dx_codecs_meet(const char *a, const char *b);
int dx_count(const struct dx_evidence *ev, const char *outcome);
/* a / b, or 0 when b is 0. */
double dx_share(int a, int b);
int dx_failed(const struct dx_ep *e);

/* Best fit first; equal fits in the guide's order (their `order`). */
void dx_rank(struct dx_finding *found, int n);

/* The diagnosis of a report, as JSON: {"status", "endpoints", "findings":
 * [{"code", "score", "branch", "evidence": [...], "resolution"}], "saw": [...]}.
 * findings is ranked, empty when nothing failed or when no rule fits (then
 * "unexplained" is true and "saw" says what the report shows). */
cJSON *diagnose(const cJSON *report);
/* The top finding's code, "healthy" when nothing failed, "unexplained". */
const char *diagnose_top(const cJSON *d);
void diagnose_print(const cJSON *d, FILE *f);
/* For the top two findings, what tells them apart: each one's scope, score
 * and the evidence the other does not have (`siplab diagnose --explain`). */
void diagnose_explain(const cJSON *d, FILE *f);

#endif

/* tap.h — the one place that sees every SIP message a process sends or
 * receives. The tap installs itself on sofia-sip's log (su_log_redirect),
 * reads the transport layer's message dump (TPTAG_LOG(1) on the agent or
 * nua), parses each message with sofia's own SIP parser and hands it to a
 * callback; every other log line is handed over as an event with a
 * machine-readable kind and cause. One tap per process: sofia has one log. */
#ifndef SIPLAB_SIP_TAP_H
#define SIPLAB_SIP_TAP_H

#include <stddef.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>

/* One message, valid for the duration of the callback only. */
struct sip_tap_msg {
	long long t_us;        /* microseconds since the tap's t0 */
	const char *host;      /* this process's host name */
	const char *transport; /* "udp", "tcp", "tls" (as sofia names it) */
	const char *local;     /* our address on that transport: "udp/[10.20.1.2]:5060",
	                        * "" while unknown. For TCP and TLS it is the listening
	                        * address, not the connection's own port. */
	const char *peer;      /* the other end: "udp/[10.10.2.2]:5060" */
	int sent;              /* 1 sent, 0 received */
	const char *call_id;   /* "" when the message has none */
	const char *cseq_method;
	unsigned cseq;
	int status;         /* a response's status code; 0 for a request */
	const char *method; /* a request's method; "" for a response */
	const char *from_user, *from_tag, *to_user, *to_tag; /* "" when absent */
	const char *first_line;                              /* the request or status line */
	const char *text; /* the whole message, lines ended by CRLF */
	size_t len;
	int parsed;       /* sofia's parser took it (else the header fields are "") */
	const sip_t *sip; /* the parsed message, for anything else; NULL if !parsed */
};

/* Anything the SIP stack logged that is not a message. */
struct sip_tap_event {
	long long t_us;
	const char *host;
	const char *kind;  /* "transport_error", "tls_error", "dns_error", "trace" or "stack" */
	const char *cause; /* a stable lower-case token: "icmp_port_unreachable",
	                    * "icmp_host_unreachable", "connection_refused", "timeout",
	                    * "tls_handshake", "message_truncated", ... or "other" */
	const char *peer;  /* who it concerns, as the trace names peers
	                    * ("udp/[10.10.2.2]:5060"); for an ICMP error the address of
	                    * the host that reported it; "" when the line names none */
	const char *text;  /* the line as logged (continuation lines joined by '\n') */
};

typedef void sip_tap_msg_fn(void *ctx, const struct sip_tap_msg *m);
typedef void sip_tap_event_fn(void *ctx, const struct sip_tap_event *ev);

#define SIP_TAP_TRANSPORTS 4 /* udp, tcp, tls, and one more */

struct sip_tap {
	char host[64];
	long long t0_us;
	sip_tap_msg_fn *on_msg;
	sip_tap_event_fn *on_event;
	void *ctx;
	struct {
		char transport[8], addr[80];
		int fixed; /* set by the caller, never learnt */
	} local[SIP_TAP_TRANSPORTS];
	char *line; /* the log line being assembled */
	size_t line_len, line_cap;
	int state; /* 0 between messages, 1 after a message's stamp, 2 inside one */
	int sent;
	long long msg_t_us;
	char transport[8], peer[96];
	char *msg; /* the message being assembled */
	size_t msg_len, msg_cap;
	char *ev; /* an event waiting for its continuation lines */
	size_t ev_len, ev_cap;
	long long ev_t_us;
};

/* Wall-clock microseconds (CLOCK_REALTIME): the clock every process of a
 * run shares, so times can be lined up across them. */
long long sip_tap_now_us(void);

/* Install the tap on sofia's default log (call after su_init). host: this
 * process's name (NULL: gethostname). t0 is 0 until sip_tap_set_t0. Either
 * callback may be NULL. 0, or -ENOMEM. */
int sip_tap_open(struct sip_tap *t, const char *host, sip_tap_msg_fn *on_msg,
                 sip_tap_event_fn *on_event, void *ctx);
/* Times from now on are microseconds since t0_us (a sip_tap_now_us() value). */
void sip_tap_set_t0(struct sip_tap *t, long long t0_us);
/* Our address on a transport ("udp", "10.20.1.2", 5060). Without it the tap
 * learns the address from the top Via of the first message of ours it sees
 * on that transport (a request sent, or a response received). */
void sip_tap_local(struct sip_tap *t, const char *transport, const char *addr, unsigned port);
/* Every address an nta agent listens on, as sip_tap_local. Returns how many. */
int sip_tap_agent_locals(struct sip_tap *t, nta_agent_t *agent);
/* Forget what was learnt of local addresses (a new stack, new ports). */
void sip_tap_forget_locals(struct sip_tap *t);
/* Deliver an event still waiting for continuation lines. */
void sip_tap_flush(struct sip_tap *t);
/* Flush, take the tap off the log, free what it holds. */
void sip_tap_close(struct sip_tap *t);

/* Feed one chunk of log output, as sofia would (exposed for tests). */
void sip_tap_feed(struct sip_tap *t, const char *chunk);

#endif

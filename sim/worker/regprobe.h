/* regprobe.h — what a person does from the worker's network when REGISTERs
 * fail (the guide's "Step 3: no response"), done by the worker for the
 * platform: ask the DNS server for the registrar's name (A, SRV, NAPTR, with
 * their rcodes), send an OPTIONS to the registrar over UDP, TCP and TLS, and
 * say what came back — a status, an ICMP error, a refused connection,
 * silence, or a TLS handshake that failed (with the certificate's verify
 * result or the alert). Plain sockets and OpenSSL, not the worker's SIP stack:
 * the stack turns ICMP, a refused connection and a failed handshake all into
 * one made-up 503, and these probes exist to tell them apart. Bounded: a
 * fixed number of queries and messages, and a time budget from the run's
 * T1. The result tokens are in lib/codes.h; docs/report.md has the fields. */
#ifndef SIPLAB_REGPROBE_H
#define SIPLAB_REGPROBE_H

#include <cJSON.h>
#include <stddef.h>

#include "../../lib/limits.h"

enum rp_transport { RP_UDP, RP_TCP, RP_TLS, RP_TRANSPORTS };

/* Where to probe: the registrar of a failed endpoint, as its URI names it. */
struct rp_target {
	char host[128];   /* a name or an IPv4 address */
	int port;         /* from the URI, 0 when it has none */
	int transport;    /* enum rp_transport the test uses */
	char bind[64];    /* the worker's address, the probes' source */
	char resolv[256]; /* resolv.conf to find the DNS server in */
	char cafile[512]; /* the CAs the worker trusts ("" = none) */
	char from_domain[64];
	long t1_ms; /* the run's T1: the probes' timers scale with it */
};

/* One DNS question and what came back. */
struct rp_dns {
	char name[160];
	int type;                    /* 1 A, 33 SRV, 35 NAPTR */
	int answered;                /* a response came */
	int rcode;                   /* its rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...) */
	int answers;                 /* records in its answer section */
	char addr[RP_MAX_ADDRS][16]; /* A records, the first RP_MAX_ADDRS */
	int n_addr, n_a;             /* kept, and every A record of the answer */
};

/* An OPTIONS over one transport, and on the way: the connection (TCP, TLS)
 * and the handshake (TLS). */
struct rp_sip {
	int tried;
	char addr[16];
	int port;
	const char *result;  /* RP_* token of lib/codes.h */
	const char *connect; /* TCP and TLS: connected, refused, silent, icmp_... */
	int status;          /* the answer's status, when answered */
	char reason[64];
	long ms; /* from the first packet to the result */
	/* TLS only */
	const char *handshake; /* ok, failed, silent, closed */
	const char *verify;    /* a token, or NULL when no certificate was seen */
	long verify_code;      /* OpenSSL's X509_V_* */
	char verify_text[96];
	char alert[64]; /* the alert the registrar sent, as a token */
	char tls_version[16];
};

struct rp_result {
	struct rp_target t;
	char dns_server[48];
	struct rp_dns dns[RP_MAX_QUERIES];
	int n_dns;
	struct rp_sip sip[RP_TRANSPORTS];
	long budget_ms, took_ms;
};

/* Read the target from an endpoint's registrar URI ("sip:registrar.lab;
 * transport=udp", "sips:10.10.2.2:5061"); -1 when it is not one. */
int regprobe_target(const char *uri, struct rp_target *t);
/* Run every probe; blocks for at most the budget (regprobe_budget_ms). */
void regprobe_run(const struct rp_target *t, struct rp_result *r);
long regprobe_budget_ms(long t1_ms);
/* The report's `probes` object. */
cJSON *regprobe_json(const struct rp_result *r);

/* The pieces, for the tests. */
/* A DNS query for name/type with this id into buf; its length, or -1. */
int regprobe_dns_query(unsigned char *buf, size_t cap, unsigned id, const char *name, int type);
/* Read a DNS response to query id: rcode, answer count and A addresses.
 * -1 when it is not a response to that id. */
int regprobe_dns_parse(const unsigned char *buf, size_t len, unsigned id, struct rp_dns *d);
/* "SIP/2.0 200 OK\r\n..." -> 200 and "OK"; -1 when it is not a status line. */
int regprobe_status(const char *buf, size_t len, int *status, char *reason, size_t cap);
/* What a socket error means for a probe on this transport (RP_* tokens). */
const char *regprobe_errno_result(int err, int transport);
/* An OpenSSL X509_V_* verify result as a token. */
const char *regprobe_verify_token(long code);
const char *regprobe_rcode_name(int rcode);

#endif

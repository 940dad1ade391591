/* wire.h — the packets of a capture, decoded (inside pcapdx/): the SIP
 * messages (UDP datagrams, TCP streams cut by Content-Length), the ICMP
 * errors, and, on a second pass, the UDP datagrams of chosen addresses. */
#ifndef SIPLAB_PX_WIRE_H
#define SIPLAB_PX_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>

#include "../lib/err.h"
#include "../lib/limits.h"

/* One SIP message as it crossed the wire. */
struct px_msg {
	double t;          /* seconds since the capture's first packet */
	const char *proto; /* "udp" or "tcp" */
	char src[16], dst[16];
	int sport, dport;
	char *text; /* malloc'd, NUL-terminated */
	msg_t *msg; /* sofia-sip's parse of text */
	const sip_t *sip;
};

/* An ICMP destination-unreachable, with the datagram it quotes. */
struct px_icmp {
	double t;
	char from[16]; /* who reported it */
	int code;
	char orig_src[16], orig_dst[16];
	int orig_sport, orig_dport;
};

struct px_flow;

struct px_capture {
	double t0;      /* the first packet, seconds since the epoch */
	double t_last;  /* the last, since t0 */
	long packets;   /* every packet read */
	long not_ipv4;  /* of another network layer (IPv6, ARP ...): not read */
	long fragments; /* IPv4 fragments: not reassembled */
	int linktype;
	struct px_msg *msgs;
	int n_msgs, msgs_dropped;
	int unparsed; /* looked like SIP, sofia-sip's parser refused it */
	struct px_icmp icmp[PX_MAX_ICMP];
	int n_icmp, icmp_dropped;
	struct px_flow *flows;
	int n_flows, flows_dropped, tcp_gaps;
};

/* A UDP datagram on the second pass. */
typedef void (*px_udp_fn)(void *ctx, double t, const char *src, int sport, const char *dst,
                          int dport, const uint8_t *payload, size_t len);

/* The first pass: SIP and ICMP into c. */
int px_read_signalling(const char *path, struct px_capture *c, err_t *e);
/* The second pass: every UDP datagram to fn. */
int px_read_udp(const char *path, const struct px_capture *c, px_udp_fn fn, void *ctx, err_t *e);
void px_capture_free(struct px_capture *c);

#endif

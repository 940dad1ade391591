/* wire.c — read a capture with libpcap (pcap_open_offline reads pcap and
 * pcapng alike), take each packet's link layer off (Ethernet, Linux cooked
 * SLL and SLL2, raw IP), and keep what the diagnosis needs: SIP messages
 * from UDP datagrams and from TCP streams cut by Content-Length, and the
 * ICMP errors that say a datagram met a closed port. */
#define _GNU_SOURCE
#include "wire.h"

#include <ctype.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_header.h>

/* One direction of a TCP connection: the bytes in order, from next_seq on. */
struct px_flow {
	char src[16], dst[16];
	int sport, dport;
	uint32_t next_seq;
	int synced, broken;
	int sip; /* its first bytes looked like SIP: other flows are left unread */
	size_t len;
	char *buf; /* PX_TCP_BUF bytes */
};

/* --- link and network layers --------------------------------------------------- */

/* The IPv4 packet inside a frame of the capture's link type, or NULL. */
static const uint8_t *ipv4_of(int linktype, const uint8_t *p, size_t n, size_t *len,
                              struct px_capture *c)
{
	size_t off;
	unsigned proto;
	switch (linktype) {
	case DLT_EN10MB:
		if (n < 14)
			return NULL;
		proto = (unsigned)p[12] << 8 | p[13];
		off = 14;
		while ((proto == 0x8100 || proto == 0x88a8) && n >= off + 4) { /* VLAN tags */
			proto = (unsigned)p[off + 2] << 8 | p[off + 3];
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (n < 16)
			return NULL;
		proto = (unsigned)p[14] << 8 | p[15];
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return NULL;
		proto = (unsigned)p[0] << 8 | p[1];
		off = 20;
		break;
	case DLT_RAW:
	case DLT_IPV4:
		proto = n && (p[0] >> 4) == 4 ? 0x0800 : 0;
		off = 0;
		break;
	default:
		return NULL;
	}
	if (proto != 0x0800 || n < off + 20) {
		c->not_ipv4++;
		return NULL;
	}
	*len = n - off;
	return p + off;
}

static void addr4(const uint8_t *a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* --- SIP messages ----------------------------------------------------------------- */

/* A request line ("INVITE sip:... SIP/2.0") or a status line ("SIP/2.0 200"). */
static int looks_like_sip(const char *p, size_t n)
{
	if (n >= 8 && !strncmp(p, "SIP/2.0 ", 8))
		return 1;
	const char *eol = memchr(p, '\n', n < 2048 ? n : 2048);
	if (!eol || eol - p < 12)
		return 0;
	const char *v = eol - (eol[-1] == '\r' ? 1 : 0) - 8;
	return !strncmp(v, " SIP/2.0", 8) && isupper((unsigned char)p[0]);
}

static void keep_msg(struct px_capture *c, double t, const char *proto, const char *src, int sport,
                     const char *dst, int dport, const char *text, size_t n)
{
	if (c->n_msgs == PX_MAX_MSGS) {
		c->msgs_dropped++; /* said in the capture section */
		return;
	}
	if (c->n_msgs % 1024 == 0) {
		struct px_msg *m = realloc(c->msgs, (size_t)(c->n_msgs + 1024) * sizeof(*m));
		if (!m) {
			c->msgs_dropped++;
			return;
		}
		c->msgs = m;
	}
	struct px_msg *m = &c->msgs[c->n_msgs];
	memset(m, 0, sizeof(*m));
	m->text = strndup(text, n);
	if (!m->text) {
		c->msgs_dropped++;
		return;
	}
	m->msg = msg_make(sip_default_mclass(), 0, m->text, (ssize_t)n);
	m->sip = m->msg ? sip_object(m->msg) : NULL;
	if (!m->sip || (!m->sip->sip_request && !m->sip->sip_status) || !m->sip->sip_call_id ||
	    !m->sip->sip_cseq) {
		c->unparsed++;
		msg_destroy(m->msg);
		free(m->text);
		return;
	}
	m->t = t;
	m->proto = proto;
	snprintf(m->src, sizeof(m->src), "%s", src);
	snprintf(m->dst, sizeof(m->dst), "%s", dst);
	m->sport = sport;
	m->dport = dport;
	c->n_msgs++;
}

/* The Content-Length of a header block (long or compact form), -1 when absent. */
static long content_length(const char *h, size_t n)
{
	for (const char *p = h; p && p < h + n;) {
		const char *eol = memchr(p, '\n', (size_t)(h + n - p));
		if (!strncasecmp(p, "Content-Length:", 15))
			return strtol(p + 15, NULL, 10);
		if (!strncasecmp(p, "l:", 2) || !strncasecmp(p, "l :", 3))
			return strtol(strchr(p, ':') + 1, NULL, 10);
		p = eol ? eol + 1 : NULL;
	}
	return -1;
}

/* Cut every whole message off the front of a flow's bytes. Over a stream
 * the message ends where Content-Length says (RFC 3261 18.3: it is required
 * there); CRLF keep-alives between messages are skipped. */
static void flow_messages(struct px_capture *c, struct px_flow *f, double t)
{
	for (;;) {
		size_t skip = 0;
		while (skip < f->len && (f->buf[skip] == '\r' || f->buf[skip] == '\n'))
			skip++;
		memmove(f->buf, f->buf + skip, f->len - skip);
		f->len -= skip;
		const char *end = memmem(f->buf, f->len, "\r\n\r\n", 4);
		if (!end)
			return;
		size_t head = (size_t)(end - f->buf) + 4;
		long body = content_length(f->buf, head);
		if (body < 0 || !looks_like_sip(f->buf, f->len)) {
			f->broken = 1; /* not SIP, or not framed: the flow is left */
			return;
		}
		if (head + (size_t)body > f->len)
			return;
		keep_msg(c, t, "tcp", f->src, f->sport, f->dst, f->dport, f->buf,
		         head + (size_t)body);
		memmove(f->buf, f->buf + head + body, f->len - head - (size_t)body);
		f->len -= head + (size_t)body;
	}
}

static struct px_flow *flow_find(struct px_capture *c, const char *src, int sport, const char *dst,
                                 int dport, int create)
{
	for (int i = 0; i < c->n_flows; i++) {
		struct px_flow *f = &c->flows[i];
		if (f->sport == sport && f->dport == dport && !strcmp(f->src, src) &&
		    !strcmp(f->dst, dst))
			return f;
	}
	if (!create)
		return NULL;
	if (c->n_flows == PX_MAX_TCP_FLOWS) {
		c->flows_dropped++;
		return NULL;
	}
	if (!c->flows && !(c->flows = calloc(PX_MAX_TCP_FLOWS, sizeof(*c->flows))))
		return NULL;
	struct px_flow *f = &c->flows[c->n_flows];
	memset(f, 0, sizeof(*f));
	if (!(f->buf = malloc(PX_TCP_BUF)))
		return NULL;
	c->n_flows++;
	snprintf(f->src, sizeof(f->src), "%s", src);
	snprintf(f->dst, sizeof(f->dst), "%s", dst);
	f->sport = sport;
	f->dport = dport;
	return f;
}

/* One TCP segment: appended when it is the next in order; a retransmission
 * of bytes already had is skipped; a hole (a segment the capture missed)
 * empties the flow's buffer, and reading goes on at the next message. */
static void tcp_segment(struct px_capture *c, double t, const char *src, const char *dst,
                        const uint8_t *tcp, size_t n)
{
	if (n < 20)
		return;
	int sport = tcp[0] << 8 | tcp[1], dport = tcp[2] << 8 | tcp[3];
	uint32_t seq =
	        (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	size_t hl = (size_t)(tcp[12] >> 4) * 4;
	int syn = tcp[13] & 0x02;
	if (hl < 20 || hl > n)
		return;
	const uint8_t *data = tcp + hl;
	size_t len = n - hl;
	struct px_flow *f = flow_find(c, src, sport, dst, dport, 0);
	if (syn) {
		if (!f)
			f = flow_find(c, src, sport, dst, dport, 1);
		if (f) {
			f->next_seq = seq + 1;
			f->synced = 1;
			f->len = 0;
			f->broken = f->sip = 0;
		}
		return;
	}
	if (!len)
		return;
	if (!f) {
		/* A connection whose start the capture missed: read from a segment
		 * that starts a SIP message. */
		if (!looks_like_sip((const char *)data, len) ||
		    !(f = flow_find(c, src, sport, dst, dport, 1)))
			return;
		f->next_seq = seq;
		f->synced = 1;
	}
	if (f->broken)
		return;
	if (!f->sip && !(f->sip = looks_like_sip((const char *)data, len))) {
		f->broken = 1; /* another protocol (a worker's gateway connection) */
		return;
	}
	int32_t ahead = (int32_t)(seq - f->next_seq);
	if (ahead > 0) {
		c->tcp_gaps++;
		f->len = 0;
		f->next_seq = seq;
		if (!looks_like_sip((const char *)data, len)) {
			f->next_seq = seq + (uint32_t)len;
			return;
		}
	} else if (ahead < 0) {
		if ((size_t)-ahead >= len)
			return; /* all of it had */
		data += -ahead;
		len -= (size_t)-ahead;
	}
	f->next_seq += (uint32_t)len;
	if (f->len + len > PX_TCP_BUF) {
		f->broken = 1; /* a message longer than we hold: counted with the gaps */
		c->tcp_gaps++;
		return;
	}
	memcpy(f->buf + f->len, data, len);
	f->len += len;
	flow_messages(c, f, t);
}

static void icmp_error(struct px_capture *c, double t, const char *from, const uint8_t *p, size_t n)
{
	if (n < 8 + 20 + 4 || p[0] != 3)
		return; /* destination unreachable only */
	const uint8_t *inner = p + 8;
	size_t ihl = (size_t)(inner[0] & 0x0f) * 4;
	if (n < 8 + ihl + 4 || (inner[9] != 17 && inner[9] != 6))
		return;
	if (c->n_icmp == PX_MAX_ICMP) {
		c->icmp_dropped++;
		return;
	}
	struct px_icmp *x = &c->icmp[c->n_icmp++];
	x->t = t;
	x->code = p[1];
	snprintf(x->from, sizeof(x->from), "%s", from);
	addr4(inner + 12, x->orig_src);
	addr4(inner + 16, x->orig_dst);
	x->orig_sport = inner[ihl] << 8 | inner[ihl + 1];
	x->orig_dport = inner[ihl + 2] << 8 | inner[ihl + 3];
}

/* --- the passes ---------------------------------------------------------------------- */

typedef void (*px_ip_fn)(struct px_capture *c, double t, const uint8_t *ip, size_t n, void *ctx);

static int each_ipv4(const char *path, struct px_capture *c, px_ip_fn fn, void *ctx, err_t *e)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, ebuf);
	if (!p)
		return err_set(e, EINVAL, "%s: not a capture libpcap reads: %s", path, ebuf);
	c->linktype = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		double abs = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
		if (!c->t0)
			c->t0 = abs;
		double t = abs - c->t0;
		size_t n;
		c->packets++;
		c->t_last = t;
		const uint8_t *ip = ipv4_of(c->linktype, data, h->caplen, &n, c);
		if (!ip || (ip[0] >> 4) != 4)
			continue;
		size_t tot = (size_t)ip[2] << 8 | ip[3];
		if (tot < n)
			n = tot; /* Ethernet padding */
		fn(c, t, ip, n, ctx);
	}
	if (rc == -1) {
		err_set(e, EIO, "%s: %s", path, pcap_geterr(p));
		pcap_close(p);
		return -EIO;
	}
	pcap_close(p);
	return 0;
}

/* The transport payload of an IPv4 packet, or NULL (fragments are counted). */
static const uint8_t *transport_of(struct px_capture *c, const uint8_t *ip, size_t n, int *proto,
                                   size_t *len, char src[16], char dst[16])
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	unsigned frag = ((unsigned)ip[6] << 8 | ip[7]) & 0x3fff; /* MF and the offset */
	if (ihl < 20 || ihl > n)
		return NULL;
	if (frag) {
		c->fragments++;
		return NULL;
	}
	*proto = ip[9];
	addr4(ip + 12, src);
	addr4(ip + 16, dst);
	*len = n - ihl;
	return ip + ihl;
}

static void signalling(struct px_capture *c, double t, const uint8_t *ip, size_t n, void *ctx)
{
	(void)ctx;
	char src[16], dst[16];
	int proto;
	size_t len;
	const uint8_t *p = transport_of(c, ip, n, &proto, &len, src, dst);
	if (!p)
		return;
	if (proto == 17 && len >= 8) {
		const char *s = (const char *)p + 8;
		if (looks_like_sip(s, len - 8))
			keep_msg(c, t, "udp", src, p[0] << 8 | p[1], dst, p[2] << 8 | p[3], s,
			         len - 8);
	} else if (proto == 6) {
		tcp_segment(c, t, src, dst, p, len);
	} else if (proto == 1) {
		icmp_error(c, t, src, p, len);
	}
}

int px_read_signalling(const char *path, struct px_capture *c, err_t *e)
{
	memset(c, 0, sizeof(*c));
	return each_ipv4(path, c, signalling, NULL, e);
}

struct udp_pass {
	px_udp_fn fn;
	void *ctx;
};

static void udp_only(struct px_capture *c, double t, const uint8_t *ip, size_t n, void *ctx)
{
	const struct udp_pass *u = ctx;
	char src[16], dst[16];
	int proto;
	size_t len;
	const uint8_t *p = transport_of(c, ip, n, &proto, &len, src, dst);
	if (p && proto == 17 && len >= 8)
		u->fn(u->ctx, t, src, p[0] << 8 | p[1], dst, p[2] << 8 | p[3], p + 8, len - 8);
}

int px_read_udp(const char *path, const struct px_capture *c, px_udp_fn fn, void *ctx, err_t *e)
{
	/* A scratch copy: the counters of the first pass stay as they were. */
	struct px_capture *scratch = calloc(1, sizeof(*scratch));
	if (!scratch)
		return err_set(e, ENOMEM, "out of memory reading %s", path);
	scratch->t0 = c->t0;
	struct udp_pass u = {fn, ctx};
	int rc = each_ipv4(path, scratch, udp_only, &u, e);
	free(scratch);
	return rc;
}

void px_capture_free(struct px_capture *c)
{
	for (int i = 0; i < c->n_msgs; i++) {
		msg_destroy(c->msgs[i].msg);
		free(c->msgs[i].text);
	}
	free(c->msgs);
	for (int i = 0; i < c->n_flows; i++)
		free(c->flows[i].buf);
	free(c->flows);
	memset(c, 0, sizeof(*c));
}

/* regprobe.c — the registrar probes (see regprobe.h): DNS questions first,
 * then an OPTIONS over UDP, TCP and TLS at once, each a small state machine
 * on a non-blocking socket, all driven by one poll() loop with one deadline. */
#define _GNU_SOURCE
#include "regprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/codes.h"
#include "../../lib/sys.h"

#define DNS_A     1
#define DNS_SRV   33
#define DNS_NAPTR 35

static const char *const tp_names[RP_TRANSPORTS] = {"udp", "tcp", "tls"};

static long long now_ms(void)
{
	return sys_now_ns() / 1000000;
}

/* --- the target ------------------------------------------------------------------- */

int regprobe_target(const char *uri, struct rp_target *t)
{
	memset(t, 0, sizeof(*t));
	const char *p = uri;
	if (*p == '<')
		p++;
	if (!strncasecmp(p, "sips:", 5)) {
		t->transport = RP_TLS;
		p += 5;
	} else if (!strncasecmp(p, "sip:", 4)) {
		t->transport = RP_UDP;
		p += 4;
	} else {
		return -1;
	}
	const char *at = strchr(p, '@'), *end = p + strcspn(p, ";>?");
	if (at && at < end)
		p = at + 1;
	size_t n = strcspn(p, ":;>?");
	if (n == 0 || n >= sizeof(t->host))
		return -1;
	memcpy(t->host, p, n);
	if (p[n] == ':')
		t->port = atoi(p + n + 1);
	const char *tp = strcasestr(p, ";transport=");
	if (tp && t->transport != RP_TLS) {
		tp += 11;
		if (!strncasecmp(tp, "tcp", 3))
			t->transport = RP_TCP;
		else if (!strncasecmp(tp, "tls", 3))
			t->transport = RP_TLS;
	}
	return 0;
}

long regprobe_budget_ms(long t1_ms)
{
	/* Room for an OPTIONS over UDP and three retransmissions (T1, 2T1, 4T1
	 * apart) and its answer; the DNS questions get half of it before. */
	long b = 16 * (t1_ms > 0 ? t1_ms : 500);
	long most = RP_MAX_MS * 2 / 3;
	return b < 300 ? 300 : b > most ? most : b;
}

/* --- tokens -------------------------------------------------------------------------- */

const char *regprobe_errno_result(int err, int transport)
{
	switch (err) {
	case ECONNREFUSED:
		/* UDP learns of a closed port from ICMP port unreachable; TCP
		 * from a reset. */
		return transport == RP_UDP ? RP_ICMP : RP_REFUSED;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EACCES: /* ICMP administratively prohibited */
		return RP_ICMP;
	case ETIMEDOUT:
		return RP_SILENT;
	default:
		return RP_ERROR;
	}
}

const char *regprobe_verify_token(long code)
{
	switch (code) {
	case X509_V_OK:
		return RP_VERIFY_OK;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return RP_VERIFY_UNTRUSTED;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return RP_VERIFY_NAME;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return RP_VERIFY_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return RP_VERIFY_NOT_YET;
	default:
		return RP_VERIFY_INVALID;
	}
}

const char *regprobe_rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
	                                    "NXDOMAIN", "NOTIMP",  "REFUSED"};
	return rcode >= 0 && rcode < 6 ? names[rcode] : "RCODE_OTHER";
}

static const char *type_name(int type)
{
	return type == DNS_A ? "A" : type == DNS_SRV ? "SRV" : type == DNS_NAPTR ? "NAPTR" : "?";
}

/* --- DNS ----------------------------------------------------------------------------- */

int regprobe_dns_query(unsigned char *buf, size_t cap, unsigned id, const char *name, int type)
{
	size_t n = 12;
	if (cap < 12 + strlen(name) + 2 + 4)
		return -1;
	memset(buf, 0, 12);
	buf[0] = (unsigned char)(id >> 8);
	buf[1] = (unsigned char)id;
	buf[2] = 0x01; /* recursion desired */
	buf[5] = 1;    /* one question */
	for (const char *l = name; *l;) {
		size_t len = strcspn(l, ".");
		if (len == 0 || len > 63)
			return -1;
		buf[n++] = (unsigned char)len;
		memcpy(buf + n, l, len);
		n += len;
		l += len;
		if (*l == '.')
			l++;
	}
	buf[n++] = 0;
	buf[n++] = (unsigned char)(type >> 8);
	buf[n++] = (unsigned char)type;
	buf[n++] = 0;
	buf[n++] = 1; /* IN */
	return (int)n;
}

/* Past a (possibly compressed) name at off; -1 when it runs off the end. */
static long skip_name(const unsigned char *b, size_t len, size_t off)
{
	while (off < len) {
		unsigned char c = b[off];
		if ((c & 0xc0) == 0xc0)
			return off + 2 <= len ? (long)(off + 2) : -1;
		if (c == 0)
			return (long)off + 1;
		off += 1 + (size_t)c;
	}
	return -1;
}

int regprobe_dns_parse(const unsigned char *b, size_t len, unsigned id, struct rp_dns *d)
{
	if (len < 12 || ((unsigned)b[0] << 8 | b[1]) != (id & 0xffff) || !(b[2] & 0x80))
		return -1;
	d->answered = 1;
	d->rcode = b[3] & 0x0f;
	int qd = b[4] << 8 | b[5], an = b[6] << 8 | b[7];
	d->answers = an;
	d->n_addr = d->n_a = 0;
	long off = 12;
	for (int i = 0; i < qd && off >= 0; i++)
		off = (off = skip_name(b, len, (size_t)off)) < 0 ? -1 : off + 4;
	for (int i = 0; i < an && off >= 0 && (size_t)off + 10 <= len; i++) {
		if ((off = skip_name(b, len, (size_t)off)) < 0 || (size_t)off + 10 > len)
			break;
		int type = b[off] << 8 | b[off + 1];
		size_t rdlen = (size_t)(b[off + 8] << 8 | b[off + 9]);
		off += 10;
		if ((size_t)off + rdlen > len)
			break;
		d->n_a += type == DNS_A && rdlen == 4;
		if (type == DNS_A && rdlen == 4 && d->n_addr < RP_MAX_ADDRS)
			inet_ntop(AF_INET, b + off, d->addr[d->n_addr++], sizeof(d->addr[0]));
		off += (long)rdlen;
	}
	return 0;
}

/* The first nameserver of a resolv.conf. */
static int dns_server(const char *path, char *out, size_t cap)
{
	char buf[4096];
	ssize_t n = sys_read_file(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char addr[48];
		if (sscanf(line, " nameserver %47s", addr) == 1) {
			snprintf(out, cap, "%s", addr);
			return 0;
		}
	}
	return -1;
}

static int bound_socket(int type, const char *bind_addr)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	if (fd >= 0 && bind_addr[0] && inet_pton(AF_INET, bind_addr, &sa.sin_addr) == 1)
		(void)bind(fd, (struct sockaddr *)&sa, sizeof(sa)); /* else: any source */
	return fd;
}

static int connect_to(int fd, const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS)
		return 0;
	return -errno;
}

/* Every question at once on one socket, asked twice at most, for up to ms. */
static void ask_dns(struct rp_result *r, long ms)
{
	const struct rp_target *t = &r->t;
	static const struct {
		const char *prefix;
		int type;
	} q[RP_MAX_QUERIES] = {{"", DNS_A},
	                       {"", DNS_NAPTR},
	                       {"_sip._udp.", DNS_SRV},
	                       {"_sip._tcp.", DNS_SRV},
	                       {"_sips._tcp.", DNS_SRV}};
	r->n_dns = RP_MAX_QUERIES;
	/* A copy: the names are written into the same result the host is in. */
	char host[sizeof(t->host)];
	snprintf(host, sizeof(host), "%s", t->host);
	for (int i = 0; i < r->n_dns; i++) {
		snprintf(r->dns[i].name, sizeof(r->dns[i].name), "%s%s", q[i].prefix, host);
		r->dns[i].type = q[i].type;
	}
	if (dns_server(t->resolv, r->dns_server, sizeof(r->dns_server)))
		return; /* no server to ask: every question unanswered */
	int fd = bound_socket(SOCK_DGRAM, t->bind);
	if (fd < 0 || connect_to(fd, r->dns_server, 53)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	unsigned base = (unsigned)(sys_now_ns() & 0xff00);
	long long end = now_ms() + ms, resend = now_ms() + ms / 2;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < r->n_dns; i++) {
			unsigned char buf[300];
			int n = regprobe_dns_query(buf, sizeof(buf), base + (unsigned)i,
			                           r->dns[i].name, r->dns[i].type);
			if (n > 0 && !r->dns[i].answered)
				(void)send(fd, buf, (size_t)n, 0);
		}
		long long until = round ? end : resend;
		for (;;) {
			int left = 0;
			for (int i = 0; i < r->n_dns; i++)
				left += !r->dns[i].answered;
			long long wait = until - now_ms();
			if (!left || wait <= 0)
				break;
			struct pollfd p = {fd, POLLIN, 0};
			if (poll(&p, 1, (int)wait) <= 0)
				continue;
			unsigned char buf[1500];
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n < 12)
				continue; /* an ICMP error, or not DNS: keep waiting */
			unsigned id = (unsigned)(buf[0] << 8 | buf[1]) - base;
			if (id < (unsigned)r->n_dns && !r->dns[id].answered)
				(void)regprobe_dns_parse(buf, (size_t)n, base + id, &r->dns[id]);
		}
	}
	close(fd);
}

/* --- SIP ----------------------------------------------------------------------------- */

int regprobe_status(const char *buf, size_t len, int *status, char *reason, size_t cap)
{
	int code, at = 0;
	if (len < 12 || strncmp(buf, "SIP/2.0 ", 8) || sscanf(buf + 8, "%3d %n", &code, &at) != 1 ||
	    code < 100 || code > 699)
		return -1;
	const char *r = buf + 8 + at, *eol = memchr(r, '\r', len - (size_t)(r - buf));
	size_t n = eol ? (size_t)(eol - r) : strcspn(r, "\n");
	snprintf(reason, cap, "%.*s", (int)(n < cap ? n : cap - 1), r);
	*status = code;
	return 0;
}

enum conn_state { C_CONNECTING, C_HANDSHAKE, C_SENDING, C_READING, C_DONE };

struct conn {
	struct rp_sip *s;
	int transport, fd, sends;
	enum conn_state st;
	SSL *ssl;
	short events;
	long long t0, next_send;
	char msg[900];
	size_t len, sent;
	char rx[2048];
	size_t n_rx;
};

static void conn_done(struct conn *c, const char *result)
{
	c->s->result = result;
	c->s->ms = (long)(now_ms() - c->t0);
	c->st = C_DONE;
}

static void build_options(struct conn *c, const struct rp_target *t, int n)
{
	struct sockaddr_in me;
	socklen_t sl = sizeof(me);
	char local[INET_ADDRSTRLEN] = "0.0.0.0";
	int port = 0;
	if (getsockname(c->fd, (struct sockaddr *)&me, &sl) == 0) {
		inet_ntop(AF_INET, &me.sin_addr, local, sizeof(local));
		port = ntohs(me.sin_port);
	}
	static const char *const via[] = {"UDP", "TCP", "TLS"};
	int len = snprintf(c->msg, sizeof(c->msg),
	                   "OPTIONS %s:%s SIP/2.0\r\n"
	                   "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-siplab-probe-%d;rport\r\n"
	                   "Max-Forwards: 70\r\n"
	                   "From: <sip:probe@%s>;tag=probe%d\r\n"
	                   "To: <sip:%s>\r\n"
	                   "Call-ID: siplab-probe-%d-%s@%s\r\n"
	                   "CSeq: 1 OPTIONS\r\n"
	                   "Accept: application/sdp\r\n"
	                   "User-Agent: siplab-worker probe\r\n"
	                   "Content-Length: 0\r\n\r\n",
	                   c->transport == RP_TLS ? "sips" : "sip", t->host, via[c->transport],
	                   local, port, n, t->from_domain[0] ? t->from_domain : t->host, n, t->host,
	                   n, tp_names[c->transport], local);
	c->len = len > 0 && (size_t)len < sizeof(c->msg) ? (size_t)len : 0;
	c->sent = 0;
}

/* The alert a TLS peer sent, kept as a token ("unknown_ca"). */
static void on_tls_info(const SSL *ssl, int where, int ret)
{
	struct conn *c = SSL_get_app_data(ssl);
	if (!c || !(where & SSL_CB_READ_ALERT) || c->s->alert[0])
		return;
	snprintf(c->s->alert, sizeof(c->s->alert), "%s", SSL_alert_desc_string_long(ret));
	for (char *p = c->s->alert; *p; p++)
		*p = *p == ' ' ? '_' : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
}

static void conn_start(struct conn *c, const struct rp_result *r, SSL_CTX *ctx, int n)
{
	const struct rp_target *t = &r->t;
	struct rp_sip *s = c->s;
	c->t0 = now_ms();
	c->fd = bound_socket(c->transport == RP_UDP ? SOCK_DGRAM : SOCK_STREAM, t->bind);
	int rc = c->fd < 0 ? -errno : connect_to(c->fd, s->addr, s->port);
	if (rc) {
		if (c->transport != RP_UDP)
			s->connect = regprobe_errno_result(-rc, c->transport);
		conn_done(c, regprobe_errno_result(-rc, c->transport));
		return;
	}
	if (c->transport == RP_UDP) {
		build_options(c, t, n);
		c->st = C_SENDING;
		return;
	}
	c->st = C_CONNECTING;
	c->events = POLLOUT;
	if (c->transport == RP_TLS && ctx && (c->ssl = SSL_new(ctx))) {
		SSL_set_app_data(c->ssl, c);
		SSL_set_info_callback(c->ssl, on_tls_info);
		struct in_addr ip;
		if (inet_pton(AF_INET, t->host, &ip) != 1) {
			SSL_set_tlsext_host_name(c->ssl, t->host);
			SSL_set1_host(c->ssl, t->host);
		} else {
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), t->host);
		}
		SSL_set_fd(c->ssl, c->fd);
	}
}

/* The TLS handshake moved: done, waiting, or failed. */
static void conn_handshake(struct conn *c)
{
	struct rp_sip *s = c->s;
	if (!c->ssl) {
		s->handshake = RP_HANDSHAKE_FAILED;
		conn_done(c, RP_ERROR);
		return;
	}
	int rc = SSL_connect(c->ssl);
	if (rc == 1) {
		s->handshake = RP_HANDSHAKE_OK;
		snprintf(s->tls_version, sizeof(s->tls_version), "%s", SSL_get_version(c->ssl));
		X509 *peer = SSL_get1_peer_certificate(c->ssl);
		if (peer) {
			s->verify_code = SSL_get_verify_result(c->ssl);
			s->verify = regprobe_verify_token(s->verify_code);
			snprintf(s->verify_text, sizeof(s->verify_text), "%s",
			         X509_verify_cert_error_string(s->verify_code));
			X509_free(peer);
		}
		/* A worker that checks the certificate stops here. */
		if (!peer || s->verify_code != X509_V_OK) {
			conn_done(c, RP_TLS_FAILED);
			return;
		}
		c->st = C_SENDING;
		c->events = POLLOUT;
		return;
	}
	int err = SSL_get_error(c->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		c->events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return;
	}
	s->handshake = RP_HANDSHAKE_FAILED;
	ERR_clear_error();
	conn_done(c, RP_TLS_FAILED);
}

static void conn_read(struct conn *c)
{
	struct rp_sip *s = c->s;
	ssize_t n;
	if (c->ssl) {
		n = SSL_read(c->ssl, c->rx + c->n_rx, (int)(sizeof(c->rx) - 1 - c->n_rx));
		if (n <= 0) {
			int err = SSL_get_error(c->ssl, (int)n);
			ERR_clear_error();
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
				return;
			snprintf(s->reason, sizeof(s->reason), "closed without an answer");
			conn_done(c, RP_SILENT);
			return;
		}
	} else {
		n = recv(c->fd, c->rx + c->n_rx, sizeof(c->rx) - 1 - c->n_rx, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			snprintf(s->reason, sizeof(s->reason), "%s", strerrorname_np(errno));
			conn_done(c, regprobe_errno_result(errno, c->transport));
			return;
		}
		if (n == 0 && c->transport != RP_UDP) {
			snprintf(s->reason, sizeof(s->reason), "closed without an answer");
			conn_done(c, RP_SILENT);
			return;
		}
	}
	/* UDP: each datagram is a message of its own. */
	c->n_rx = c->transport == RP_UDP ? (size_t)n : c->n_rx + (size_t)n;
	c->rx[c->n_rx] = '\0';
	int status;
	if (!strstr(c->rx, "\r\n") && c->n_rx < sizeof(c->rx) - 1)
		return; /* the status line is not whole yet */
	if (regprobe_status(c->rx, c->n_rx, &status, s->reason, sizeof(s->reason)) == 0) {
		s->status = status;
		if (status >= 200)
			conn_done(c, RP_ANSWERED);
	}
	if (c->transport != RP_UDP && c->st != C_DONE)
		c->n_rx = 0; /* a provisional answer, or noise: read on */
}

static void conn_send(struct conn *c, const struct rp_result *r, int n)
{
	if (!c->len)
		build_options(c, &r->t, n);
	ssize_t w = c->ssl ? SSL_write(c->ssl, c->msg + c->sent, (int)(c->len - c->sent))
	                   : send(c->fd, c->msg + c->sent, c->len - c->sent, MSG_NOSIGNAL);
	if (w <= 0) {
		if (c->ssl)
			ERR_clear_error();
		else if (errno != EAGAIN && errno != ECONNREFUSED)
			conn_done(c, regprobe_errno_result(errno, c->transport));
		return; /* UDP: an ICMP error shows on the read */
	}
	c->sent += (size_t)w;
	if (c->sent < c->len)
		return;
	c->sends++;
	c->st = C_READING;
	c->events = POLLIN;
	if (c->transport == RP_UDP) {
		/* Retransmit as a SIP client would: T1, then doubling. */
		long t1 = r->t.t1_ms > 0 ? r->t.t1_ms : 500;
		c->next_send = now_ms() + t1 * (1L << (c->sends - 1));
		c->sent = 0;
	}
}

static void conn_step(struct conn *c, const struct rp_result *r, short revents, int n)
{
	switch (c->st) {
	case C_CONNECTING: {
		int err = 0;
		socklen_t l = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) || err) {
			c->s->connect = regprobe_errno_result(err ? err : errno, c->transport);
			conn_done(c, c->s->connect);
			return;
		}
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		c->s->connect = RP_CONNECTED;
		c->st = c->transport == RP_TLS ? C_HANDSHAKE : C_SENDING;
		if (c->st == C_HANDSHAKE)
			conn_handshake(c);
		else
			c->events = POLLOUT;
		return;
	}
	case C_HANDSHAKE:
		conn_handshake(c);
		return;
	case C_SENDING:
		conn_send(c, r, n);
		return;
	case C_READING:
		if (revents & (POLLIN | POLLERR | POLLHUP))
			conn_read(c);
		if (c->st == C_READING && c->transport == RP_UDP && c->sends < RP_UDP_SENDS &&
		    now_ms() >= c->next_send)
			conn_send(c, r, n);
		return;
	case C_DONE:
		return;
	}
}

/* When nothing more came by the deadline. */
static void conn_timeout(struct conn *c)
{
	struct rp_sip *s = c->s;
	if (c->st == C_DONE)
		return;
	if (c->st == C_CONNECTING)
		s->connect = RP_SILENT;
	if (c->st == C_HANDSHAKE)
		s->handshake = RP_SILENT;
	conn_done(c, RP_SILENT);
	s->ms = -1; /* it took the whole budget */
}

static SSL_CTX *tls_context(const char *cafile)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return NULL;
	/* Finish the handshake whatever the certificate, to report the verify
	 * result; the probe then stops as a checking worker would. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* TLS 1.2 and later, as a current client accepts: a registrar that offers
	 * only older versions is refused on the version (reg.tls_failure's
	 * version cause), whatever its certificate. */
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (cafile[0])
		(void)SSL_CTX_load_verify_locations(ctx, cafile, NULL);
	return ctx;
}

static void probe_sip(struct rp_result *r, const char *addr, long ms)
{
	const struct rp_target *t = &r->t;
	struct conn c[RP_TRANSPORTS];
	memset(c, 0, sizeof(c));
	SSL_CTX *ctx = tls_context(t->cafile);
	for (int i = 0; i < RP_TRANSPORTS; i++) {
		struct rp_sip *s = &r->sip[i];
		s->tried = 1;
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->port = i == RP_TLS ? (t->transport == RP_TLS && t->port ? t->port : 5061)
		                      : (t->transport != RP_TLS && t->port ? t->port : 5060);
		c[i] = (struct conn){.s = s, .transport = i, .fd = -1};
		conn_start(&c[i], r, ctx, i);
	}
	long long end = now_ms() + ms;
	for (;;) {
		struct pollfd p[RP_TRANSPORTS];
		int np = 0, map[RP_TRANSPORTS];
		long long wake = end;
		for (int i = 0; i < RP_TRANSPORTS; i++) {
			if (c[i].st == C_DONE)
				continue;
			short ev = c[i].st == C_SENDING ? POLLOUT
			           : c[i].events        ? c[i].events
			                                : POLLIN;
			if (c[i].transport == RP_UDP && c[i].st == C_READING &&
			    c[i].sends < RP_UDP_SENDS && c[i].next_send < wake)
				wake = c[i].next_send;
			p[np] = (struct pollfd){c[i].fd, ev, 0};
			map[np++] = i;
		}
		long long wait = wake - now_ms();
		if (!np || now_ms() >= end)
			break;
		(void)poll(p, (nfds_t)np, wait > 0 ? (int)wait : 0);
		for (int k = 0; k < np; k++)
			conn_step(&c[map[k]], r, p[k].revents, map[k]);
	}
	for (int i = 0; i < RP_TRANSPORTS; i++) {
		conn_timeout(&c[i]);
		if (c[i].ssl)
			SSL_free(c[i].ssl);
		if (c[i].fd >= 0)
			close(c[i].fd);
	}
	SSL_CTX_free(ctx);
}

void regprobe_run(const struct rp_target *t, struct rp_result *r)
{
	memset(r, 0, sizeof(*r));
	r->t = *t;
	r->budget_ms = regprobe_budget_ms(t->t1_ms);
	long long t0 = now_ms();
	struct in_addr ip;
	const char *addr = NULL;
	if (inet_pton(AF_INET, t->host, &ip) == 1) {
		addr = t->host; /* an address: nothing to resolve */
	} else {
		ask_dns(r, r->budget_ms / 2);
		if (r->dns[0].n_addr)
			addr = r->dns[0].addr[0];
	}
	if (addr) {
		probe_sip(r, addr, r->budget_ms);
	} else {
		for (int i = 0; i < RP_TRANSPORTS; i++) {
			r->sip[i].tried = 1;
			r->sip[i].result = RP_NO_ADDRESS;
		}
	}
	r->took_ms = (long)(now_ms() - t0);
}

/* --- the report's object ------------------------------------------------------------- */

static cJSON *sip_json(const struct rp_sip *s, int transport)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "transport", tp_names[transport]);
	if (s->addr[0]) {
		cJSON_AddStringToObject(o, "address", s->addr);
		cJSON_AddNumberToObject(o, "port", s->port);
	}
	cJSON_AddStringToObject(o, "result", s->result ? s->result : RP_ERROR);
	if (s->status)
		cJSON_AddNumberToObject(o, "status", s->status);
	if (s->reason[0])
		cJSON_AddStringToObject(o, "reason", s->reason);
	if (s->connect)
		cJSON_AddStringToObject(o, "connect", s->connect);
	if (transport == RP_TLS && s->handshake) {
		cJSON *tls = cJSON_AddObjectToObject(o, "tls");
		cJSON_AddStringToObject(tls, "handshake", s->handshake);
		if (s->tls_version[0])
			cJSON_AddStringToObject(tls, "version", s->tls_version);
		if (s->verify) {
			cJSON_AddStringToObject(tls, "verify", s->verify);
			cJSON_AddNumberToObject(tls, "verify_code", (double)s->verify_code);
			cJSON_AddStringToObject(tls, "verify_text", s->verify_text);
		}
		if (s->alert[0])
			cJSON_AddStringToObject(tls, "alert", s->alert);
	}
	if (s->ms >= 0)
		cJSON_AddNumberToObject(o, "lab_ms", (double)s->ms);
	return o;
}

cJSON *regprobe_json(const struct rp_result *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *t = cJSON_AddObjectToObject(o, "target");
	cJSON_AddStringToObject(t, "host", r->t.host);
	if (r->t.port)
		cJSON_AddNumberToObject(t, "port", r->t.port);
	cJSON_AddStringToObject(t, "transport", tp_names[r->t.transport]);
	cJSON_AddNumberToObject(o, "budget_lab_ms", (double)r->budget_ms);
	cJSON_AddNumberToObject(o, "took_lab_ms", (double)r->took_ms);
	cJSON *dns = cJSON_AddObjectToObject(o, "dns");
	if (r->dns_server[0])
		cJSON_AddStringToObject(dns, "server", r->dns_server);
	else
		cJSON_AddNullToObject(dns, "server");
	cJSON *qs = cJSON_AddArrayToObject(dns, "questions");
	for (int i = 0; i < r->n_dns; i++) {
		const struct rp_dns *d = &r->dns[i];
		cJSON *q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "name", d->name);
		cJSON_AddStringToObject(q, "type", type_name(d->type));
		cJSON_AddStringToObject(
		        q, "rcode", d->answered ? regprobe_rcode_name(d->rcode) : RP_DNS_NO_ANSWER);
		if (d->answered) {
			cJSON_AddNumberToObject(q, "answers", d->answers);
			if (d->type == DNS_A) {
				cJSON *a = cJSON_AddArrayToObject(q, "addresses");
				for (int k = 0; k < d->n_addr; k++)
					cJSON_AddItemToArray(a, cJSON_CreateString(d->addr[k]));
				cJSON_AddNumberToObject(q, "addresses_dropped", d->n_a - d->n_addr);
			}
		}
		cJSON_AddItemToArray(qs, q);
	}
	cJSON *sip = cJSON_AddArrayToObject(o, "sip");
	for (int i = 0; i < RP_TRANSPORTS; i++)
		if (r->sip[i].tried)
			cJSON_AddItemToArray(sip, sip_json(&r->sip[i], i));
	return o;
}

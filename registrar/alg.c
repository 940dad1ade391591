/* alg.c — the NAT router's SIP ALG (see alg.h): a line-by-line rewriter of
 * SIP messages and the UDP relay that applies it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/limits.h"
#include "../lib/ready.h"
#include "../lib/sys.h"
#include "alg.h"

/* --- the rewrite ----------------------------------------------------------------- */

struct buf {
	char *p;
	size_t cap, n;
	int over; /* something did not fit */
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n >= b->cap) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The header's name, as the line starts: "Via", "v", "Contact"... */
static int is_header(const char *line, size_t n, const char *full, const char *compact)
{
	const char *colon = memchr(line, ':', n);
	if (!colon)
		return 0;
	size_t k = (size_t)(colon - line);
	while (k && (line[k - 1] == ' ' || line[k - 1] == '\t'))
		k--;
	return (k == strlen(full) && !strncasecmp(line, full, k)) ||
	       (compact && k == strlen(compact) && !strncasecmp(line, compact, k));
}

/* Copy line to b with every whole occurrence of from (not followed by a
 * digit or a dot: 10.0.0.1 is not 10.0.0.12) replaced by to. */
static void put_replaced(struct buf *b, const char *line, size_t n, const char *from,
                         const char *to)
{
	size_t fl = strlen(from), i = 0;
	while (i < n) {
		if (i + fl <= n && !memcmp(line + i, from, fl) &&
		    (i + fl == n ||
		     (line[i + fl] != '.' && (line[i + fl] < '0' || line[i + fl] > '9')))) {
			puts_(b, to);
			i += fl;
		} else {
			put(b, line + i, 1);
			i++;
		}
	}
}

/* The top Via's sent-by ("SIP/2.0/UDP host:port;...") replaced by to. */
static void put_via(struct buf *b, const char *line, size_t n, const char *to)
{
	const char *proto = memmem(line, n, "SIP/2.0/", 8);
	const char *sp = proto ? memchr(proto, ' ', n - (size_t)(proto - line)) : NULL;
	if (!sp) {
		put(b, line, n);
		return;
	}
	while ((size_t)(sp - line) < n && *sp == ' ')
		sp++;
	size_t start = (size_t)(sp - line), end = start;
	while (end < n && !strchr(";, \t", line[end]))
		end++;
	put(b, line, start);
	puts_(b, to);
	put(b, line + end, n - end);
}

/* The bug: the host of the Authorization's uri= ("sip:registrar.lab...")
 * translated into the address the ALG forwards to. */
static void put_auth(struct buf *b, const char *line, size_t n, const char *upstream)
{
	const char *u = memmem(line, n, "uri=\"sip:", 9);
	size_t skip = 9;
	if (!u && (u = memmem(line, n, "uri=\"sips:", 10)))
		skip = 10;
	if (!u) {
		put(b, line, n);
		return;
	}
	size_t start = (size_t)(u - line) + skip, end = start;
	const char *at = memchr(line + start, '@', n - start),
	           *q = memchr(line + start, '"', n - start);
	if (at && q && at < q) /* user@host: the host is after the @ */
		start = end = (size_t)(at - line) + 1;
	while (end < n && !strchr(";:>\"", line[end]))
		end++;
	put(b, line, start);
	puts_(b, upstream);
	put(b, line + end, n - end);
}

static void put_header(struct buf *b, const char *line, size_t n, const struct alg_map *m,
                       int *vias)
{
	char in[80], outp[80];
	snprintf(in, sizeof(in), "%s:%d", m->inside, m->inside_port);
	snprintf(outp, sizeof(outp), "%s:%d", m->outside, m->outside_port);
	if (is_header(line, n, "Via", "v") && (*vias)++ == 0)
		put_via(b, line, n, outp);
	else if (is_header(line, n, "Contact", "m"))
		put_replaced(b, line, n, in, outp);
	else if (is_header(line, n, "Authorization", NULL) ||
	         is_header(line, n, "Proxy-Authorization", NULL))
		put_auth(b, line, n, m->upstream);
	else
		put(b, line, n);
	puts_(b, "\r\n");
}

/* The body's c= and o= lines with the inside address made the outside one. */
static void put_body(struct buf *b, const char *body, size_t n, const struct alg_map *m)
{
	size_t i = 0;
	while (i < n) {
		const char *eol = memchr(body + i, '\n', n - i);
		size_t len = eol ? (size_t)(eol - (body + i)) + 1 : n - i;
		if (len >= 2 && (body[i] == 'c' || body[i] == 'o') && body[i + 1] == '=')
			put_replaced(b, body + i, len, m->inside, m->outside);
		else
			put(b, body + i, len);
		i += len;
	}
}

int alg_rewrite(const char *msg, size_t len, const struct alg_map *m, char *out, size_t cap)
{
	const char *split = memmem(msg, len, "\r\n\r\n", 4);
	if (!split || len < 8 ||
	    (strncmp(msg, "SIP/2.0 ", 8) && !memmem(msg, len, " SIP/2.0\r\n", 10)))
		return -1;
	/* The body first, to know its length for Content-Length. */
	char *body = malloc(cap);
	if (!body)
		return -1;
	struct buf bb = {body, cap, 0, 0}, b = {out, cap, 0, 0};
	body[0] = '\0';
	const char *bstart = split + 4;
	put_body(&bb, bstart, len - (size_t)(bstart - msg), m);
	size_t i = 0, hlen = (size_t)(split - msg) + 2; /* through the last header's CRLF */
	int vias = 0;
	while (i < hlen && !b.over) {
		const char *eol = memmem(msg + i, hlen - i, "\r\n", 2);
		size_t n = eol ? (size_t)(eol - (msg + i)) : hlen - i;
		if (i == 0) { /* the request or status line */
			put(&b, msg, n);
			puts_(&b, "\r\n");
		} else if (!is_header(msg + i, n, "Content-Length", "l")) {
			put_header(&b, msg + i, n, m, &vias);
		}
		i += n + 2;
	}
	char cl[48];
	snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", bb.n);
	puts_(&b, cl);
	put(&b, body, bb.n);
	int over = b.over || bb.over;
	free(body);
	return over ? -1 : (int)b.n;
}

/* --- the relay ------------------------------------------------------------------- */

struct alg_client {
	struct sockaddr_in from; /* the inside client */
	int fd;                  /* its socket on the outside address */
	int port;
};

struct alg {
	int in_fd, sfd, n;
	struct alg_client c[ALG_MAX_CLIENTS];
	struct sockaddr_in up;
	const char *outside, *upstream;
	unsigned long rewritten, passed, returned, dropped;
};

static struct alg_client *client_of(struct alg *a, const struct sockaddr_in *from)
{
	for (int i = 0; i < a->n; i++)
		if (a->c[i].from.sin_addr.s_addr == from->sin_addr.s_addr &&
		    a->c[i].from.sin_port == from->sin_port)
			return &a->c[i];
	if (a->n == ALG_MAX_CLIENTS)
		return NULL;
	struct alg_client *c = &a->c[a->n];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	inet_pton(AF_INET, a->outside, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&sa, &sl) < 0) {
		if (c->fd >= 0)
			close(c->fd);
		return NULL;
	}
	c->from = *from;
	c->port = ntohs(sa.sin_port);
	a->n++;
	return c;
}

/* From an inside client: rewritten, and on to the upstream from its socket. */
static void from_inside(struct alg *a)
{
	char msg[ALG_MAX_MSG], out[ALG_MAX_MSG], inside[INET_ADDRSTRLEN];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(a->in_fd, msg, sizeof(msg), MSG_TRUNC, (struct sockaddr *)&from, &fl);
	struct alg_client *c = n > 0 ? client_of(a, &from) : NULL;
	if (!c || n > (ssize_t)sizeof(msg)) {
		a->dropped += n > 0;
		return;
	}
	inet_ntop(AF_INET, &from.sin_addr, inside, sizeof(inside));
	const struct alg_map m = {inside, ntohs(from.sin_port), a->outside, c->port, a->upstream};
	int len = alg_rewrite(msg, (size_t)n, &m, out, sizeof(out));
	const char *send = len > 0 ? out : msg;
	size_t slen = len > 0 ? (size_t)len : (size_t)n;
	if (sendto(c->fd, send, slen, 0, (struct sockaddr *)&a->up, sizeof(a->up)) > 0)
		len > 0 ? a->rewritten++ : a->passed++;
	if (len > 0 && a->rewritten <= 3)
		fprintf(stderr,
		        "siplab alg: %.*s from %s:%d rewritten (Via, Contact, c=, uri=) "
		        "as %s:%d\n",
		        (int)strcspn(msg, "\r\n"), msg, inside, m.inside_port, a->outside, c->port);
}

/* From outside to a client's socket: back to the client as it came. */
static void from_outside(struct alg *a, struct alg_client *c)
{
	char msg[ALG_MAX_MSG];
	ssize_t n = recv(c->fd, msg, sizeof(msg), 0);
	if (n > 0 &&
	    sendto(a->in_fd, msg, (size_t)n, 0, (struct sockaddr *)&c->from, sizeof(c->from)) > 0)
		a->returned++;
}

int alg_run(const char *listen_addr, int listen_port, const char *upstream, int upstream_port,
            const char *outside, err_t *e)
{
	static struct alg a; /* ALG_MAX_CLIENTS sockets: not for the stack */
	memset(&a, 0, sizeof(a));
	a.outside = outside;
	a.upstream = upstream;
	a.up.sin_family = AF_INET;
	a.up.sin_port = htons((uint16_t)upstream_port);
	struct in_addr x;
	if (inet_pton(AF_INET, upstream, &a.up.sin_addr) != 1 ||
	    inet_pton(AF_INET, outside, &x) != 1)
		return err_set(e, EINVAL, "upstream %s and outside %s must be IPv4 addresses",
		               upstream, outside);
	a.in_fd = sys_udp_listen(listen_addr, listen_port, e);
	if (a.in_fd < 0)
		return a.in_fd;
	a.sfd = sys_stop_signalfd();
	fprintf(stderr, "siplab alg: on udp:%s:%d, forwarding to %s:%d from %s\n", listen_addr,
	        listen_port, upstream, upstream_port, outside);
	char what[96];
	snprintf(what, sizeof(what), "udp:%s:%d", listen_addr, listen_port);
	ready_notify(what);
	for (;;) {
		struct pollfd p[ALG_MAX_CLIENTS + 2] = {{a.in_fd, POLLIN, 0}, {a.sfd, POLLIN, 0}};
		for (int i = 0; i < a.n; i++)
			p[i + 2] = (struct pollfd){a.c[i].fd, POLLIN, 0};
		if (poll(p, (nfds_t)a.n + 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			from_inside(&a);
		for (int i = 0; i < a.n; i++)
			if (p[i + 2].revents & POLLIN)
				from_outside(&a, &a.c[i]);
	}
	fprintf(stderr,
	        "siplab alg: %lu messages rewritten, %lu passed as they came, %lu returned, %lu "
	        "dropped\n",
	        a.rewritten, a.passed, a.returned, a.dropped);
	for (int i = 0; i < a.n; i++)
		close(a.c[i].fd);
	close(a.sfd);
	close(a.in_fd);
	return 0;
}

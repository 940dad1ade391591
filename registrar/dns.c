/* dns.c — the lab's DNS server (see dns.h). The wire format is small enough
 * for the four record types the lab needs: RFC 1035 header, question and
 * answers, RFC 2782 SRV, RFC 3403 NAPTR. */
#define _GNU_SOURCE
#include "dns.h"
#include "../lib/ready.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* --- configuration ---------------------------------------------------------------- */

static const char *const type_names[] = {"A", "AAAA", "SRV", "NAPTR", NULL};
static const int type_values[] = {DNS_A, DNS_AAAA, DNS_SRV, DNS_NAPTR};
static const char *const fault_names[] = {"nxdomain", "servfail", "drop", "wrong", NULL};
static const int fault_values[] = {DNS_NXDOMAIN, DNS_SERVFAIL, DNS_DROP, DNS_WRONG};

/* An A or AAAA record's value is an address of its family. */
static int record_check(struct jv *c, const cJSON *o, const char *path, void *elem)
{
	const struct dns_record *r = elem;
	unsigned char buf[16];
	char f[200];
	snprintf(f, sizeof(f), "%s.value", path);
	if (r->type == DNS_A && inet_pton(AF_INET, r->value, buf) != 1)
		return jv_bad(c, f, "an IPv4 address", cJSON_GetObjectItem(o, "value"));
	if (r->type == DNS_AAAA && inet_pton(AF_INET6, r->value, buf) != 1)
		return jv_bad(c, f, "an IPv6 address", cJSON_GetObjectItem(o, "value"));
	return 0;
}

static const struct field record_fields[] = {
        F_STRING(struct dns_record, name, "name", FF_REQUIRED, NULL, "a domain name"),
        F_CHOICE(struct dns_record, type, "type", type_names, FF_REQUIRED | FF_ANYCASE, NULL,
                 "the record's type", .values = type_values),
        F_STRING(struct dns_record, value, "value", FF_REQUIRED, NULL,
                 "an address (A, AAAA) or a domain name (SRV target, NAPTR replacement)"),
        F_INT(struct dns_record, priority, "priority", 0, 65535, 0, NULL, "SRV priority"),
        F_INT(struct dns_record, weight, "weight", 0, 65535, 0, NULL, "SRV weight"),
        F_INT(struct dns_record, port, "port", 0, 65535, 0, NULL, "SRV port"),
        F_INT(struct dns_record, order, "order", 0, 65535, 0, NULL, "NAPTR order"),
        F_INT(struct dns_record, preference, "preference", 0, 65535, 0, NULL, "NAPTR preference"),
        F_STRING(struct dns_record, flags, "flags", 0, NULL, "NAPTR flags"),
        F_STRING(struct dns_record, service, "service", 0, NULL, "a NAPTR service"),
        F_STRING(struct dns_record, regexp, "regexp", 0, NULL, "a NAPTR regexp"),
        F_END,
};

/* A wrong answer needs the address to give. */
static int fault_check(struct jv *c, const cJSON *o, const char *path, void *elem)
{
	const struct dns_record *r = elem;
	unsigned char buf[4];
	char f[200];
	snprintf(f, sizeof(f), "%s.address", path);
	if (r->fault == DNS_WRONG && inet_pton(AF_INET, r->value, buf) != 1)
		return jv_bad(c, f, "an IPv4 address (the wrong answer to give)",
		              cJSON_GetObjectItem(o, "address"));
	return 0;
}

static const struct field fault_fields[] = {
        F_STRING(struct dns_record, name, "name", FF_REQUIRED, NULL, "a domain name"),
        F_CHOICE(struct dns_record, fault, "mode", fault_names, FF_REQUIRED, NULL,
                 "what queries for the name get: NXDOMAIN, SERVFAIL, no answer, or a wrong "
                 "address",
                 .values = fault_values),
        F_STRING(struct dns_record, value, "address", 0, NULL,
                 "an IPv4 address (the wrong answer to give)"),
        F_END,
};

const struct field dns_config_fields[] = {
        F_STRING(struct dns_config, listen, "listen", 0, "0.0.0.0", "an address"),
        F_INT(struct dns_config, port, "port", 1, 65535, 0, "53", "the UDP port"),
        F_INT(struct dns_config, ttl, "ttl", 0, 86400, 0, "60", "the answers' TTL, seconds"),
        F_LIST(struct dns_config, records, n_records, "records", record_fields, 0, 0,
               "the records served", .check = record_check),
        F_LIST(struct dns_config, faults, n_faults, "faults", fault_fields, 0, 0,
               "names whose queries fail", .check = fault_check),
        F_END,
};

int dns_config_load(const char *path, struct dns_config *cfg, err_t *e)
{
	struct jv c = {path, e, cfg};
	memset(cfg, 0, sizeof(*cfg));
	return fields_load(&c, dns_config_fields, cfg);
}

/* --- wire format -------------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	int overflow;
};

static void put(struct wbuf *w, const void *d, size_t len)
{
	if (w->n + len > w->cap) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->n, d, len);
	w->n += len;
}

static void put16(struct wbuf *w, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(w, b, 2);
}

static void put32(struct wbuf *w, unsigned long v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	put(w, b, 4);
}

/* A domain name as labels, uncompressed. */
static void put_name(struct wbuf *w, const char *name)
{
	while (*name) {
		size_t len = strcspn(name, ".");
		if (len > 63)
			len = 63;
		uint8_t l = (uint8_t)len;
		put(w, &l, 1);
		put(w, name, len);
		name += strcspn(name, ".");
		if (*name == '.')
			name++;
	}
	put(w, "", 1);
}

static void put_string(struct wbuf *w, const char *s)
{
	uint8_t l = (uint8_t)strlen(s);
	put(w, &l, 1);
	put(w, s, l);
}

/* Read the question's name into out (dotted); returns bytes used or -1. */
static int get_name(const uint8_t *q, size_t qlen, size_t off, char *out, size_t cap)
{
	size_t o = 0, start = off;
	while (off < qlen && q[off]) {
		size_t len = q[off];
		if (len > 63 || off + 1 + len > qlen || o + len + 2 > cap)
			return -1; /* compression does not occur in questions we accept */
		if (o)
			out[o++] = '.';
		memcpy(out + o, q + off + 1, len);
		o += len;
		off += 1 + len;
	}
	if (off >= qlen)
		return -1;
	out[o] = '\0';
	return (int)(off + 1 - start);
}

static void put_answer(struct wbuf *w, const struct dns_config *c, const struct dns_record *r,
                       const char *override_addr)
{
	put16(w, 0xc00c); /* the question's name */
	put16(w, r->type);
	put16(w, 1);
	put32(w, (unsigned long)c->ttl);
	size_t len_at = w->n;
	put16(w, 0);
	size_t start = w->n;
	if (r->type == DNS_A || r->type == DNS_AAAA) {
		uint8_t a[16];
		int v6 = r->type == DNS_AAAA;
		inet_pton(v6 ? AF_INET6 : AF_INET, override_addr ? override_addr : r->value, a);
		put(w, a, v6 ? 16 : 4);
	} else if (r->type == DNS_SRV) {
		put16(w, (unsigned)r->priority);
		put16(w, (unsigned)r->weight);
		put16(w, (unsigned)r->port);
		put_name(w, r->value);
	} else {
		put16(w, (unsigned)r->order);
		put16(w, (unsigned)r->preference);
		put_string(w, r->flags);
		put_string(w, r->service);
		put_string(w, r->regexp);
		put_name(w, r->value);
	}
	if (!w->overflow) {
		w->p[len_at] = (uint8_t)((w->n - start) >> 8);
		w->p[len_at + 1] = (uint8_t)(w->n - start);
	}
}

static const struct dns_record *find_fault(const struct dns_config *c, const char *name)
{
	for (int i = 0; i < c->n_faults; i++)
		if (!strcasecmp(c->faults[i].name, name))
			return &c->faults[i];
	return NULL;
}

int dns_answer(const struct dns_config *c, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap)
{
	char name[256];
	if (qlen < 12 || (q[2] & 0x80) || ((q[2] >> 3) & 0xf) != 0 || q[4] != 0 || q[5] != 1)
		return -1; /* a response, not a standard query, or not one question */
	int nlen = get_name(q, qlen, 12, name, sizeof(name));
	if (nlen < 0 || 12 + (size_t)nlen + 4 > qlen)
		return -1;
	unsigned qtype = (unsigned)(q[12 + nlen] << 8 | q[13 + nlen]);
	const struct dns_record *fault = find_fault(c, name);
	if (fault && fault->fault == DNS_DROP)
		return 0;
	int rcode = 0, count = 0, known = 0;
	for (int i = 0; i < c->n_records; i++)
		if (!strcasecmp(c->records[i].name, name)) {
			known = 1;
			count += c->records[i].type == qtype;
		}
	if (fault && fault->fault == DNS_NXDOMAIN)
		rcode = 3, count = 0;
	else if (fault && fault->fault == DNS_SERVFAIL)
		rcode = 2, count = 0;
	else if (!known && !(fault && fault->fault == DNS_WRONG))
		rcode = 3;
	if (fault && fault->fault == DNS_WRONG && qtype == DNS_A)
		count = 1;
	struct wbuf w = {out, 0, cap, 0};
	put(&w, q, 2);                                                        /* id */
	uint8_t flags[2] = {(uint8_t)(0x84 | (q[2] & 0x01)), (uint8_t)rcode}; /* QR AA RD */
	put(&w, flags, 2);
	put16(&w, 1);
	put16(&w, (unsigned)count);
	put16(&w, 0);
	put16(&w, 0);
	put(&w, q + 12, (size_t)nlen + 4); /* the question */
	if (fault && fault->fault == DNS_WRONG && qtype == DNS_A) {
		struct dns_record wrong = {.type = DNS_A};
		put_answer(&w, c, &wrong, fault->value);
	} else {
		for (int i = 0; rcode == 0 && i < c->n_records; i++)
			if (!strcasecmp(c->records[i].name, name) && c->records[i].type == qtype)
				put_answer(&w, c, &c->records[i], NULL);
	}
	if (w.overflow) {
		out[2] |= 0x02; /* TC: the client may retry over TCP, which we lack */
		return 12;
	}
	return (int)w.n;
}

/* --- the server -------------------------------------------------------------------- */

int dns_run(const char *path, err_t *e)
{
	static struct dns_config cfg, next;
	int rc = dns_config_load(path, &cfg, e);
	if (rc)
		return rc;
	int fd = sys_udp_listen(cfg.listen, cfg.port, e);
	if (fd < 0)
		return fd == -EINVAL ? err_wrap(e, fd, "%s: listen", path) : fd;
	int sfd = sys_stop_signalfd();
	fprintf(stderr, "siplab dns: listening on %s:%d, %d records, %d faults\n", cfg.listen,
	        cfg.port, cfg.n_records, cfg.n_faults);
	char what[96];
	snprintf(what, sizeof(what), "udp:%s:%d", cfg.listen, cfg.port);
	ready_notify(what);
	unsigned long queries = 0, dropped = 0;
	for (int done = 0; !done;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGHUP) {
				done = 1;
			} else if (dns_config_load(path, &next, e) == 0) {
				cfg = next; /* a bad edit keeps the old records */
				fprintf(stderr, "siplab dns: reloaded, %d records, %d faults\n",
				        cfg.n_records, cfg.n_faults);
			} else {
				fprintf(stderr, "siplab dns: reload refused: %s\n", e->msg);
			}
		}
		if (!(p[0].revents & POLLIN))
			continue;
		uint8_t q[512], a[1500];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		int len = n > 0 ? dns_answer(&cfg, q, (size_t)n, a, 512) : -1;
		queries++;
		dropped += len == 0;
		if (len > 0)
			(void)sendto(fd, a, (size_t)len, 0, (struct sockaddr *)&from, fl);
	}
	fprintf(stderr, "siplab dns: %lu queries, %lu left unanswered\n", queries, dropped);
	close(sfd);
	close(fd);
	return 0;
}

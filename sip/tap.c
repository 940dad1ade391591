/* tap.c — sofia-sip's transport log, read once (see tap.h).
 *
 * With TPTAG_LOG(1) the transport layer writes each message it sends or
 * receives as a stamp ("send 498 bytes to udp/[10.10.2.2]:5060 at
 * 11:43:29.034347:"), a separator line, the message's lines indented by
 * three spaces, and the separator again. Everything else on the log is a
 * line of its own, sometimes followed by tab-indented continuation lines. */
#define _GNU_SOURCE
#include "tap.h"

#include "../lib/codes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport.h>

#include "../lib/sys.h"

#define SEPARATOR_DASHES 72

long long sip_tap_now_us(void)
{
	return sys_wall_us();
}

static long long tap_now(const struct sip_tap *t)
{
	return sip_tap_now_us() - t->t0_us;
}

/* Append n bytes to a growing buffer, keeping it NUL-terminated. */
static int grow_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = (*len + n + 1) * 2;
		char *b = realloc(*buf, c);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* --- local addresses -------------------------------------------------------------- */

static int local_slot(struct sip_tap *t, const char *transport)
{
	for (int i = 0; i < SIP_TAP_TRANSPORTS; i++)
		if (!strcasecmp(t->local[i].transport, transport))
			return i;
	for (int i = 0; i < SIP_TAP_TRANSPORTS; i++)
		if (!t->local[i].transport[0]) {
			snprintf(t->local[i].transport, sizeof(t->local[i].transport), "%s",
			         transport);
			for (char *p = t->local[i].transport; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			return i;
		}
	return -1;
}

static void set_local(struct sip_tap *t, const char *transport, const char *addr, const char *port,
                      int fixed)
{
	int i = local_slot(t, transport);
	if (i < 0 || (t->local[i].fixed && !fixed))
		return;
	/* An IPv6 address comes bracketed from a Via, bare from a tport name. */
	int bracketed = addr[0] == '[';
	char a[sizeof(t->local[i].addr)];
	snprintf(a, sizeof(a), "%s/%s%s%s:%s", t->local[i].transport, bracketed ? "" : "[", addr,
	         bracketed ? "" : "]", port);
	memcpy(t->local[i].addr, a, sizeof(a));
	t->local[i].fixed = fixed;
}

void sip_tap_local(struct sip_tap *t, const char *transport, const char *addr, unsigned port)
{
	char p[16];
	snprintf(p, sizeof(p), "%u", port);
	set_local(t, transport, addr, p, 1);
}

int sip_tap_agent_locals(struct sip_tap *t, nta_agent_t *agent)
{
	int n = 0;
	for (tport_t *tp = tport_primaries(nta_agent_tports(agent)); tp; tp = tport_next(tp)) {
		const tp_name_t *name = tport_name(tp);
		if (!name || !name->tpn_proto || !name->tpn_host || !name->tpn_port)
			continue;
		set_local(t, name->tpn_proto, name->tpn_host, name->tpn_port, 1);
		n++;
	}
	return n;
}

void sip_tap_forget_locals(struct sip_tap *t)
{
	memset(t->local, 0, sizeof(t->local));
}

static const char *local_of(struct sip_tap *t, const char *transport)
{
	for (int i = 0; i < SIP_TAP_TRANSPORTS; i++)
		if (!strcasecmp(t->local[i].transport, transport))
			return t->local[i].addr;
	return "";
}

/* Our top Via names our address on the transport the message went by: in a
 * request we send, and in a response we receive. */
static void learn_local(struct sip_tap *t, const sip_t *sip, int sent)
{
	int ours = sent ? sip->sip_request != NULL : sip->sip_status != NULL;
	const sip_via_t *v = sip->sip_via;
	if (!ours || !v || !v->v_protocol || !v->v_host || local_of(t, t->transport)[0])
		return;
	const char *proto = strrchr(v->v_protocol, '/');
	if (!proto || strcasecmp(proto + 1, t->transport))
		return;
	const char *port = v->v_port                          ? v->v_port
	                   : !strcasecmp(t->transport, "tls") ? "5061"
	                                                      : "5060";
	set_local(t, t->transport, v->v_host, port, 0);
}

/* --- messages ---------------------------------------------------------------------- */

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void deliver_msg(struct sip_tap *t)
{
	if (!t->on_msg || !t->msg_len)
		return;
	msg_t *m = msg_make(sip_default_mclass(), 0, t->msg, (ssize_t)t->msg_len);
	sip_t *sip = m ? sip_object(m) : NULL;
	int parsed = sip && (sip->sip_request || sip->sip_status);
	char first[256];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(t->msg, "\r\n"), t->msg);
	struct sip_tap_msg x = {
	        .t_us = t->msg_t_us,
	        .host = t->host,
	        .transport = t->transport,
	        .peer = t->peer,
	        .sent = t->sent,
	        .call_id = "",
	        .cseq_method = "",
	        .method = "",
	        .from_user = "",
	        .from_tag = "",
	        .to_user = "",
	        .to_tag = "",
	        .first_line = first,
	        .text = t->msg,
	        .len = t->msg_len,
	        .parsed = parsed,
	        .sip = parsed ? sip : NULL,
	};
	if (parsed) {
		learn_local(t, sip, t->sent);
		if (sip->sip_call_id)
			x.call_id = or_empty(sip->sip_call_id->i_id);
		if (sip->sip_cseq) {
			x.cseq_method = or_empty(sip->sip_cseq->cs_method_name);
			x.cseq = sip->sip_cseq->cs_seq;
		}
		if (sip->sip_status)
			x.status = sip->sip_status->st_status;
		if (sip->sip_request)
			x.method = or_empty(sip->sip_request->rq_method_name);
		if (sip->sip_from) {
			x.from_user = or_empty(sip->sip_from->a_url->url_user);
			x.from_tag = or_empty(sip->sip_from->a_tag);
		}
		if (sip->sip_to) {
			x.to_user = or_empty(sip->sip_to->a_url->url_user);
			x.to_tag = or_empty(sip->sip_to->a_tag);
		}
	}
	x.local = local_of(t, t->transport);
	t->on_msg(t->ctx, &x);
	if (m)
		msg_destroy(m);
}

/* "send 498 bytes to udp/[10.10.2.2]:5060 at 11:43:29.034347:" */
static int stamp(struct sip_tap *t, const char *line)
{
	char what[8], via[8], proto[8], addr[64];
	unsigned port;
	size_t n;
	if (sscanf(line, "%7s %zu bytes %7s %7[^/]/[%63[^]]]:%u", what, &n, via, proto, addr,
	           &port) != 6)
		return 0;
	int sent = !strcmp(what, "send") && !strcmp(via, "to");
	if (!sent && !(!strcmp(what, "recv") && !strcmp(via, "from")))
		return 0;
	t->sent = sent;
	t->msg_t_us = tap_now(t);
	snprintf(t->transport, sizeof(t->transport), "%s", proto);
	snprintf(t->peer, sizeof(t->peer), "%s/[%s]:%u", proto, addr, port);
	t->msg_len = 0;
	if (t->msg)
		t->msg[0] = '\0';
	return 1;
}

static int separator(const char *line)
{
	return !strncmp(line, "   ", 3) && strspn(line + 3, "-") == SEPARATOR_DASHES &&
	       line[3 + SEPARATOR_DASHES] == '\0';
}

/* --- events ------------------------------------------------------------------------ */

static const struct {
	int err;
	const char *cause;
} errno_causes[] = {
        {ECONNREFUSED, STACK_CAUSE_REFUSED},
        {ETIMEDOUT, "timeout"},
        {EHOSTUNREACH, "host_unreachable"},
        {ENETUNREACH, "network_unreachable"},
        {ECONNRESET, "connection_reset"},
        {EPIPE, "connection_reset"},
        {EPERM, "not_permitted"},
        {EACCES, "not_permitted"},
        {EMSGSIZE, "message_too_large"},
        {EADDRNOTAVAIL, "address_unavailable"},
        {EADDRINUSE, "address_in_use"},
};

static const char *errno_cause(int err)
{
	for (size_t i = 0; i < sizeof(errno_causes) / sizeof(*errno_causes); i++)
		if (errno_causes[i].err == err)
			return errno_causes[i].cause;
	return "other";
}

/* The last "(N)" of s before `end` (sofia writes strerror and then the
 * number), or 0. */
static int errno_in(const char *s, const char *end)
{
	int err = 0;
	for (const char *p = strchr(s, '('); p && p < end; p = strchr(p + 1, '(')) {
		int v;
		char close;
		if (sscanf(p, "(%d%c", &v, &close) == 2 && close == ')' && v > 0 && v < 4096)
			err = v;
	}
	return err;
}

/* "[icmp type=3 code=3]" (or icmp6) as the kernel reported it. */
static const char *icmp_cause(const char *text)
{
	unsigned type, code;
	const char *p = strstr(text, "[icmp6 type=");
	int v6 = p != NULL;
	if (!p)
		p = strstr(text, "[icmp type=");
	if (!p || sscanf(strchr(p, '=') + 1, "%u code=%u", &type, &code) != 2)
		return NULL;
	if (v6) {
		if (type != 1)
			return type == 3 ? "icmp_time_exceeded" : "icmp_other";
		return code == 4   ? "icmp_port_unreachable"
		       : code == 3 ? "icmp_host_unreachable"
		       : code == 0 ? "icmp_network_unreachable"
		       : code == 1 ? "icmp_admin_prohibited"
		                   : "icmp_unreachable";
	}
	if (type == 11)
		return "icmp_time_exceeded";
	if (type != 3)
		return "icmp_other";
	switch (code) {
	case 0:
		return "icmp_network_unreachable";
	case 1:
		return "icmp_host_unreachable";
	case 2:
		return "icmp_protocol_unreachable";
	case 3:
		return "icmp_port_unreachable";
	case 4:
		return "icmp_fragmentation_needed";
	case 9:
	case 10:
	case 13:
		return "icmp_admin_prohibited";
	default:
		return "icmp_unreachable";
	}
}

static void copy_until(char *out, size_t cap, const char *s, const char *stop)
{
	snprintf(out, cap, "%.*s", (int)strcspn(s, stop), s);
}

/* What the line says, as a kind and a cause, and who it concerns. */
static void classify(const char *text, const char **kind, const char **cause, char *peer,
                     size_t cap)
{
	const char *eol = text + strcspn(text, "\n");
	const char *icmp = icmp_cause(text), *p;
	peer[0] = '\0';
	*kind = "stack";
	*cause = "other";
	if (icmp) {
		*kind = STACK_KIND_TRANSPORT;
		*cause = icmp;
		if ((p = strstr(text, "reported by [")))
			copy_until(peer, cap, p + 13, "]");
	} else if (!strncmp(text, "nta: ", 5) && (p = strstr(text, " with ")) && p < eol) {
		/* A request the transport could not send: "nta: REGISTER (1): Connection
		 * refused (111) with tcp/[10.10.2.2]:5060". */
		*kind = STACK_KIND_TRANSPORT;
		*cause = errno_cause(errno_in(strstr(text, "): ") ? strstr(text, "): ") : text, p));
		copy_until(peer, cap, p + 6, " \n");
	} else if (!strncmp(text, "sres", 4)) {
		/* "sres: network error 110 (Connection timed out)" */
		int err = 0;
		if ((p = strstr(text, "network error ")) && p < eol)
			err = atoi(p + 14);
		*kind = STACK_KIND_DNS;
		*cause = err ? errno_cause(err) : strcasestr(text, "timeout") ? "timeout" : "other";
	} else if (strcasestr(text, "tls") || strcasestr(text, "ssl")) {
		*kind = STACK_KIND_TLS;
		if (strcasestr(text, "handshake") || strcasestr(text, "setup failed") ||
		    strcasestr(text, "certificate") || strcasestr(text, "verif"))
			*cause = "tls_handshake";
	} else if (strstr(text, "*** message truncated")) {
		*kind = "trace";
		*cause = "message_truncated";
	} else if (!strncmp(text, "tport", 5)) {
		int err = errno_in(text, eol);
		if (err) {
			*kind = STACK_KIND_TRANSPORT;
			*cause = errno_cause(err);
		}
	}
}

void sip_tap_flush(struct sip_tap *t)
{
	if (!t->ev_len)
		return;
	if (t->on_event) {
		char peer[96];
		struct sip_tap_event ev = {.t_us = t->ev_t_us, .host = t->host, .text = t->ev};
		classify(t->ev, &ev.kind, &ev.cause, peer, sizeof(peer));
		ev.peer = peer;
		t->on_event(t->ctx, &ev);
	}
	t->ev_len = 0;
}

static void event_line(struct sip_tap *t, const char *line)
{
	if (line[0] == '\t' && t->ev_len) {
		(void)grow_append(&t->ev, &t->ev_len, &t->ev_cap, "\n", 1);
		(void)grow_append(&t->ev, &t->ev_len, &t->ev_cap, line, strlen(line));
		return;
	}
	sip_tap_flush(t);
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line)
		return;
	t->ev_t_us = tap_now(t);
	(void)grow_append(&t->ev, &t->ev_len, &t->ev_cap, line, strlen(line));
}

/* --- lines ------------------------------------------------------------------------- */

static void line(struct sip_tap *t, const char *l)
{
	if (t->state == 2) {
		if (separator(l)) {
			deliver_msg(t);
			t->state = 0;
			return;
		}
		const char *body = !strncmp(l, "   ", 3) ? l + 3 : l;
		if (grow_append(&t->msg, &t->msg_len, &t->msg_cap, body, strlen(body)) ||
		    grow_append(&t->msg, &t->msg_len, &t->msg_cap, "\r\n", 2))
			t->state = 0; /* out of memory: this message is lost */
		return;
	}
	if (t->state == 1) {
		t->state = separator(l) ? 2 : 0;
		if (t->state == 2)
			return;
	}
	if (stamp(t, l)) {
		sip_tap_flush(t);
		t->state = 1;
		return;
	}
	event_line(t, l);
}

void sip_tap_feed(struct sip_tap *t, const char *chunk)
{
	for (const char *p = chunk; *p;) {
		size_t n = strcspn(p, "\n");
		(void)grow_append(&t->line, &t->line_len, &t->line_cap, p, n);
		p += n;
		if (!*p)
			break;
		p++;
		if (t->line_len && t->line[t->line_len - 1] == '\r')
			t->line[--t->line_len] = '\0';
		line(t, t->line ? t->line : "");
		t->line_len = 0;
		if (t->line)
			t->line[0] = '\0';
	}
}

static void on_log(void *arg, char const *fmt, va_list ap)
{
	struct sip_tap *t = arg;
	char buf[1024];
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf)) {
		char *big = malloc((size_t)n + 1);
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, aq);
			sip_tap_feed(t, big);
			free(big);
		}
	} else if (n > 0) {
		sip_tap_feed(t, buf);
	}
	va_end(aq);
}

/* --- the tap ------------------------------------------------------------------------- */

int sip_tap_open(struct sip_tap *t, const char *host, sip_tap_msg_fn *on_msg,
                 sip_tap_event_fn *on_event, void *ctx)
{
	memset(t, 0, sizeof(*t));
	if (host)
		snprintf(t->host, sizeof(t->host), "%s", host);
	else if (gethostname(t->host, sizeof(t->host) - 1) < 0)
		snprintf(t->host, sizeof(t->host), "?");
	t->on_msg = on_msg;
	t->on_event = on_event;
	t->ctx = ctx;
	su_log_redirect(NULL, on_log, t);
	return 0;
}

void sip_tap_set_t0(struct sip_tap *t, long long t0_us)
{
	t->t0_us = t0_us;
}

void sip_tap_close(struct sip_tap *t)
{
	sip_tap_flush(t);
	su_log_redirect(NULL, NULL, NULL);
	free(t->line);
	free(t->msg);
	free(t->ev);
	t->line = t->msg = t->ev = NULL;
	t->line_len = t->msg_len = t->ev_len = 0;
	t->line_cap = t->msg_cap = t->ev_cap = 0;
}

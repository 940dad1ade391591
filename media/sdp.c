/* sdp.c — reading and writing SDP bodies (see sdp.h). The body is walked line
 * by line in place: every field is taken from a slice of it, so no line and
 * no body is ever cut to fit a buffer. */
#define _GNU_SOURCE
#include "sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const err_names[] = {
        [SDP_OK] = "no error",
        [SDP_ERR_NO_BODY] = "no SDP body",
        [SDP_ERR_NOT_SDP] = "not SDP",
        [SDP_ERR_BAD_C] = "bad c= line",
        [SDP_ERR_BAD_M] = "bad m= line",
        [SDP_ERR_BAD_RTPMAP] = "bad a=rtpmap line",
        [SDP_ERR_BAD_CRYPTO] = "bad a=crypto line",
        [SDP_ERR_LIMIT] = "SDP over a limit",
        [SDP_ERR_NO_MEMORY] = "out of memory",
};

const char *sdp_err_name(enum sdp_err err)
{
	return (unsigned)err < sizeof(err_names) / sizeof(*err_names) ? err_names[err] : "?";
}

/* --- slices of a line ------------------------------------------------------------ */

/* The next space-separated word of *t (advanced past it); n = 0 at the end. */
static struct sdp_text word(struct sdp_text *t)
{
	while (t->n && *t->p == ' ') {
		t->p++;
		t->n--;
	}
	struct sdp_text w = {t->p, 0};
	while (w.n < t->n && t->p[w.n] != ' ')
		w.n++;
	t->p += w.n;
	t->n -= w.n;
	return w;
}

/* Split t at the first c: the part before it (t keeps the rest, after c);
 * *found says whether c was there. */
static struct sdp_text upto(struct sdp_text *t, char c, int *found)
{
	const char *at = memchr(t->p, c, t->n);
	struct sdp_text w = {t->p, at ? (size_t)(at - t->p) : t->n};
	*found = at != NULL;
	t->p += w.n + (at ? 1 : 0);
	t->n -= w.n + (at ? 1 : 0);
	return w;
}

/* A decimal number of at most 9 digits, all of w; -1 when it is not one. */
static long number(struct sdp_text w)
{
	if (!w.n || w.n > 9)
		return -1;
	long v = 0;
	for (size_t i = 0; i < w.n; i++) {
		if (w.p[i] < '0' || w.p[i] > '9')
			return -1;
		v = v * 10 + (w.p[i] - '0');
	}
	return v;
}

static int is(struct sdp_text w, const char *s)
{
	return w.n == strlen(s) && !strncmp(w.p, s, w.n);
}

static int starts(struct sdp_text w, const char *s)
{
	return w.n >= strlen(s) && !strncmp(w.p, s, strlen(s));
}

/* --- errors -------------------------------------------------------------------- */

struct reader {
	struct sdp *s;
	err_t *e;
	int line_no;
	struct sdp_text line;
};

static int fail(struct reader *r, enum sdp_err why, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Set the error: its name, the line (number and the start of its text) and
 * what was wrong. The message may shorten the quoted line; the body is not. */
static int fail(struct reader *r, enum sdp_err why, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->s->err = why;
	int code = why == SDP_ERR_NO_BODY     ? ENODATA
	           : why == SDP_ERR_LIMIT     ? E2BIG
	           : why == SDP_ERR_NO_MEMORY ? ENOMEM
	                                      : EBADMSG;
	if (r->line_no)
		return err_set(r->e, code, "%s: line %d \"%.*s%s\": %s", sdp_err_name(why),
		               r->line_no, (int)(r->line.n > 60 ? 60 : r->line.n), r->line.p,
		               r->line.n > 60 ? "..." : "", what);
	return err_set(r->e, code, "%s: %s", sdp_err_name(why), what);
}

/* Copy w into a fixed field of cap bytes; over it is refused, naming the limit. */
static int copy_field(struct reader *r, char *dst, size_t cap, struct sdp_text w, const char *what,
                      const char *limit)
{
	if (w.n >= cap)
		return fail(r, SDP_ERR_LIMIT, "%s is %zu characters, over %s (%zu)", what, w.n,
		            limit, cap - 1);
	memcpy(dst, w.p, w.n);
	dst[w.n] = '\0';
	return 0;
}

/* --- the lines ----------------------------------------------------------------- */

static int read_conn(struct reader *r, struct sdp_text v, struct sdp_conn *c)
{
	struct sdp_text net = word(&v), type = word(&v), addr = word(&v);
	int slash;
	addr = upto(&addr, '/', &slash); /* a multicast TTL or count follows */
	if (!is(net, "IN") || !(is(type, "IP4") || is(type, "IP6")))
		return fail(r, SDP_ERR_BAD_C, "expected \"IN IP4 ADDRESS\" or \"IN IP6 ADDRESS\"");
	int family = is(type, "IP4") ? AF_INET : AF_INET6;
	unsigned char bin[16];
	if (addr.n >= sizeof(c->addr))
		return fail(r, SDP_ERR_BAD_C, "the address is too long to be one");
	char text[sizeof(c->addr)];
	memcpy(text, addr.p, addr.n);
	text[addr.n] = '\0';
	if (!addr.n || inet_pton(family, text, bin) != 1)
		return fail(r, SDP_ERR_BAD_C, "\"%s\" is not a numeric %s address", text,
		            family == AF_INET ? "IPv4" : "IPv6");
	c->family = family;
	memcpy(c->addr, text, addr.n + 1);
	return 0;
}

static int read_m(struct reader *r, struct sdp_text v)
{
	struct sdp *s = r->s;
	struct sdp_media *grown = realloc(s->media, (size_t)(s->n_media + 1) * sizeof(*grown));
	if (!grown)
		return fail(r, SDP_ERR_NO_MEMORY, "a media section");
	s->media = grown;
	struct sdp_media *m = &s->media[s->n_media++];
	memset(m, 0, sizeof(*m));
	struct sdp_text type = word(&v), ports = word(&v), proto = word(&v);
	int slash;
	struct sdp_text port = upto(&ports, '/', &slash);
	long pv = number(port), nv = slash ? number(ports) : 1;
	if (!type.n || !proto.n || pv < 0 || pv > 65535 || nv < 1)
		return fail(r, SDP_ERR_BAD_M, "expected \"MEDIA PORT PROTO FORMAT...\"");
	int rc = copy_field(r, m->type, sizeof(m->type), type, "the media type", "SDP_MAX_NAME");
	if (!rc)
		rc = copy_field(r, m->proto, sizeof(m->proto), proto, "the proto", "SDP_MAX_NAME");
	if (rc)
		return rc;
	m->port = (int)pv;
	m->n_ports = (int)nv;
	m->rtp = strstr(m->proto, "RTP/") != NULL;
	size_t pl = strlen(m->proto);
	m->secure = (pl >= 4 && !strcmp(m->proto + pl - 4, "SAVP")) ||
	            (pl >= 5 && !strcmp(m->proto + pl - 5, "SAVPF"));
	while (v.n && *v.p == ' ') {
		v.p++;
		v.n--;
	}
	/* RFC 4566 wants a format, but an SBC that stripped every codec leaves
	 * none: that reads as an offer with no codec (answered 488), not as a
	 * broken one. */
	m->fmt_text = v;
	if (!m->rtp)
		return 0;
	for (struct sdp_text f = word(&v); f.n; f = word(&v)) {
		long pt = number(f);
		if (pt < 0 || pt > 127)
			return fail(r, SDP_ERR_BAD_M, "\"%.*s\" is not an RTP payload type (0-127)",
			            (int)f.n, f.p);
		for (int i = 0; i < m->n_pts; i++)
			if (m->pts[i] == pt)
				return fail(r, SDP_ERR_BAD_M, "payload type %ld listed twice", pt);
		m->pts[m->n_pts++] = (int)pt;
	}
	return 0;
}

static int read_rtpmap(struct reader *r, struct sdp_media *m, struct sdp_text v)
{
	if (!m)
		return fail(r, SDP_ERR_BAD_RTPMAP, "before any m= line");
	struct sdp_text pt = word(&v), enc = word(&v);
	int slash, slash2;
	struct sdp_text name = upto(&enc, '/', &slash);
	struct sdp_text rate = upto(&enc, '/', &slash2);
	long ptv = number(pt), rv = number(rate), cv = slash2 ? number(enc) : 1;
	if (ptv < 0 || ptv > 127 || !name.n || !slash || rv <= 0 || cv < 1 || word(&v).n)
		return fail(r, SDP_ERR_BAD_RTPMAP, "expected \"PT NAME/RATE[/CHANNELS]\"");
	if (sdp_rtpmap(m, (int)ptv))
		return fail(r, SDP_ERR_BAD_RTPMAP, "a second rtpmap for payload type %ld", ptv);
	struct sdp_rtpmap *map = &m->maps[m->n_maps];
	int rc = copy_field(r, map->name, sizeof(map->name), name, "the encoding name",
	                    "SDP_MAX_NAME");
	if (rc)
		return rc;
	map->pt = (int)ptv;
	map->rate = (int)rv;
	map->channels = (int)cv;
	m->n_maps++;
	return 0;
}

static int read_crypto(struct reader *r, struct sdp_media *m, struct sdp_text v)
{
	if (!m)
		return fail(r, SDP_ERR_BAD_CRYPTO, "before any m= line");
	struct sdp_text tag = word(&v), suite = word(&v), params = word(&v);
	long tv = number(tag);
	if (tv < 0 || !suite.n || !starts(params, "inline:"))
		return fail(r, SDP_ERR_BAD_CRYPTO, "expected \"TAG SUITE inline:KEY\"");
	params.p += 7;
	params.n -= 7;
	int bar;
	struct sdp_text key = upto(&params, ';', &bar); /* further keys follow ';' */
	key = upto(&key, '|', &bar);                    /* |lifetime|MKI:length */
	if (!key.n)
		return fail(r, SDP_ERR_BAD_CRYPTO, "an empty key");
	if (m->n_crypto == SDP_MAX_CRYPTO)
		return fail(r, SDP_ERR_LIMIT, "more a=crypto lines than SDP_MAX_CRYPTO (%d)",
		            SDP_MAX_CRYPTO);
	struct sdp_crypto *c = &m->crypto[m->n_crypto];
	int rc = copy_field(r, c->suite, sizeof(c->suite), suite, "the crypto suite",
	                    "SDP_MAX_NAME");
	if (!rc)
		rc = copy_field(r, c->key, sizeof(c->key), key, "the crypto key", "SDP_MAX_KEY");
	if (rc)
		return rc;
	c->tag = (int)tv;
	m->n_crypto++;
	return 0;
}

static enum sdp_dir direction(struct sdp_text a)
{
	return is(a, "sendrecv")   ? SDP_SENDRECV
	       : is(a, "sendonly") ? SDP_SENDONLY
	       : is(a, "recvonly") ? SDP_RECVONLY
	       : is(a, "inactive") ? SDP_INACTIVE
	                           : SDP_DIR_UNSET;
}

static int keep_line(struct reader *r, int media)
{
	struct sdp *s = r->s;
	struct sdp_line *grown = realloc(s->lines, (size_t)(s->n_lines + 1) * sizeof(*grown));
	if (!grown)
		return fail(r, SDP_ERR_NO_MEMORY, "a line");
	s->lines = grown;
	s->lines[s->n_lines++] = (struct sdp_line){media, r->line};
	return 0;
}

static int read_line(struct reader *r)
{
	struct sdp *s = r->s;
	struct sdp_text l = r->line, v = {l.p + 2, l.n - 2};
	struct sdp_media *m = s->n_media ? &s->media[s->n_media - 1] : NULL;
	int media = s->n_media - 1;
	switch (l.p[0]) {
	case 'o':
		if (!m) {
			s->origin = v;
			return 0;
		}
		break;
	case 's':
		if (!m) {
			s->name = v;
			return 0;
		}
		break;
	case 'c':
		return read_conn(r, v, m ? &m->conn : &s->conn);
	case 'm':
		return read_m(r, v);
	case 'a': {
		int colon;
		struct sdp_text rest = v, attr = upto(&rest, ':', &colon);
		if (is(attr, "rtpmap") && colon)
			return read_rtpmap(r, m, rest);
		if (is(attr, "crypto") && colon)
			return read_crypto(r, m, rest);
		if (is(attr, "rtcp-mux") && m) {
			m->rtcp_mux = 1;
			return 0;
		}
		if (!colon && direction(attr) != SDP_DIR_UNSET) {
			*(m ? &m->dir : &s->dir) = direction(attr);
			return 0;
		}
		break;
	}
	default:
		break;
	}
	return keep_line(r, media);
}

int sdp_read(const char *body, size_t len, struct sdp *s, err_t *e)
{
	struct reader r = {s, e, 0, {NULL, 0}};
	memset(s, 0, sizeof(*s));
	while (body && len && (*body == ' ' || *body == '\r' || *body == '\n' || *body == '\t')) {
		body++;
		len--;
	}
	if (!body || !len)
		return fail(&r, SDP_ERR_NO_BODY, "the message has no body");
	int rc = 0;
	for (const char *p = body, *end = body + len; p < end && !rc;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		r.line = (struct sdp_text){p, n > 0 && p[n - 1] == '\r' ? n - 1 : n};
		r.line_no++;
		p = nl ? nl + 1 : end;
		if (!r.line.n)
			continue; /* a blank line, as some stacks end a body */
		if (r.line.n < 2 || r.line.p[1] != '=' || r.line.p[0] < 'a' || r.line.p[0] > 'z')
			rc = fail(&r, SDP_ERR_NOT_SDP, "not a \"x=value\" line");
		else if (r.line_no == 1 && !is(r.line, "v=0"))
			rc = fail(&r, SDP_ERR_NOT_SDP, "an SDP body starts with v=0");
		else if (r.line_no > 1)
			rc = read_line(&r);
	}
	if (rc) {
		enum sdp_err why = s->err;
		sdp_free(s);
		s->err = why;
	}
	return rc;
}

void sdp_free(struct sdp *s)
{
	free(s->media);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

/* --- questions ------------------------------------------------------------------ */

const struct sdp_media *sdp_find_media(const struct sdp *s, const char *type)
{
	for (int i = 0; i < s->n_media; i++)
		if (!strcmp(s->media[i].type, type))
			return &s->media[i];
	return NULL;
}

const struct sdp_conn *sdp_media_conn(const struct sdp *s, const struct sdp_media *m)
{
	if (m && m->conn.family)
		return &m->conn;
	return s->conn.family ? &s->conn : NULL;
}

const struct sdp_rtpmap *sdp_rtpmap(const struct sdp_media *m, int pt)
{
	for (int i = 0; i < m->n_maps; i++)
		if (m->maps[i].pt == pt)
			return &m->maps[i];
	return NULL;
}

int sdp_codec(const struct sdp_media *m, int pt)
{
	const struct sdp_rtpmap *map = sdp_rtpmap(m, pt);
	if (!map)
		return codec_by_static_pt(pt);
	int c = codec_by_name(map->name);
	return c >= 0 && codec_info((enum media_codec)c)->rate == map->rate ? c : -1;
}

const char *sdp_pt_name(const struct sdp_media *m, int pt, char *buf, size_t cap)
{
	const struct sdp_rtpmap *map = sdp_rtpmap(m, pt);
	if (map)
		return map->name;
	int c = codec_by_static_pt(pt);
	if (c >= 0)
		return codec_name((enum media_codec)c);
	snprintf(buf, cap, "%d", pt);
	return buf;
}

const struct sdp_crypto *sdp_crypto_find(const struct sdp_media *m, const char *suite)
{
	for (int i = 0; i < m->n_crypto; i++)
		if (!strcmp(m->crypto[i].suite, suite))
			return &m->crypto[i];
	return NULL;
}

/* --- writing ------------------------------------------------------------------ */

int sdp_init(struct sdp *s, const char *origin, const char *name, const char *addr, err_t *e)
{
	struct reader r = {s, e, 0, {NULL, 0}};
	memset(s, 0, sizeof(*s));
	s->origin = (struct sdp_text){origin, strlen(origin)};
	s->name = (struct sdp_text){name, strlen(name)};
	int v6 = strchr(addr, ':') != NULL;
	char c[96];
	snprintf(c, sizeof(c), "IN %s %s", v6 ? "IP6" : "IP4", addr);
	return read_conn(&r, (struct sdp_text){c, strlen(c)}, &s->conn);
}

struct sdp_media *sdp_add_media(struct sdp *s, const char *type, int port, const char *proto)
{
	struct sdp_media *grown = realloc(s->media, (size_t)(s->n_media + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->media = grown;
	struct sdp_media *m = &s->media[s->n_media++];
	memset(m, 0, sizeof(*m));
	snprintf(m->type, sizeof(m->type), "%s", type);
	snprintf(m->proto, sizeof(m->proto), "%s", proto);
	m->port = port;
	m->n_ports = 1;
	m->rtp = strstr(proto, "RTP/") != NULL;
	m->secure = strstr(proto, "SAVP") != NULL;
	return m;
}

int sdp_add_codec(struct sdp_media *m, enum media_codec c, int pt)
{
	const struct codec_info *ci = codec_info(c);
	if (!ci || pt < 0 || pt > 127 || sdp_rtpmap(m, pt))
		return -EINVAL;
	m->pts[m->n_pts++] = pt;
	struct sdp_rtpmap *map = &m->maps[m->n_maps++];
	map->pt = pt;
	snprintf(map->name, sizeof(map->name), "%s", ci->name);
	map->rate = ci->rate;
	map->channels = ci->channels;
	return 0;
}

int sdp_add_crypto(struct sdp_media *m, int tag, const char *suite, const char *key)
{
	if (m->n_crypto == SDP_MAX_CRYPTO || strlen(suite) >= SDP_MAX_NAME ||
	    strlen(key) >= SDP_MAX_KEY)
		return -E2BIG;
	struct sdp_crypto *c = &m->crypto[m->n_crypto++];
	c->tag = tag;
	snprintf(c->suite, sizeof(c->suite), "%s", suite);
	snprintf(c->key, sizeof(c->key), "%s", key);
	return 0;
}

int sdp_add_line(struct sdp *s, int media, const char *line)
{
	struct sdp_line *grown = realloc(s->lines, (size_t)(s->n_lines + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->lines = grown;
	s->lines[s->n_lines++] = (struct sdp_line){media, {line, strlen(line)}};
	return 0;
}

void sdp_drop_pt(struct sdp_media *m, int pt)
{
	int k = 0;
	for (int i = 0; i < m->n_pts; i++)
		if (m->pts[i] != pt)
			m->pts[k++] = m->pts[i];
	m->n_pts = k;
}

/* A growing text. */
struct out {
	char *p;
	size_t n, cap;
	int failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	for (int tries = 0; !o->failed && tries < 2; tries++) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
		va_end(ap);
		if (k < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)k < o->cap - o->n) {
			o->n += (size_t)k;
			return;
		}
		size_t cap = (o->cap + (size_t)k) * 2;
		char *grown = realloc(o->p, cap);
		if (!grown)
			o->failed = 1;
		else {
			o->p = grown;
			o->cap = cap;
		}
	}
}

static void put_text(struct out *o, const char *prefix, struct sdp_text t)
{
	if (!t.p)
		t = (struct sdp_text){"-", 1};
	put(o, "%s%.*s\r\n", prefix, (int)t.n, t.p);
}

static void put_conn(struct out *o, const struct sdp_conn *c)
{
	if (c->family)
		put(o, "c=IN %s %s\r\n", c->family == AF_INET ? "IP4" : "IP6", c->addr);
}

static const char *const dir_names[] = {"", "sendrecv", "sendonly", "recvonly", "inactive"};

static int listed(const struct sdp_media *m, int pt)
{
	for (int i = 0; i < m->n_pts; i++)
		if (m->pts[i] == pt)
			return 1;
	return 0;
}

/* The payload type an a=fmtp line is about, or -1. */
static int fmtp_pt(struct sdp_text t)
{
	if (!starts(t, "a=fmtp:"))
		return -1;
	struct sdp_text rest = {t.p + 7, t.n - 7};
	return (int)number(word(&rest));
}

/* Kept lines of section `media` whose type letter is (or, with not, is not)
 * among `letters`. */
static void put_kept(struct out *o, const struct sdp *s, int media, const char *letters, int not,
                     const struct sdp_media *m)
{
	for (int i = 0; i < s->n_lines; i++) {
		const struct sdp_line *l = &s->lines[i];
		if (l->media != media || !l->text.n ||
		    (strchr(letters, l->text.p[0]) == NULL) != not )
			continue;
		int pt = m ? fmtp_pt(l->text) : -1;
		if (pt >= 0 && !listed(m, pt))
			continue; /* the fmtp of a payload type dropped */
		put_text(o, "", l->text);
	}
}

static void put_media(struct out *o, const struct sdp *s, int i)
{
	const struct sdp_media *m = &s->media[i];
	put(o, "m=%s %d", m->type, m->port);
	if (m->n_ports > 1)
		put(o, "/%d", m->n_ports);
	put(o, " %s", m->proto);
	if (!m->rtp && m->fmt_text.n)
		put(o, " %.*s", (int)m->fmt_text.n, m->fmt_text.p);
	for (int k = 0; m->rtp && k < m->n_pts; k++)
		put(o, " %d", m->pts[k]);
	put(o, "\r\n");
	put_kept(o, s, i, "i", 0, m);
	put_conn(o, &m->conn);
	put_kept(o, s, i, "ia", 1, m); /* b=, k= */
	for (int k = 0; k < m->n_pts; k++) {
		const struct sdp_rtpmap *map = sdp_rtpmap(m, m->pts[k]);
		if (!map)
			continue;
		put(o, "a=rtpmap:%d %s/%d", map->pt, map->name, map->rate);
		if (map->channels > 1)
			put(o, "/%d", map->channels);
		put(o, "\r\n");
	}
	for (int k = 0; k < m->n_crypto; k++)
		put(o, "a=crypto:%d %s inline:%s\r\n", m->crypto[k].tag, m->crypto[k].suite,
		    m->crypto[k].key);
	put_kept(o, s, i, "a", 0, m);
	if (m->rtcp_mux)
		put(o, "a=rtcp-mux\r\n");
	if (m->dir != SDP_DIR_UNSET)
		put(o, "a=%s\r\n", dir_names[m->dir]);
}

char *sdp_format(const struct sdp *s)
{
	struct out o = {malloc(512), 0, 512, 0};
	if (!o.p)
		return NULL;
	put(&o, "v=0\r\n");
	put_text(&o, "o=", s->origin);
	put_text(&o, "s=", s->name);
	put_kept(&o, s, -1, "iuep", 0, NULL);
	put_conn(&o, &s->conn);
	int has_t = 0;
	for (int i = 0; i < s->n_lines; i++)
		has_t |= s->lines[i].media == -1 && starts(s->lines[i].text, "t=");
	if (!has_t)
		put(&o, "t=0 0\r\n");
	put_kept(&o, s, -1, "iuep", 1, NULL);
	if (s->dir != SDP_DIR_UNSET)
		put(&o, "a=%s\r\n", dir_names[s->dir]);
	for (int i = 0; i < s->n_media; i++)
		put_media(&o, s, i);
	if (o.failed) {
		free(o.p);
		return NULL;
	}
	return o.p;
}

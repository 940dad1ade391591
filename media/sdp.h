/* sdp.h — the one reader and writer of SDP bodies (RFC 4566) in siplab. The
 * worker, the callee pool, the SBC and the diagnosis all read an offer or an
 * answer through sdp_read, and the SDP they send is written by sdp_format.
 *
 * A body of any size is read: nothing is copied into a buffer that could cut
 * it. The struct points into the body (the lines it keeps as they were), so
 * the body must outlive it. What the struct holds: the connection address at
 * session and media level (IPv4 and IPv6), each media section (type, port,
 * proto, payload types), its a=rtpmap, a=crypto, a=rtcp-mux and direction,
 * and every other line as it was, so a rewriter (the SBC) writes them back. */
#ifndef SIPLAB_SDP_H
#define SIPLAB_SDP_H

#include <stddef.h>

#include "../lib/err.h"
#include "../lib/limits.h"
#include "codec.h"

/* Why a body could not be read; each has its own sentence in the err_t. */
enum sdp_err {
	SDP_OK,
	SDP_ERR_NO_BODY,    /* empty: there was no SDP at all */
	SDP_ERR_NOT_SDP,    /* does not start with v=0, or a line is not "x=value" */
	SDP_ERR_BAD_C,      /* a c= line that is not IN IP4/IP6 with a numeric address */
	SDP_ERR_BAD_M,      /* an m= line without port, proto and formats, or bad RTP ones */
	SDP_ERR_BAD_RTPMAP, /* an a=rtpmap that is not PT NAME/RATE[/CHANNELS] */
	SDP_ERR_BAD_CRYPTO, /* an a=crypto that is not TAG SUITE inline:KEY */
	SDP_ERR_LIMIT,      /* a field over a limit of lib/limits.h (named in the message) */
	SDP_ERR_NO_MEMORY,
};

enum sdp_dir { SDP_DIR_UNSET, SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

/* A piece of text: a line of the body (without its line end), or a string
 * the writer of a new SDP owns. */
struct sdp_text {
	const char *p;
	size_t n;
};

struct sdp_conn {
	int family; /* 0: none, else AF_INET or AF_INET6 */
	char addr[46];
};

struct sdp_rtpmap {
	int pt;
	char name[SDP_MAX_NAME];
	int rate, channels; /* channels 1 when not written */
};

struct sdp_crypto {
	int tag;
	char suite[SDP_MAX_NAME];
	char key[SDP_MAX_KEY]; /* the first inline: key, base64, without |lifetime|MKI */
};

struct sdp_media {
	char type[SDP_MAX_NAME]; /* audio, video ... */
	int port, n_ports;       /* n_ports 1 unless m= said port/n */
	char proto[SDP_MAX_NAME];
	int rtp;                  /* the proto is RTP: formats are payload types */
	int secure;               /* the proto is a secure profile: RTP/SAVP, RTP/SAVPF ... */
	int pts[128], n_pts;      /* RTP: the payload types of m=, in order, each once */
	struct sdp_text fmt_text; /* not RTP: the formats as written */
	struct sdp_conn conn;     /* the media-level c=, family 0 when none */
	struct sdp_rtpmap maps[128];
	int n_maps;
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	int n_crypto;
	int rtcp_mux;
	enum sdp_dir dir;
};

/* A line kept as it was: which section it is in (-1: the session). */
struct sdp_line {
	int media;
	struct sdp_text text;
};

struct sdp {
	struct sdp_text origin, name; /* o= and s= values */
	struct sdp_conn conn;         /* the session-level c= */
	enum sdp_dir dir;
	struct sdp_media *media;
	int n_media;
	struct sdp_line *lines; /* every other line, in order (t=, b=, a=fmtp ...) */
	int n_lines;
	enum sdp_err err; /* why the last sdp_read failed */
};

/* Read a body of len bytes into s (which sdp_free releases, also after an
 * error). Returns 0; or -ENODATA (no body), -EBADMSG (not SDP, a bad line),
 * -E2BIG (a limit), -ENOMEM, with s->err saying which and e naming the line.
 * (Not called sdp_parse: sofia-sip exports that name, and its soa, linked
 * in the same program, would call ours instead of its own.) */
int sdp_read(const char *body, size_t len, struct sdp *s, err_t *e);
void sdp_free(struct sdp *s);

/* A short name of an error, for tests and logs: "bad c= line" ... */
const char *sdp_err_name(enum sdp_err err);

/* The first media section of type `type` ("audio"), or NULL. */
const struct sdp_media *sdp_find_media(const struct sdp *s, const char *type);
/* Where a section's media goes: its own c=, else the session's; NULL if neither. */
const struct sdp_conn *sdp_media_conn(const struct sdp *s, const struct sdp_media *m);
/* The a=rtpmap of payload type pt in m, or NULL. */
const struct sdp_rtpmap *sdp_rtpmap(const struct sdp_media *m, int pt);
/* The codec of the table a payload type of m is (by its rtpmap name and
 * rate, or as a static type without one), or -1. */
int sdp_codec(const struct sdp_media *m, int pt);
/* The name a payload type of m goes by: its rtpmap's, a static type's from
 * the codec table, else the number itself (in buf). */
const char *sdp_pt_name(const struct sdp_media *m, int pt, char *buf, size_t cap);
/* The first a=crypto of m with suite `suite`, or NULL. */
const struct sdp_crypto *sdp_crypto_find(const struct sdp_media *m, const char *suite);

/* --- writing -------------------------------------------------------------------- */

/* Start a new SDP: o= and s= values (strings the caller keeps alive) and the
 * session's connection address (IPv4 or IPv6). */
int sdp_init(struct sdp *s, const char *origin, const char *name, const char *addr, err_t *e);
/* Add a media section; returns it, or NULL (out of memory). */
struct sdp_media *sdp_add_media(struct sdp *s, const char *type, int port, const char *proto);
/* Add a codec of the table to m as payload type pt (its rtpmap too). */
int sdp_add_codec(struct sdp_media *m, enum media_codec c, int pt);
int sdp_add_crypto(struct sdp_media *m, int tag, const char *suite, const char *key);
/* Add a line as it is ("a=ptime:20") to section media (-1: the session); the
 * caller keeps the string alive. */
int sdp_add_line(struct sdp *s, int media, const char *line);
/* Drop payload type pt from m (m= and its rtpmap; the writer drops its fmtp). */
void sdp_drop_pt(struct sdp_media *m, int pt);

/* The SDP text of s, CRLF line ends, malloc'd (NULL when out of memory).
 * Lines kept from a parsed body are written back in their order; rtpmap and
 * fmtp lines only for the payload types m= still lists. */
char *sdp_format(const struct sdp *s);

#endif

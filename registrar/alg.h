/* alg.h — a SIP ALG (application layer gateway) as consumer and enterprise
 * NAT routers ship them, with the kind of bug the failure guide warns of.
 * It runs on the lab's NAT router; the router's nftables redirect the inside
 * workers' SIP to it. Each inside client gets a socket of its own on the
 * router's outside address, and what it sends is rewritten on the way out:
 * the top Via's sent-by and the Contact to that outside address and port,
 * the SDP's c= and o= addresses to the outside address — the ALG's job —
 * and, its bug, the uri= of the Authorization header translated from the
 * name it names to the address the ALG forwards to. The digest response is
 * a hash over the original uri=, so the registrar's check fails: 401 after
 * 401. What comes back is passed to the client as it came (the Via still
 * names the outside address), from the address the client sent to. */
#ifndef SIPLAB_REG_ALG_H
#define SIPLAB_REG_ALG_H

#include <stddef.h>

#include "../lib/err.h"

struct alg_map {
	const char *inside;   /* the client's address, as the ALG saw it ("192.168.1.2") */
	int inside_port;      /* and its port */
	const char *outside;  /* the router's outside address */
	int outside_port;     /* the client's socket there */
	const char *upstream; /* the address the ALG forwards to */
};

/* Rewrite one SIP message from an inside client (msg, len: not
 * NUL-terminated) into out (cap bytes) as the ALG does; Content-Length is
 * set to the body's new length. Returns the new length, or -1 when it does
 * not fit or is not a SIP message (the ALG then forwards it unchanged). */
int alg_rewrite(const char *msg, size_t len, const struct alg_map *m, char *out, size_t cap);

/* Run the ALG: listen on listen_addr:listen_port (where the router
 * redirects the inside clients' SIP), forward to upstream:upstream_port
 * from a socket per client on outside, until SIGTERM. */
int alg_run(const char *listen_addr, int listen_port, const char *upstream, int upstream_port,
            const char *outside, err_t *e);

#endif

/* stun.h — the lab's STUN server (RFC 5389 Binding, and RFC 3489 clients):
 * tells a client its address and port as seen from outside, so NAT scenarios
 * show both why STUN helps (plain NAT) and why it does not (symmetric NAT:
 * the mapping seen here is not the one another peer will see). */
#ifndef SIPLAB_STUN_H
#define SIPLAB_STUN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/sys.h"

#define STUN_MAGIC 0x2112A442u

/* Build the Binding success response to request (req, len) from `from`.
 * Returns its length, or -1 when req is not a Binding request. */
int stun_answer(const uint8_t *req, size_t len, const struct sockaddr_in *from, uint8_t *out,
                size_t cap);

/* Serve on UDP addr:port until SIGTERM/SIGINT. */
int stun_run(const char *addr, int port, err_t *e);

#endif

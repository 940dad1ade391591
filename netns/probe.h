/* probe.h — UDP reachability between lab hosts: a bounded echo responder and a
 * prober, both run as functions inside lab hosts. Used by `siplab lab check`
 * and by the tests. */
#ifndef SIPLAB_PROBE_H
#define SIPLAB_PROBE_H

#include "lab.h"

#define PROBE_PORT 7007

/* Start a UDP echo responder on PROBE_PORT in host; it stops by itself after
 * lifetime_ms (and when the lab goes down). */
int probe_echo_start(struct lab *lab, const char *host, int lifetime_ms, struct lab_proc **out,
                     err_t *e);

/* From host `from`, send one datagram to each address in addrs (n of them) on
 * PROBE_PORT and wait up to timeout_ms for each echo. ok[i] is set to 1 when
 * the echo came back. */
int probe_from(struct lab *lab, const char *from, const char *const *addrs, int n, int timeout_ms,
               int *ok, err_t *e);

/* Reachability matrix of the whole lab, printed to f: every host to the first
 * address of every other host. Returns the number of unreachable pairs that
 * should have been reachable (service hosts — platform, registrar, callee,
 * dns, stun — must be reachable from everywhere). */
int probe_matrix(struct lab *lab, FILE *f, err_t *e);

#endif

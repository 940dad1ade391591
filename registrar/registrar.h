/* registrar.h — the lab's registrar and stateful proxy, on sofia-sip's nta.
 *
 * REGISTER: digest authentication against the account pool, a location table
 * with expiry, honest answers (401 challenge, 401 again for wrong credentials,
 * 403 for a disabled account, 404 for an unknown user or domain) and a
 * REGISTER rate limit with the three signatures real deployments show.
 * Other requests are proxied statefully to the registered contact, with
 * Record-Route; 480 when the callee is not registered; requests for a peer's
 * domain go to that registrar. Every message on the wire can be logged. */
#ifndef SIPLAB_REGISTRAR_H
#define SIPLAB_REGISTRAR_H

#include "config.h"

/* Run the registrar with cfg until SIGTERM/SIGINT. Prints a line when it is
 * listening. Returns 0 or an error (with a sentence in e). */
int registrar_run(struct reg_config *cfg, err_t *e);

/* Make a lab CA and a server certificate for names (comma-separated, e.g.
 * "DNS:lab,IP:10.10.2.2") in dir, as sofia's TLS expects them: agent.pem
 * (key and certificate) and cafile.pem. Uses the openssl command. */
int registrar_make_certs(const char *dir, const char *cn, const char *names, err_t *e);

#endif

/* worker.h — `siplab worker`: the platform's worker, inside a lab host. It
 * connects out to the platform gateway, authenticates with its token, sends
 * heartbeats, and runs the endpoints it is dispatched — real SIP user agents
 * (one sofia-sip nua handle per account, one single-threaded event loop) with
 * RTP/SRTP media — streaming each endpoint's phases and its final record
 * (outcome, SIP code, trace, media metrics) back as they happen. */
#ifndef SIPLAB_WORKER_H
#define SIPLAB_WORKER_H

#include "../../lib/sys.h"

struct worker_opts {
	char gateway[64]; /* the platform gateway: an address, or a name to resolve */
	int port;
	char token[80]; /* cmw_ + 64 hex */
	char name[32];
	char region[32];
	char bind[64]; /* this host's address, for SIP and RTP */
	int capacity;  /* most endpoints it takes at once */
	/* Everything random in the worker derives from it (lib/rng.h): given
	 * by the run (--seed), else fresh. */
	unsigned long long seed;
};

/* Run until the gateway releases us with "shutdown", the connection is
 * lost, or SIGTERM/SIGINT. 0 on a clean end. */
int worker_run(const struct worker_opts *o, err_t *e);

#endif

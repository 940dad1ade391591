/* callees.h — the callee pool: N answering user agents (one sofia nua, one
 * handle per account) registered to the lab's registrar. Each answers, is
 * busy (486), rejects the offer (488) or never answers, after a ring time,
 * and on an answered call sends real RTP with the negotiated G.711 codec and
 * echoes what it receives, so calls to it carry media both ways. */
#ifndef SIPLAB_CALLEES_H
#define SIPLAB_CALLEES_H

#include "../lib/fields.h"
#include "../lib/sys.h"

enum callee_behaviour { CALLEE_ANSWER, CALLEE_BUSY, CALLEE_REJECT, CALLEE_NOANSWER };

struct callees_config {
	char registrar[128]; /* where to REGISTER and send requests, e.g. sip:10.10.2.2:5060 */
	char domain[64];
	char bind[64]; /* our address */
	int sip_port;
	char prefix[32]; /* accounts PREFIX0001 ... */
	int first, count;
	int offline; /* the last members that never register (known, not reachable) */
	char password[64];
	char codecs[64]; /* "PCMU,PCMA" */
	int ring_ms;
	enum callee_behaviour behaviour;
	int expires;
	int t1_ms, t1x64_ms;
	/* From --seed, not the file: SSRCs and sofia's numbers follow it
	 * (lib/rng.h); seeded 0: fresh ones. */
	unsigned long long seed;
	int seeded;
	char tls_dir[256]; /* agent.pem + cafile.pem: register over TLS (a sips: registrar) */
	/* A re-INVITE reinvite_ms after each answered call is up, offering only
	 * reinvite_codec: the pool switches to what the caller answers. */
	char reinvite_codec[16];
	int reinvite_ms;
};

/* The configuration file's fields, for reading and for --help. */
extern const struct field callees_config_fields[];

int callees_config_load(const char *path, struct callees_config *c, err_t *e);
/* Run until SIGTERM; prints a line when every account meant to register
 * (all but the offline ones) is registered. */
int callees_run(const struct callees_config *c, err_t *e);

#endif

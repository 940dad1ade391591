/* sbc.c — SDP rewriting and the latching media relay (see sbc.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct sbc_relay;
#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T struct sbc_relay
#include <sofia-sip/su_wait.h>

#include "sbc.h"

/* --- SDP ------------------------------------------------------------------------- */

/* Payload types of the stripped codecs, from the a=rtpmap lines (and the
 * static ones: PCMU 0, PCMA 8, G722 9). */
static int stripped_pt(const char *sdp, const struct sbc_config *c, int pt)
{
	static const struct {
		int pt;
		const char *name;
	} statics[] = {{0, "PCMU"}, {8, "PCMA"}, {9, "G722"}};
	for (int i = 0; i < c->n_strip; i++) {
		for (size_t k = 0; k < sizeof(statics) / sizeof(*statics); k++)
			if (statics[k].pt == pt && !strcasecmp(statics[k].name, c->strip[i]))
				return 1;
		char needle[32];
		snprintf(needle, sizeof(needle), "a=rtpmap:%d ", pt);
		const char *m = strstr(sdp, needle);
		if (m && !strncasecmp(m + strlen(needle), c->strip[i], strlen(c->strip[i])) &&
		    m[strlen(needle) + strlen(c->strip[i])] == '/')
			return 1;
	}
	return 0;
}

static int line_pt(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(line, prefix, n) ? -1 : atoi(line + n);
}

char *sbc_rewrite_sdp(const char *sdp_in, size_t len, const struct sbc_config *c, int strip,
                      const char *addr, int port)
{
	char *sdp = strndup(sdp_in, len);
	size_t cap = len * 2 + 256, n = 0;
	char *out = malloc(cap);
	int audio = 0;
	if (!sdp || !out) {
		free(sdp);
		free(out);
		return NULL;
	}
	for (char *save = NULL, *line = strtok_r(sdp, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		char buf[1024];
		int pt;
		if (strip &&
		    ((pt = line_pt(line, "a=rtpmap:")) >= 0 ||
		     (pt = line_pt(line, "a=fmtp:")) >= 0) &&
		    stripped_pt(sdp_in, c, pt))
			continue;
		if (addr && !strncmp(line, "c=IN IP4 ", 9)) {
			snprintf(buf, sizeof(buf), "c=IN IP4 %s", addr);
			line = buf;
		} else if (!strncmp(line, "m=audio ", 8)) {
			char proto[32];
			int mport = 0, used = 0;
			audio = 1;
			sscanf(line + 8, "%d %31s%n", &mport, proto, &used);
			size_t k = (size_t)snprintf(buf, sizeof(buf), "m=audio %d %s",
			                            port > 0 ? port : mport, proto);
			for (char *s2 = NULL, *f = strtok_r(line + 8 + used, " ", &s2); f;
			     f = strtok_r(NULL, " ", &s2))
				if (!(strip && isdigit((unsigned char)*f) &&
				      stripped_pt(sdp_in, c, atoi(f))))
					k += (size_t)snprintf(buf + k, sizeof(buf) - k, " %s", f);
			line = buf;
		}
		n += (size_t)snprintf(out + n, cap - n, "%s\r\n", line);
	}
	free(sdp);
	if (!audio) {
		free(out);
		return NULL;
	}
	return out;
}

int sbc_sdp_media(const char *sdp, size_t len, char *addr, size_t cap, int *port)
{
	char *s = strndup(sdp, len);
	const char *cl = s ? strstr(s, "c=IN IP4 ") : NULL, *m = s ? strstr(s, "m=audio ") : NULL;
	int ok = cl && m && sscanf(m + 8, "%d", port) == 1;
	if (ok) {
		size_t k = strcspn(cl + 9, " \r\n");
		snprintf(addr, cap, "%.*s", (int)k, cl + 9);
	}
	free(s);
	return ok ? 0 : -1;
}

/* --- the relay ------------------------------------------------------------------- */

struct sbc_relay {
	su_root_t *root;
	int fd[2], reg[2];
	struct sockaddr_in peer[2]; /* where packets for side i go */
	int latched[2];
	unsigned long fwd[2]; /* packets forwarded from side i */
};

/* A packet on side i goes out of the other side's port to the other peer;
 * the first packet from side i also tells where side i really is. */
static int on_packet(void *magic, su_wait_t *w, struct sbc_relay *r)
{
	(void)magic;
	int i = w->fd == r->fd[0] ? 0 : 1, o = !i;
	char buf[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(r->fd[i], buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return 0;
	if (!r->latched[i]) {
		r->peer[i] = from;
		r->latched[i] = 1;
	}
	if (r->peer[o].sin_port && sendto(r->fd[o], buf, (size_t)n, 0,
	                                  (struct sockaddr *)&r->peer[o], sizeof(r->peer[o])) > 0)
		r->fwd[i]++;
	return 0;
}

struct sbc_relay *sbc_relay_create(struct su_root_s *root, const char *addr)
{
	struct sbc_relay *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->root = root;
	r->fd[0] = r->fd[1] = -1;
	r->reg[0] = r->reg[1] = -1;
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		inet_pton(AF_INET, addr, &sa.sin_addr);
		r->fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		su_wait_t w;
		if (r->fd[i] < 0 || bind(r->fd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    su_wait_create(&w, r->fd[i], SU_WAIT_IN) < 0 ||
		    (r->reg[i] = su_root_register(root, &w, on_packet, r, 0)) < 0) {
			sbc_relay_destroy(r);
			return NULL;
		}
	}
	return r;
}

int sbc_relay_port(const struct sbc_relay *r, int side)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	if (getsockname(r->fd[side], (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	return ntohs(sa.sin_port);
}

void sbc_relay_set_peer(struct sbc_relay *r, int side, const char *addr, int port)
{
	if (r->latched[side])
		return; /* what the packets said beats what the SDP said */
	r->peer[side].sin_family = AF_INET;
	r->peer[side].sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &r->peer[side].sin_addr);
}

void sbc_relay_stats(const struct sbc_relay *r, unsigned long fwd[2], int latched[2])
{
	for (int i = 0; i < 2; i++) {
		fwd[i] = r->fwd[i];
		latched[i] = r->latched[i];
	}
}

void sbc_relay_destroy(struct sbc_relay *r)
{
	for (int i = 0; r && i < 2; i++)
		if (r->fd[i] >= 0) {
			if (r->reg[i] >= 0)
				su_root_deregister(r->root, r->reg[i]);
			close(r->fd[i]);
		}
	free(r);
}

/* wire.c — newline-framed JSON messages (see wire.h). */
#define _GNU_SOURCE
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/sys.h"

/* A message larger than this is a broken peer, not a big dispatch. */
#define WIRE_MAX (64u << 20)

void wire_init(struct wire *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
}

void wire_close(struct wire *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->eof = 1;
}

int wire_fill(struct wire *w)
{
	for (;;) {
		if (w->cap - w->len < 65536) {
			size_t cap = w->cap ? w->cap * 2 : 131072;
			char *b = cap <= WIRE_MAX ? realloc(w->buf, cap) : NULL;
			if (!b) {
				w->eof = 1;
				return -1;
			}
			w->buf = b;
			w->cap = cap;
		}
		ssize_t n = recv(w->fd, w->buf + w->len, w->cap - w->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			w->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		w->eof = 1;
		return -1;
	}
}

cJSON *wire_next(struct wire *w, int *bad)
{
	while (w->len) {
		char *nl = memchr(w->buf, '\n', w->len);
		if (!nl)
			return NULL;
		*nl = '\0';
		cJSON *m = cJSON_Parse(w->buf);
		size_t used = (size_t)(nl - w->buf) + 1;
		memmove(w->buf, nl + 1, w->len - used);
		w->len -= used;
		if (cJSON_IsObject(m))
			return m;
		cJSON_Delete(m);
		if (bad)
			(*bad)++;
	}
	return NULL;
}

int wire_send(struct wire *w, const cJSON *msg)
{
	char *text = cJSON_PrintUnformatted(msg);
	if (!text)
		return -ENOMEM;
	size_t n = strlen(text);
	text[n] = '\n'; /* replaces the terminator; the length is known */
	int rc = 0;
	for (size_t off = 0; off <= n;) {
		ssize_t k = send(w->fd, text + off, n + 1 - off, MSG_NOSIGNAL);
		if (k > 0) {
			off += (size_t)k;
		} else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* A full socket buffer: the peer is slow, not gone. */
			struct timeval tv = {0, 1000};
			select(0, NULL, NULL, NULL, &tv);
		} else {
			rc = -errno;
			break;
		}
	}
	free(text);
	return rc;
}

int wire_send_type(struct wire *w, const char *type, const char *key, const char *value)
{
	cJSON *m = cJSON_CreateObject();
	if (!m)
		return -ENOMEM;
	cJSON_AddStringToObject(m, "type", type);
	if (key)
		cJSON_AddStringToObject(m, key, value ? value : "");
	int rc = wire_send(w, m);
	cJSON_Delete(m);
	return rc;
}

int wire_token_valid(const char *token)
{
	if (!token || strncmp(token, "cmw_", 4) || strlen(token) != 68)
		return 0;
	for (const char *p = token + 4; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

void wire_token_make(char buf[69])
{
	unsigned char r[32];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(random() ^ (long)sys_now_ns());
	memcpy(buf, "cmw_", 4);
	for (int i = 0; i < 32; i++)
		snprintf(buf + 4 + 2 * i, 3, "%02x", r[i]);
}

/* wire.h — the control channel between the platform gateway and its workers:
 * one JSON object per line over TCP. Small and readable on the wire, so a
 * person can watch it with tcpdump -A, and framed by newlines so a reader
 * never needs a length prefix. */
#ifndef SIPLAB_WIRE_H
#define SIPLAB_WIRE_H

#include <cJSON.h>
#include <stddef.h>

struct wire {
	int fd;
	char *buf; /* bytes received and not yet consumed */
	size_t len, cap;
	int eof;
};

void wire_init(struct wire *w, int fd);
/* Close the socket and free the buffer. */
void wire_close(struct wire *w);
/* Read what the socket has (non-blocking). 0 on progress or nothing new,
 * -1 once the peer closed or the connection failed (w->eof set). */
int wire_fill(struct wire *w);
/* The next complete message, or NULL. A line that is not a JSON object is
 * skipped (and counted in *bad when bad is not NULL). */
cJSON *wire_next(struct wire *w, int *bad);
/* Send one message (the object is not freed). 0, or -errno. */
int wire_send(struct wire *w, const cJSON *msg);
/* Send {"type": type} with a string field, for the short messages. */
int wire_send_type(struct wire *w, const char *type, const char *key, const char *value);

/* A worker token: "cmw_" and 64 lower-case hex characters. */
int wire_token_valid(const char *token);
/* Make a fresh random token into buf (69 bytes). */
void wire_token_make(char buf[69]);

#endif

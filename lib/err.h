/* err.h — errors as values. A fallible function returns 0 or a negative errno
 * and, when given an err_t, leaves a sentence in it that names what failed
 * and why; callers add context on the way up with err_wrap. */
#ifndef SIPLAB_ERR_H
#define SIPLAB_ERR_H

typedef struct {
	char msg[768];
} err_t;

/* Fill e (if not NULL) and return -code (code is a positive errno). */
int err_set(err_t *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with more context ("building host h1: ..."). */
int err_wrap(err_t *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

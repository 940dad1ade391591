/* err.c — errors as values: a negative errno and a sentence (see err.h). */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(err_t *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return code > 0 ? -code : (code ? code : -EINVAL);
}

int err_wrap(err_t *e, int rc, const char *fmt, ...)
{
	if (e) {
		char head[256], tail[sizeof(e->msg)];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(head, sizeof(head), fmt, ap);
		va_end(ap);
		memcpy(tail, e->msg, sizeof(tail));
		snprintf(e->msg, sizeof(e->msg), "%s: %s", head, tail);
	}
	return rc;
}

/* ready.c — the readiness line of a lab service (see ready.h). */
#define _GNU_SOURCE
#include "ready.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"

void ready_notify(const char *what)
{
	const char *v = getenv(READY_ENV);
	char *end;
	long fd = v ? strtol(v, &end, 10) : -1;
	/* A number, and not stdin/out/err: an empty or stray value must not
	 * make a service write into (and close) its own standard streams. */
	if (!v || end == v || *end || fd <= 2)
		return;
	char line[512];
	int n = snprintf(line, sizeof(line), "READY %s\n", what);
	if (n >= (int)sizeof(line)) /* said as cut, not silently */
		n = (int)sizeof(line) - 1, memcpy(line + n - 5, " ...\n", 5);
	/* Nobody listening any more is the lab's problem, not ours. */
	(void)sys_write_all((int)fd, line, (size_t)n);
	close((int)fd);
	unsetenv(READY_ENV);
}

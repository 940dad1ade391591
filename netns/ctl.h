/* ctl.h — the control socket of a running lab, so a developer can work inside
 * it from another shell: `siplab lab exec HOST -- CMD`, `lab status`, `lab down`.
 * A lab named NAME keeps its runtime files (and this socket) in
 * USERDIR/NAME/, which is removed when the lab ends, however it ends. */
#ifndef SIPLAB_CTL_H
#define SIPLAB_CTL_H

#include <stddef.h>

#include "lab.h"
#include "../lib/sys.h"

#define CTL_SOCK "ctl.sock"

/* Work out the runtime directory for lab `name` and make sure no live lab
 * holds it; a stale one (its lab was killed with its reaper) is removed. */
int ctl_claim(const char *name, char *rundir, size_t cap, err_t *e);

/* Listen on rundir/ctl.sock. Returns the fd or -errno. */
int ctl_listen(const char *rundir, err_t *e);

/* Serve requests until `lab down`, SIGINT, SIGTERM or SIGHUP. Prints what it
 * does to stderr. Returns 0, or the signal number that ended it. */
int ctl_serve(struct lab *lab, int lfd);
/* The same, with status_extra (or NULL) added to the status after the
 * lab's description: what a kept scenario lab runs, its accounts, faults. */
int ctl_serve_status(struct lab *lab, int lfd, const char *status_extra);

/* Client side. Each connects to the lab named `name`. */
int ctl_exec(const char *name, const char *host, char *const argv[], int *exit_code, err_t *e);
int ctl_down(const char *name, err_t *e);
/* The lab's description (hosts, addresses, processes), malloc'd. */
int ctl_status(const char *name, char **text, err_t *e);
/* Names of the running labs of this user, one per line, malloc'd. */
int ctl_list(char **text, err_t *e);

/* A readable table of the lab's hosts and processes, malloc'd. */
char *lab_describe(const struct lab *lab);

#endif

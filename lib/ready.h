/* ready.h — how a lab service says it is ready to serve: one line
 * "READY <what it serves on>" written to the file descriptor named by the
 * environment variable SIPLAB_READY_FD (the lab hands one to each service it
 * starts, and waits for that line; see lab_service in netns/lab.h). Our own
 * small cousin of systemd's notify socket. Started by hand, with no such
 * variable, a service has no one to tell and this does nothing. */
#ifndef SIPLAB_READY_H
#define SIPLAB_READY_H

#define READY_ENV "SIPLAB_READY_FD"

/* Write "READY <what>\n" to the descriptor, close it and forget it (a second
 * call does nothing). what: "udp:10.10.4.2:53", "20 accounts registered". */
void ready_notify(const char *what);

#endif

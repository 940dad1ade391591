/* nl.h — the one place that speaks netlink (through libnl-route): veth pairs,
 * link state, addresses and routes in a given network namespace. */
#ifndef SIPLAB_NL_H
#define SIPLAB_NL_H

#include "../lib/sys.h"

struct nl_sock;

/* A netlink socket bound to one namespace. A socket belongs to the namespace it
 * was created in, so nlh_open enters that namespace, creates it, and returns. */
struct nlh {
	struct nl_sock *sk;
};

/* Open a netlink socket in the namespace nsfd; home_fd is the namespace to go
 * back to afterwards. Pass nsfd = -1 to use the current namespace. */
int nlh_open(struct nlh *h, int nsfd, int home_fd, err_t *e);
void nlh_close(struct nlh *h);

/* Create a veth pair: if_a in h's namespace, its peer if_b in namespace ns_b. */
int nlh_veth(struct nlh *h, const char *if_a, int ns_b, const char *if_b, err_t *e);
int nlh_link_up(struct nlh *h, const char *ifname, err_t *e);
/* Add "ADDR/PREFIX" to ifname. */
int nlh_addr_add(struct nlh *h, const char *ifname, const char *cidr, err_t *e);
/* Add a route: to is "default" or "ADDR/PREFIX"; via is the gateway. */
int nlh_route_add(struct nlh *h, const char *to, const char *via, err_t *e);
/* Number of links in the namespace (lo included), or -errno. */
int nlh_count_links(struct nlh *h);

#endif

/* nl.c — netlink through libnl-route (see nl.h). Nothing else in siplab builds
 * netlink messages; the rest of the lab sees host names and strings. */
#define _GNU_SOURCE
#include "nl.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>

static int nl_fail(err_t *e, int nlerr, const char *what)
{
	int code = nlerr == -NLE_EXIST ? EEXIST : nlerr == -NLE_PERM ? EPERM : EIO;
	return err_set(e, code, "%s: %s", what, nl_geterror(nlerr));
}

int nlh_open(struct nlh *h, int nsfd, int home_fd, err_t *e)
{
	h->sk = NULL;
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		return err_set(e, errno, "cannot enter network namespace: %s", strerror(errno));
	struct nl_sock *sk = nl_socket_alloc();
	int rc = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
	if (nsfd >= 0 && setns(home_fd, CLONE_NEWNET) < 0) {
		rc = err_set(e, errno, "cannot return to the lab namespace: %s", strerror(errno));
		nl_socket_free(sk);
		return rc;
	}
	if (rc < 0) {
		nl_socket_free(sk);
		return nl_fail(e, rc, "cannot open a netlink socket");
	}
	h->sk = sk;
	return 0;
}

void nlh_close(struct nlh *h)
{
	if (h->sk)
		nl_socket_free(h->sk);
	h->sk = NULL;
}

static int ifindex_of(struct nlh *h, const char *ifname, err_t *e)
{
	struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(h->sk, 0, ifname, &link);
	if (rc < 0)
		return nl_fail(e, rc, ifname);
	int idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx;
}

int nlh_veth(struct nlh *h, const char *if_a, int ns_b, const char *if_b, err_t *e)
{
	struct rtnl_link *link = rtnl_link_veth_alloc();
	if (!link)
		return err_set(e, ENOMEM, "out of memory");
	struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, if_a);
	rtnl_link_set_name(peer, if_b);
	/* The peer is created straight in the far namespace, by fd. */
	rtnl_link_set_ns_fd(peer, ns_b);
	rtnl_link_put(peer);
	int rc = rtnl_link_add(h->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_veth_release(link);
	if (rc < 0)
		return nl_fail(e, rc, "cannot create veth pair");
	return 0;
}

int nlh_link_up(struct nlh *h, const char *ifname, err_t *e)
{
	int idx = ifindex_of(h, ifname, e);
	if (idx < 0)
		return idx;
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	int rc = -NLE_NOMEM;
	if (orig && chg) {
		rtnl_link_set_ifindex(orig, idx);
		rtnl_link_set_flags(chg, IFF_UP);
		rc = rtnl_link_change(h->sk, orig, chg, 0);
	}
	rtnl_link_put(orig);
	rtnl_link_put(chg);
	return rc < 0 ? nl_fail(e, rc, ifname) : 0;
}

static int parse_prefix(const char *text, struct nl_addr **out, err_t *e)
{
	int rc = nl_addr_parse(text, AF_UNSPEC, out);
	if (rc < 0)
		return err_set(e, EINVAL, "bad address \"%s\": %s", text, nl_geterror(rc));
	return 0;
}

int nlh_addr_add(struct nlh *h, const char *ifname, const char *cidr, err_t *e)
{
	int idx = ifindex_of(h, ifname, e);
	if (idx < 0)
		return idx;
	struct nl_addr *local;
	int rc = parse_prefix(cidr, &local, e);
	if (rc)
		return rc;
	struct rtnl_addr *a = rtnl_addr_alloc();
	if (!a) {
		nl_addr_put(local);
		return err_set(e, ENOMEM, "out of memory");
	}
	rtnl_addr_set_ifindex(a, idx);
	rtnl_addr_set_local(a, local);
	/* IPv6 duplicate address detection would hold the address back for a
	 * second; the lab's addresses are unique by construction. */
	if (nl_addr_get_family(local) == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	rc = rtnl_addr_add(h->sk, a, 0);
	rtnl_addr_put(a);
	nl_addr_put(local);
	if (rc < 0) {
		char what[128];
		snprintf(what, sizeof(what), "cannot add %s to %s", cidr, ifname);
		return nl_fail(e, rc, what);
	}
	return 0;
}

int nlh_route_add(struct nlh *h, const char *to, const char *via, err_t *e)
{
	struct nl_addr *dst = NULL, *gw = NULL;
	int rc = parse_prefix(via, &gw, e);
	if (rc)
		return rc;
	int family = nl_addr_get_family(gw);
	if (!strcmp(to, "default"))
		rc = parse_prefix(family == AF_INET6 ? "::/0" : "0.0.0.0/0", &dst, e);
	else
		rc = parse_prefix(to, &dst, e);
	if (rc) {
		nl_addr_put(gw);
		return rc;
	}
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	if (!r || !nh) {
		rtnl_route_put(r);
		rtnl_route_nh_free(nh);
		nl_addr_put(gw);
		nl_addr_put(dst);
		return err_set(e, ENOMEM, "out of memory");
	}
	rtnl_route_set_family(r, (uint8_t)family);
	rtnl_route_set_dst(r, dst);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(r, nh); /* the route owns nh from here */
	rc = rtnl_route_add(h->sk, r, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_route_put(r);
	nl_addr_put(gw);
	nl_addr_put(dst);
	if (rc < 0) {
		char what[160];
		snprintf(what, sizeof(what), "cannot add route to %s via %s", to, via);
		return nl_fail(e, rc, what);
	}
	return 0;
}

int nlh_count_links(struct nlh *h)
{
	struct nl_cache *cache = NULL;
	int rc = rtnl_link_alloc_cache(h->sk, AF_UNSPEC, &cache);
	if (rc < 0)
		return -EIO;
	int n = nl_cache_nitems(cache);
	nl_cache_free(cache);
	return n;
}

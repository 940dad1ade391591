/* stun.c — the lab's STUN server (see stun.h). */
#define _GNU_SOURCE
#include "stun.h"
#include "../lib/ready.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	BINDING_REQUEST = 0x0001,
	BINDING_SUCCESS = 0x0101,
	ATTR_MAPPED_ADDRESS = 0x0001,
	ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	ATTR_SOFTWARE = 0x8022,
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An address attribute: reserved, family (IPv4), port, address. */
static size_t put_addr(uint8_t *p, unsigned type, uint16_t port, uint32_t addr)
{
	put16(p, type);
	put16(p + 2, 8);
	p[4] = 0;
	p[5] = 0x01;
	put16(p + 6, port);
	p[8] = (uint8_t)(addr >> 24);
	p[9] = (uint8_t)(addr >> 16);
	p[10] = (uint8_t)(addr >> 8);
	p[11] = (uint8_t)addr;
	return 12;
}

int stun_answer(const uint8_t *req, size_t len, const struct sockaddr_in *from, uint8_t *out,
                size_t cap)
{
	static const char software[] = "siplab lab STUN"; /* 15 bytes, padded to 16 */
	if (len < 20 || cap < 20 + 12 + 12 + 20 || (req[0] & 0xc0) ||
	    ((unsigned)(req[0] << 8 | req[1])) != BINDING_REQUEST)
		return -1;
	uint32_t cookie =
	        (uint32_t)req[4] << 24 | (uint32_t)req[5] << 16 | (uint32_t)req[6] << 8 | req[7];
	int rfc5389 = cookie == STUN_MAGIC;
	uint16_t port = ntohs(from->sin_port);
	uint32_t addr = ntohl(from->sin_addr.s_addr);
	size_t n = 20;
	put16(out, BINDING_SUCCESS);
	memcpy(out + 4, req + 4, 16); /* cookie (or RFC 3489 id) and transaction id */
	/* MAPPED-ADDRESS for RFC 3489 clients; XOR-MAPPED-ADDRESS for RFC 5389
	 * ones, XORed so NATs that rewrite addresses in payloads leave it alone. */
	n += put_addr(out + n, ATTR_MAPPED_ADDRESS, port, addr);
	if (rfc5389)
		n += put_addr(out + n, ATTR_XOR_MAPPED_ADDRESS, port ^ (STUN_MAGIC >> 16),
		              addr ^ STUN_MAGIC);
	put16(out + n, ATTR_SOFTWARE);
	put16(out + n + 2, sizeof(software) - 1);
	memset(out + n + 4, 0, 16);
	memcpy(out + n + 4, software, sizeof(software) - 1);
	n += 4 + 16;
	put16(out + 2, (unsigned)(n - 20));
	return (int)n;
}

int stun_run(const char *addr, int port, err_t *e)
{
	int fd = sys_udp_listen(addr, port, e);
	if (fd < 0)
		return fd;
	int sfd = sys_stop_signalfd();
	fprintf(stderr, "siplab stun: listening on %s:%d\n", addr, port);
	char what[96];
	snprintf(what, sizeof(what), "udp:%s:%d", addr, port);
	ready_notify(what);
	unsigned long answered = 0;
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		uint8_t req[1500], resp[128];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);
		int len = n > 0 ? stun_answer(req, (size_t)n, &from, resp, sizeof(resp)) : -1;
		if (len > 0 && sendto(fd, resp, (size_t)len, 0, (struct sockaddr *)&from, fl) > 0)
			answered++;
	}
	fprintf(stderr, "siplab stun: %lu binding requests answered\n", answered);
	close(sfd);
	close(fd);
	return 0;
}

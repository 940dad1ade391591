/* keylog.c — the TLS session keys of this process in the SSLKEYLOGFILE
 * format (one "LABEL client_random secret" line per secret), so Wireshark
 * and tshark can read the lab's SIP over TLS.
 *
 * sofia-sip makes its SSL_CTX inside tport and does not hand it out, so
 * this program defines SSL_CTX_new itself: the dynamic linker binds
 * libsofia-sip-ua's call to the executable's definition (exported by the
 * link), which calls OpenSSL's own (found with RTLD_NEXT) and adds the key
 * log callback. It only does so when the lab asks for a key log, through
 * the environment (KEYLOG_ENV); otherwise the context is OpenSSL's as is. */
#define _GNU_SOURCE
#include "keylog.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/ssl.h>

/* One line per call, appended with a single write: the workers and the
 * registrar share the file, and O_APPEND keeps their lines whole. A key
 * that cannot be written is lost for the reader only: the TLS session goes
 * on as before. */
static void keylog_line(const SSL *ssl, const char *line)
{
	(void)ssl;
	const char *path = getenv(KEYLOG_ENV);
	if (!path || !*path)
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct iovec iov[2] = {{(void *)line, strlen(line)}, {(void *)"\n", 1}};
	(void)!writev(fd, iov, 2);
	close(fd);
}

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method)
{
	typedef SSL_CTX *(*ctx_new_fn)(const SSL_METHOD *);
	static ctx_new_fn real;
	if (!real)
		real = (ctx_new_fn)dlsym(RTLD_NEXT, "SSL_CTX_new");
	SSL_CTX *ctx = real ? real(method) : NULL;
	const char *path = getenv(KEYLOG_ENV);
	if (ctx && path && *path)
		SSL_CTX_set_keylog_callback(ctx, keylog_line);
	return ctx;
}

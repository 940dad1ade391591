/* certs.c — a lab CA and a server certificate for SIP over TLS, made at run
 * time with the openssl command (see registrar.h). EC keys: quick to make. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registrar.h"

static int run(char *const argv[], err_t *e)
{
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return err_set(e, EIO, "`openssl %s` failed (is the openssl package installed?)",
		               argv[1]);
	return 0;
}

static int concat(const char *out, const char *a, const char *b, err_t *e)
{
	char buf[8192];
	size_t n = 0;
	const char *in[2] = {a, b};
	for (int i = 0; i < 2; i++) {
		ssize_t got = sys_read_file(in[i], buf + n, sizeof(buf) - n);
		if (got < 0)
			return err_set(e, (int)-got, "cannot read %s", in[i]);
		n += (size_t)got;
	}
	return sys_write_file(out, buf, n, 1, e);
}

int registrar_make_certs(const char *dir, const char *cn, const char *names, err_t *e)
{
	char ca_key[512], ca[512], key[512], csr[512], crt[512], ext[512], agent[512], subj[192],
	        san[512];
	int rc = sys_mkdir_p(dir, 0700, e);
	if (rc)
		return rc;
	snprintf(ca_key, sizeof(ca_key), "%s/ca.key", dir);
	snprintf(ca, sizeof(ca), "%s/cafile.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(csr, sizeof(csr), "%s/server.csr", dir);
	snprintf(crt, sizeof(crt), "%s/server.crt", dir);
	snprintf(ext, sizeof(ext), "%s/server.ext", dir);
	snprintf(agent, sizeof(agent), "%s/agent.pem", dir);
	snprintf(san, sizeof(san), "subjectAltName=%s\n", names);
	if ((rc = sys_write_file(ext, san, strlen(san), 1, e)))
		return rc;
	char *mk_ca[] = {"openssl",
	                 "req",
	                 "-x509",
	                 "-newkey",
	                 "ec",
	                 "-pkeyopt",
	                 "ec_paramgen_curve:prime256v1",
	                 "-nodes",
	                 "-keyout",
	                 ca_key,
	                 "-out",
	                 ca,
	                 "-days",
	                 "2",
	                 "-subj",
	                 "/CN=siplab lab CA",
	                 NULL};
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	char *mk_csr[] = {
	        "openssl", "req",     "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:prime256v1",
	        "-nodes",  "-keyout", key,       "-out", csr,        "-subj",
	        subj,      NULL};
	char *sign[] = {
	        "openssl",         "x509", "-req", "-in",   csr, "-CA",      ca,  "-CAkey", ca_key,
	        "-CAcreateserial", "-out", crt,    "-days", "2", "-extfile", ext, NULL};
	if ((rc = run(mk_ca, e)) || (rc = run(mk_csr, e)) || (rc = run(sign, e)))
		return rc;
	return concat(agent, key, crt, e);
}

/* registry.c — the catalogue of faults, and their parameters (see fault.h).
 * Adding a fault is adding its file and one line here. */
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct fault fault_reg_rate_limit, fault_reg_wrong_transport, fault_reg_dns_failure,
        fault_media_symmetric_nat, fault_media_conntrack_expiry, fault_worker_oom,
        fault_neg_sbc_codec_stripping, fault_reg_sip_port_blocked, fault_reg_bad_credentials;

const struct fault *const fault_catalogue[] = {
        &fault_worker_oom,
        &fault_reg_wrong_transport,
        &fault_reg_dns_failure,
        &fault_reg_rate_limit,
        &fault_neg_sbc_codec_stripping,
        &fault_media_symmetric_nat,
        &fault_media_conntrack_expiry,
        /* beyond the design card's seven */
        &fault_reg_sip_port_blocked,
        &fault_reg_bad_credentials,
        NULL,
};

const char *const fault_text[] = {"*", NULL};

const struct fault *fault_find(const char *code)
{
	for (int i = 0; fault_catalogue[i]; i++)
		if (!strcmp(fault_catalogue[i]->code, code))
			return fault_catalogue[i];
	return NULL;
}

int fault_param_index(const struct fault *f, const char *name)
{
	for (int i = 0; i < FAULT_MAX_PARAMS && f->params[i].name; i++)
		if (!strcmp(f->params[i].name, name))
			return i;
	return -1;
}

long fault_num(const char *v)
{
	return strtol(v, NULL, 10);
}

int fault_param_check(const struct fault *f, int i, const char *value, err_t *e)
{
	const struct fault_param *p = &f->params[i];
	if (!p->choices) {
		char *end;
		long n = strtol(value, &end, 10);
		if (*value && !*end && n >= 0)
			return 0;
		return err_set(e, EINVAL, "%s: parameter %s: expected a number (%s), got \"%s\"",
		               f->code, p->name, p->help, value);
	}
	for (int k = 0; p->choices[k]; k++)
		if (!strcmp(p->choices[k], value) || (p->choices == fault_text && *value))
			return 0;
	char list[160] = "";
	size_t n = 0;
	for (int k = 0; p->choices[k] && n < sizeof(list); k++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", k ? ", " : "",
		                      p->choices[k]);
	return err_set(e, EINVAL, "%s: parameter %s: expected one of %s, got \"%s\"", f->code,
	               p->name, list, value);
}

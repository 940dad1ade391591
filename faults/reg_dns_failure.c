/* reg.dns_failure — the registrar's name does not resolve from the worker's
 * network. Mechanism: the lab's DNS server answers that name with NXDOMAIN or
 * SERVFAIL, or not at all — `name`, or the name of scope.name, or the one
 * scope.group's registrar uses. With at_s/until_s the DNS server gets the
 * changed answers mid-run (its configuration rewritten, then SIGHUP) and
 * the old ones back. The remedy is the record restored. */
#include "fault.h"

static const char *const modes[] = {"nxdomain", "servfail", "drop", NULL};

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *dns = le_config(le, "dns", e);
	if (!dns)
		return -ENOENT;
	cJSON *faults = cJSON_GetObjectItemCaseSensitive(dns, "faults");
	if (!faults)
		faults = cJSON_AddArrayToObject(dns, "faults");
	cJSON *f = cJSON_CreateObject();
	/* Aimed at a group, the name that group's registrar uses. */
	const char *name = le_scope_name(le);
	cJSON_AddStringToObject(f, "name", name ? name : a->v[0].text);
	cJSON_AddStringToObject(f, "mode", a->v[1].text);
	cJSON_AddItemToArray(faults, f);
	return 0;
}

const struct fault fault_reg_dns_failure = {
        .code = "reg.dns_failure",
        .summary = "the registrar's name does not resolve (NXDOMAIN, SERVFAIL or no answer)",
        .applied =
                "before the run (or at at_s, by SIGHUP): the lab DNS server's answer for the name",
        .reverted = "the next lab's DNS server answers the name",
        .params = {{"name", FP_NAME, "registrar.lab", 0, 0, NULL, "the name that fails", NULL},
                   {"mode", FP_ENUM, "nxdomain", 0, 0, NULL, "how it fails", modes}},
        .far_side = far_side,
        .scopes = FAULT_SCOPE_GROUP | FAULT_SCOPE_NAME,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};

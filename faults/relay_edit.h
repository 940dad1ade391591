/* relay_edit.h — what the faults on the SBC's media relay (quality.*,
 * media.relay_broken) share: the registrar's "sbc" object with its relay on
 * (so every call's media goes through it: the SDP's c= becomes the relay's
 * address), and the directions a scenario names. */
#ifndef SIPLAB_RELAY_EDIT_H
#define SIPLAB_RELAY_EDIT_H

#include <string.h>

#include "../lib/jsonv.h"
#include "fault.h"

/* The "direction" parameter's words: the media the caller sends, the media
 * the callee sends, or both. */
static const char *const relay_directions[] = {"both", "caller_to_callee", "callee_to_caller",
                                               NULL};

/* The registrar's sbc object with the relay on; NULL (and e set) when the
 * registrar's configuration is not ours. */
static inline cJSON *relay_sbc(struct lab_edit *le, err_t *e)
{
	cJSON *reg = le_config(le, "registrar", e);
	if (!reg)
		return NULL;
	cJSON *sbc = cJSON_GetObjectItemCaseSensitive(reg, "sbc");
	if (!sbc)
		sbc = cJSON_AddObjectToObject(reg, "sbc");
	jv_set(sbc, "relay", cJSON_CreateTrue());
	return sbc;
}

/* Set one number of the relay's impairment in the named direction(s)
 * ("both" sets it in each). */
static inline int relay_impair_set(struct lab_edit *le, const char *direction, const char *key,
                                   double value, err_t *e)
{
	cJSON *sbc = relay_sbc(le, e);
	if (!sbc)
		return -ENOENT;
	cJSON *imp = cJSON_GetObjectItemCaseSensitive(sbc, "impair");
	if (!imp)
		imp = cJSON_AddObjectToObject(sbc, "impair");
	for (int k = 1; relay_directions[k]; k++) {
		if (strcmp(direction, "both") && strcmp(direction, relay_directions[k]))
			continue;
		cJSON *d = cJSON_GetObjectItemCaseSensitive(imp, relay_directions[k]);
		if (!d)
			d = cJSON_AddObjectToObject(imp, relay_directions[k]);
		jv_set(d, key, cJSON_CreateNumber(value));
	}
	return 0;
}

#endif

/* codes.c — the tokens of the report's codes, one table per family (see codes.h).
 * A token, once in a report, is never renamed: old reports and their readers
 * depend on it. A new code is a new row. */
#include "codes.h"

#include <string.h>

static const char *const run_reasons[RUN_REASON_COUNT] = {
        [RUN_REASON_NONE] = "",
        [RUN_REASON_ENDPOINT_LIMIT] = "endpoint_limit",
        [RUN_REASON_CREDITS] = "credits",
        [RUN_REASON_WORKERS_BUSY] = "workers_busy",
        [RUN_REASON_NO_ONLINE_WORKERS] = "no_online_workers",
        [RUN_REASON_REGION_MISMATCH] = "region_mismatch",
        [RUN_REASON_CAPACITY] = "capacity",
        [RUN_REASON_ALLOCATION_FAILED] = "allocation_failed",
        [RUN_REASON_WORKER_LOST] = "worker_lost",
        [RUN_REASON_TIMEOUT] = "timeout",
        [RUN_REASON_INFRASTRUCTURE_FAILED] = "infrastructure_failed",
};

static const char *const ep_failures[EP_FAIL_COUNT] = {
        [EP_FAIL_NONE] = "",
        [EP_FAIL_REGISTRATION_REFUSED] = "registration_refused",
        [EP_FAIL_REGISTRATION_TIMEOUT] = "registration_timeout",
        [EP_FAIL_AUTH_FAILED] = "auth_failed",
        [EP_FAIL_DNS_FAILURE] = "dns_failure",
        [EP_FAIL_TRANSPORT_ERROR] = "transport_error",
        [EP_FAIL_CALL_REJECTED] = "call_rejected",
        [EP_FAIL_CALL_TIMEOUT] = "call_timeout",
        [EP_FAIL_CALL_CANCELLED] = "call_cancelled",
        [EP_FAIL_NO_INCOMING_CALL] = "no_incoming_call",
        [EP_FAIL_OFFER_REJECTED] = "offer_rejected",
        [EP_FAIL_OFFER_REFUSED] = "offer_refused",
        [EP_FAIL_NEGOTIATION_FAILED] = "negotiation_failed",
        [EP_FAIL_BYE_REJECTED] = "bye_rejected",
        [EP_FAIL_BYE_TIMEOUT] = "bye_timeout",
        [EP_FAIL_MEDIA_ONE_WAY] = "media_one_way",
        [EP_FAIL_NO_MEDIA] = "no_media",
        [EP_FAIL_MEDIA_QUALITY] = "media_quality",
        [EP_FAIL_OS_ERROR] = "os_error",
        [EP_FAIL_WORKER_LOST] = "worker_lost",
        [EP_FAIL_NO_RESULT] = "no_result",
        [EP_FAIL_NO_ACCOUNT] = "no_account",
};

static const char *const fail_sources[FAIL_SOURCE_COUNT] = {
        [FAIL_SOURCE_NONE] = "",
        [FAIL_SOURCE_REMOTE] = "remote",
        [FAIL_SOURCE_LOCAL] = "local",
        [FAIL_SOURCE_PLATFORM] = "platform",
};

static const char *const wk_events[WK_EVENT_COUNT] = {
        [WK_EVENT_NONE] = "",
        [WK_EVENT_ONLINE] = "online",
        [WK_EVENT_DISPATCHED] = "dispatched",
        [WK_EVENT_RECONNECTED] = "reconnected",
        [WK_EVENT_OFFLINE] = "offline",
        [WK_EVENT_ERROR] = "error",
};

static const char *const wk_causes[WK_CAUSE_COUNT] = {
        [WK_CAUSE_NONE] = "",
        [WK_CAUSE_CONNECTION_CLOSED] = "connection_closed",
        [WK_CAUSE_HEARTBEAT_TIMEOUT] = "heartbeat_timeout",
        [WK_CAUSE_BAD_TOKEN] = "bad_token",
        [WK_CAUSE_UNKNOWN_TOKEN] = "unknown_token",
        [WK_CAUSE_NO_NAME] = "no_name",
        [WK_CAUSE_DISPATCH_REFUSED] = "dispatch_refused",
        [WK_CAUSE_DISPATCH_UNSENT] = "dispatch_unsent",
};

static const char *name_of(const char *const *names, int n, int code)
{
	return code >= 0 && code < n && names[code] ? names[code] : "";
}

/* 0 (each family's NONE) when name is not a token of the family. */
static int code_of(const char *const *names, int n, const char *name)
{
	for (int i = 1; name && *name && i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return 0;
}

const char *run_reason_name(enum run_reason r)
{
	return name_of(run_reasons, RUN_REASON_COUNT, (int)r);
}

const char *ep_failure_name(enum ep_failure k)
{
	return name_of(ep_failures, EP_FAIL_COUNT, (int)k);
}

const char *fail_source_name(enum fail_source s)
{
	return name_of(fail_sources, FAIL_SOURCE_COUNT, (int)s);
}

const char *wk_event_name(enum wk_event k)
{
	return name_of(wk_events, WK_EVENT_COUNT, (int)k);
}

const char *wk_cause_name(enum wk_cause c)
{
	return name_of(wk_causes, WK_CAUSE_COUNT, (int)c);
}

enum run_reason run_reason_from_name(const char *name)
{
	return (enum run_reason)code_of(run_reasons, RUN_REASON_COUNT, name);
}

enum ep_failure ep_failure_from_name(const char *name)
{
	return (enum ep_failure)code_of(ep_failures, EP_FAIL_COUNT, name);
}

enum fail_source fail_source_from_name(const char *name)
{
	return (enum fail_source)code_of(fail_sources, FAIL_SOURCE_COUNT, name);
}

enum wk_event wk_event_from_name(const char *name)
{
	return (enum wk_event)code_of(wk_events, WK_EVENT_COUNT, name);
}

enum wk_cause wk_cause_from_name(const char *name)
{
	return (enum wk_cause)code_of(wk_causes, WK_CAUSE_COUNT, name);
}

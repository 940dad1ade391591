/* test_platform.c — the platform gateway and run state machine against
 * workers played by the test over real TCP on loopback: tokens, heartbeats,
 * every pre-flight refusal, how endpoints are allocated and dispatched, and
 * how results, a lost worker and a stop end the run. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../sim/platform/platform.h"

#define TOKEN "cmw_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char scenario_json[] =
        "{\"name\":\"t\",\"time_scale\":0.1,\"buildup_s\":10,\"call_duration_s\":30,"
        "\"platform\":{\"heartbeat_s\":1,\"heartbeat_timeout_s\":3},"
        "\"groups\":[{\"name\":\"callers\",\"registrar\":\"registrar.lab\",\"transport\":\"tls\","
        "\"accounts\":{\"prefix\":\"c\",\"count\":%d,\"password\":\"p\"},\"endpoints\":4,"
        "\"role\":\"caller\",\"target\":\"receivers\",\"region\":\"%s\"},"
        "{\"name\":\"receivers\",\"registrar\":\"10.10.2.2:5060\",\"accounts\":{\"prefix\":"
        "\"r\",\"count\":4,\"password\":\"p\"},\"endpoints\":2,\"role\":\"callee\"}]%s}";

struct fixture {
	struct scenario s;
	struct platform p;
	int port;
};

static void setup_platform(struct fixture *f, int accounts, const char *region, const char *extra)
{
	char json[2048];
	err_t e;
	snprintf(json, sizeof(json), scenario_json, accounts, region, extra);
	if (scenario_parse(json, "test", &f->s, &e))
		fail_msg("%s", e.msg);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	f->port = ntohs(sa.sin_port);
	struct pf_env env = {.callee_count = 3};
	snprintf(env.callee_prefix, sizeof(env.callee_prefix), "callee");
	snprintf(env.callee_domain, sizeof(env.callee_domain), "lab");
	platform_init(&f->p, fd, TOKEN, &f->s, &env);
}

/* A worker played by the test. */
struct fake {
	struct wire w;
};

static void fake_connect(struct fixture *f, struct fake *k)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)f->port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	wire_init(&k->w, fd);
	platform_poll(&f->p, 50); /* accept */
}

static void fake_send(struct fixture *f, struct fake *k, const char *json)
{
	cJSON *m = cJSON_Parse(json);
	assert_non_null(m);
	assert_int_equal(wire_send(&k->w, m), 0);
	cJSON_Delete(m);
	platform_poll(&f->p, 50);
}

/* The next message the platform sent this worker (NULL after 1 s). */
static cJSON *fake_read(struct fixture *f, struct fake *k)
{
	for (int i = 0; i < 100; i++) {
		wire_fill(&k->w);
		cJSON *m = wire_next(&k->w, NULL);
		if (m)
			return m;
		platform_poll(&f->p, 10);
	}
	return NULL;
}

static const char *type_of(const cJSON *m)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "type");
	return cJSON_IsString(t) ? t->valuestring : "";
}

static void hello(struct fixture *f, struct fake *k, const char *name, const char *region)
{
	char json[512];
	snprintf(json, sizeof(json),
	         "{\"type\":\"hello\",\"token\":\"" TOKEN "\",\"worker\":\"%s\",\"region\":\"%s\","
	         "\"address\":\"10.20.1.2\",\"capacity\":100}",
	         name, region);
	fake_connect(f, k);
	fake_send(f, k, json);
	cJSON *m = fake_read(f, k);
	assert_non_null(m);
	assert_string_equal(type_of(m), "welcome");
	/* 1 s at time scale 0.1 */
	assert_int_equal(cJSON_GetObjectItem(m, "heartbeat_ms")->valueint, 100);
	cJSON_Delete(m);
}

static void done(struct fixture *f, struct fake *k, int n)
{
	for (int i = 0; i < n; i++)
		wire_close(&k[i].w);
	platform_free(&f->p);
}

static void test_tokens(void **state)
{
	(void)state;
	struct fixture f;
	struct fake k[3];
	setup_platform(&f, 4, "lab", "");
	/* Malformed, then well-formed but unknown: both refused. */
	static const char *const bad[] = {"cmw_123", "cmw_ffffffffffffffffffffffffffffffff"
	                                             "ffffffffffffffffffffffffffffffff"};
	for (int i = 0; i < 2; i++) {
		char json[256];
		snprintf(json, sizeof(json),
		         "{\"type\":\"hello\",\"token\":\"%s\",\"worker\":\"x\"}", bad[i]);
		fake_connect(&f, &k[i]);
		fake_send(&f, &k[i], json);
		cJSON *m = fake_read(&f, &k[i]);
		assert_non_null(m);
		assert_string_equal(type_of(m), "refused");
		cJSON_Delete(m);
	}
	assert_int_equal(platform_online(&f.p), 0);
	hello(&f, &k[2], "worker1", "lab");
	assert_int_equal(platform_online(&f.p), 1);
	assert_int_equal(platform_worker(&f.p, "worker1")->status, WORKER_ONLINE);
	done(&f, k, 3);
}

/* Silent for longer than the timeout (300 ms scaled): OFFLINE. */
static void test_heartbeat_timeout(void **state)
{
	(void)state;
	struct fixture f;
	struct fake k;
	setup_platform(&f, 4, "lab", "");
	hello(&f, &k, "worker1", "lab");
	for (int i = 0; i < 3; i++) {
		usleep(150000);
		fake_send(&f, &k, "{\"type\":\"heartbeat\"}");
	}
	assert_int_equal(platform_online(&f.p), 1);
	for (int i = 0; i < 20 && platform_online(&f.p); i++)
		platform_poll(&f.p, 50);
	struct pf_worker *w = platform_worker(&f.p, "worker1");
	assert_int_equal(w->status, WORKER_OFFLINE);
	char *ev = cJSON_PrintUnformatted(w->events);
	assert_non_null(strstr(ev, "no heartbeat for"));
	free(ev);
	/* Beside the sentence, its codes. */
	const cJSON *last = cJSON_GetArrayItem(w->events, cJSON_GetArraySize(w->events) - 1);
	assert_string_equal(cJSON_GetObjectItem(last, "kind")->valuestring, "offline");
	assert_string_equal(cJSON_GetObjectItem(last, "cause")->valuestring, "heartbeat_timeout");
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetArrayItem(w->events, 0), "kind")->valuestring,
	        "online");
	done(&f, &k, 1);
}

static void expect_preflight(int accounts, const char *region, const char *extra, int busy,
                             const char *why, enum run_reason code)
{
	struct fixture f;
	struct fake k;
	setup_platform(&f, accounts, region, extra);
	hello(&f, &k, "worker1", "lab");
	platform_worker(&f.p, "worker1")->busy = busy;
	assert_int_equal(platform_start_run(&f.p), RUN_CANNOT_RUN_FOR_NOW);
	if (!strstr(f.p.run.reason, why))
		fail_msg("reason \"%s\", expected \"%s\"", f.p.run.reason, why);
	assert_string_equal(run_reason_name(f.p.run.reason_code), run_reason_name(code));
	char *tl = cJSON_PrintUnformatted(f.p.run.timeline);
	assert_non_null(strstr(tl, "PENDING"));
	assert_null(strstr(tl, "QUEUED"));
	free(tl);
	done(&f, &k, 1);
}

static void test_preflight(void **state)
{
	(void)state;
	/* worker1 is ONLINE in region "lab": a test for eu-west is a region mismatch. */
	expect_preflight(4, "eu-west", "", 0, "no ONLINE worker in region \"eu-west\"",
	                 RUN_REASON_REGION_MISMATCH);
	expect_preflight(4, "lab", "", 1, "busy with another run", RUN_REASON_WORKERS_BUSY);
	/* Fewer accounts than endpoints is not a pre-flight refusal: the guide
	 * has the endpoints without one fail and the others run
	 * (scenarios/reg_account_shortage.json). */
	expect_preflight(4, "lab", ",\"plan\":{\"max_endpoints\":5}", 0, "the plan allows 5",
	                 RUN_REASON_ENDPOINT_LIMIT);
	expect_preflight(4, "lab", ",\"plan\":{\"credits\":5}", 0,
	                 "needs 6 endpoint-minutes, 5 are left", RUN_REASON_CREDITS);
}

/* No worker ONLINE anywhere: that is its own reason, not a region mismatch. */
static void test_preflight_no_workers(void **state)
{
	(void)state;
	struct fixture f;
	setup_platform(&f, 4, "lab", "");
	assert_int_equal(platform_start_run(&f.p), RUN_CANNOT_RUN_FOR_NOW);
	assert_string_equal(run_reason_name(f.p.run.reason_code), "no_online_workers");
	assert_non_null(strstr(f.p.run.reason, "no ONLINE worker in region \"lab\""));
	done(&f, NULL, 0);
}

static const cJSON *item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* Two workers: endpoints alternate between them, receivers register first,
 * callers dial after the buildup, each caller targets a receiver. */
static void dispatch_two(struct fixture *f, struct fake *k, cJSON **d)
{
	setup_platform(f, 4, "lab", "");
	hello(f, &k[0], "worker1", "lab");
	hello(f, &k[1], "worker2", "lab");
	assert_int_equal(platform_start_run(&f->p), RUN_RUNNING);
	for (int w = 0; w < 2; w++) {
		d[w] = fake_read(f, &k[w]);
		assert_non_null(d[w]);
		assert_string_equal(type_of(d[w]), "dispatch");
	}
}

static void test_dispatch(void **state)
{
	(void)state;
	struct fixture f;
	struct fake k[2];
	cJSON *d[2];
	dispatch_two(&f, k, d);
	int seen = 0;
	for (int w = 0; w < 2; w++) {
		assert_int_equal(item(d[w], "t1_ms")->valueint, 50); /* T1 500 ms, scaled */
		assert_int_equal(item(d[w], "t1x64_ms")->valueint, 3200);
		assert_int_equal(cJSON_GetArraySize(item(d[w], "endpoints")), 3);
		const cJSON *ep;
		cJSON_ArrayForEach (ep, item(d[w], "endpoints")) {
			int id = item(ep, "id")->valueint;
			seen |= 1 << id;
			/* ids 0 and 1 are the receivers, registered in the first third
			 * of the 1 s buildup. */
			assert_int_equal(!strcmp(item(ep, "role")->valuestring, "callee"), id < 2);
			if (id < 2) {
				assert_true(item(ep, "register_at_ms")->valueint < 400);
				assert_string_equal(item(ep, "registrar")->valuestring,
				                    "sip:10.10.2.2:5060;transport=udp");
				continue;
			}
			char aor[64], target[64];
			snprintf(aor, sizeof(aor), "sips:c%04d@lab", id - 1);
			snprintf(target, sizeof(target), "sip:r%04d@lab", 1 + (id - 2) % 2);
			assert_true(item(ep, "register_at_ms")->valueint >= 300);
			assert_int_equal(item(ep, "call_at_ms")->valueint,
			                 item(ep, "register_at_ms")->valueint + 100);
			assert_string_equal(item(ep, "registrar")->valuestring,
			                    "sips:registrar.lab");
			assert_string_equal(item(ep, "route")->valuestring,
			                    "<sips:registrar.lab;lr>");
			assert_string_equal(item(ep, "aor")->valuestring, aor);
			assert_string_equal(item(ep, "target")->valuestring, target);
		}
	}
	assert_int_equal(seen, 0x3f);
	cJSON_Delete(d[0]);
	cJSON_Delete(d[1]);
	done(&f, k, 2);
}

static void send_results(struct fixture *f, struct fake *k, const cJSON *d, const char *outcome)
{
	const cJSON *ep;
	cJSON_ArrayForEach (ep, item(d, "endpoints")) {
		char json[512];
		int id = item(ep, "id")->valueint;
		snprintf(json, sizeof(json),
		         "{\"type\":\"phase\",\"id\":%d,\"phase\":\"REGISTERED\"}", id);
		fake_send(f, k, json);
		snprintf(json, sizeof(json),
		         "{\"type\":\"result\",\"endpoint\":{\"id\":%d,\"phase\":\"CLOSED\","
		         "\"outcome\":\"%s\",\"times_ms\":{\"registered\":3}}}",
		         id, outcome);
		fake_send(f, k, json);
	}
}

/* Every result in: COMPLETED, with the counts the progress line shows. */
static void test_results_complete(void **state)
{
	(void)state;
	struct fixture f;
	struct fake k[2];
	cJSON *d[2];
	dispatch_two(&f, k, d);
	send_results(&f, &k[0], d[0], "SUCCESS");
	assert_false(platform_run_over(&f.p));
	send_results(&f, &k[1], d[1], "CALL_FAILED");
	assert_true(platform_run_over(&f.p));
	assert_int_equal(f.p.run.status, RUN_COMPLETED);
	assert_int_equal(f.p.run.n_registered, 6);
	assert_int_equal(f.p.run.n_failed, 3);
	cJSON_Delete(d[0]);
	cJSON_Delete(d[1]);
	done(&f, k, 2);
}

/* One worker's connection drops mid-run: its endpoints are closed with
 * OSERROR by the platform, the run ends FAILED once the others are in. */
static void test_worker_lost(void **state)
{
	(void)state;
	struct fixture f;
	struct fake k[2];
	cJSON *d[2];
	dispatch_two(&f, k, d);
	wire_close(&k[1].w);
	platform_poll(&f.p, 50);
	assert_int_equal(platform_worker(&f.p, "worker2")->status, WORKER_OFFLINE);
	assert_int_equal(f.p.run.n_final, 3);
	const cJSON *ep = cJSON_GetArrayItem(item(d[1], "endpoints"), 0);
	const struct pf_ep *lost = &f.p.run.eps[item(ep, "id")->valueint];
	assert_int_equal(lost->outcome, OUTCOME_OSERROR);
	assert_int_equal(lost->phase, PHASE_CLOSED);
	assert_non_null(strstr(item(lost->record, "reason")->valuestring, "worker2 lost"));
	const cJSON *failure = item(lost->record, "failure");
	assert_string_equal(item(failure, "kind")->valuestring, "worker_lost");
	assert_string_equal(item(failure, "source")->valuestring, "platform");
	assert_int_equal(item(failure, "sip_code")->valueint, 0);
	const cJSON *gone = cJSON_GetArrayItem(
	        platform_worker(&f.p, "worker2")->events,
	        cJSON_GetArraySize(platform_worker(&f.p, "worker2")->events) - 1);
	assert_string_equal(item(gone, "kind")->valuestring, "offline");
	assert_string_equal(item(gone, "cause")->valuestring, "connection_closed");
	send_results(&f, &k[0], d[0], "SUCCESS");
	assert_true(platform_run_over(&f.p));
	assert_int_equal(f.p.run.status, RUN_FAILED);
	assert_non_null(strstr(f.p.run.reason, "worker2 was lost"));
	assert_int_equal(f.p.run.reason_code, RUN_REASON_WORKER_LOST);
	cJSON_Delete(d[0]);
	cJSON_Delete(d[1]);
	done(&f, k, 1);
}

/* The user stops the run: STOPPING, and every busy worker is told. */
static void test_stop(void **state)
{
	(void)state;
	struct fixture f;
	struct fake k[2];
	cJSON *d[2];
	dispatch_two(&f, k, d);
	platform_stop_run(&f.p);
	assert_int_equal(f.p.run.status, RUN_STOPPING);
	for (int w = 0; w < 2; w++) {
		cJSON *m = fake_read(&f, &k[w]);
		assert_non_null(m);
		assert_string_equal(type_of(m), "stop");
		cJSON_Delete(m);
		send_results(&f, &k[w], d[w], "SUCCESS");
	}
	assert_true(platform_run_over(&f.p));
	assert_int_equal(f.p.run.status, RUN_COMPLETED);
	assert_true(f.p.run.stopped);
	cJSON_Delete(d[0]);
	cJSON_Delete(d[1]);
	done(&f, k, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tokens),      cmocka_unit_test(test_heartbeat_timeout),
	        cmocka_unit_test(test_preflight),   cmocka_unit_test(test_preflight_no_workers),
	        cmocka_unit_test(test_dispatch),    cmocka_unit_test(test_results_complete),
	        cmocka_unit_test(test_worker_lost), cmocka_unit_test(test_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

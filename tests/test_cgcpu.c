/* test_cgcpu.c — a running cgroup's CPU quota (cgroup_set_cpu_limit), on a
 * folder of plain files standing for the cgroup's knobs: v2's cpu.max, v1's
 * cpu.cfs_quota_us and cpu.cfs_period_us; shares under the kernel's least
 * quota (1 ms) lengthen the period instead; and a running process moved into
 * a cgroup (cgroup_attach: its pid in cgroup.procs of each controller). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../netns/cgroup.h"

static char dir[64];

static void touch(const char *knob)
{
	char f[128];
	snprintf(f, sizeof(f), "%s/%s", dir, knob);
	FILE *fp = fopen(f, "w");
	assert_non_null(fp);
	fclose(fp);
}

static const char *knob(const char *name)
{
	static char buf[64];
	char f[128];
	snprintf(f, sizeof(f), "%s/%s", dir, name);
	buf[0] = '\0';
	FILE *fp = fopen(f, "r");
	assert_non_null(fp);
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/siplab-cgcpu.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	touch("cpu.max");
	touch("cpu.cfs_quota_us");
	touch("cpu.cfs_period_us");
	touch("cgroup.procs");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	const char *k[] = {"cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cgroup.procs"};
	for (size_t i = 0; i < 4; i++) {
		char f[128];
		snprintf(f, sizeof(f), "%s/%s", dir, k[i]);
		unlink(f);
	}
	return rmdir(dir);
}

static void test_v2(void **state)
{
	struct cgroup cg = {.version = 2};
	snprintf(cg.mem, sizeof(cg.mem), "%s", dir);
	assert_int_equal(cgroup_set_cpu_limit(&cg, 25, NULL), 0);
	assert_string_equal(knob("cpu.max"), "25000 100000");
	assert_int_equal(cgroup_set_cpu_limit(&cg, 0.1, NULL), 0);
	assert_string_equal(knob("cpu.max"), "1000 1000000");
	assert_int_equal(cgroup_set_cpu_limit(&cg, 0, NULL), 0);
	assert_string_equal(knob("cpu.max"), "max 100000");
}

static void test_v1(void **state)
{
	struct cgroup cg = {.version = 1};
	snprintf(cg.cpu, sizeof(cg.cpu), "%s", dir);
	assert_int_equal(cgroup_set_cpu_limit(&cg, 50, NULL), 0);
	assert_string_equal(knob("cpu.cfs_quota_us"), "50000");
	assert_string_equal(knob("cpu.cfs_period_us"), "100000");
	assert_int_equal(cgroup_set_cpu_limit(&cg, 0.5, NULL), 0);
	assert_string_equal(knob("cpu.cfs_quota_us"), "1000");
	assert_string_equal(knob("cpu.cfs_period_us"), "200000");
	assert_int_equal(cgroup_set_cpu_limit(&cg, 0, NULL), 0);
	assert_string_equal(knob("cpu.cfs_quota_us"), "-1");
}

/* A v1 cgroup made without the cpu controller says so. */
static void test_v1_without_cpu(void **state)
{
	struct cgroup cg = {.version = 1};
	err_t e = {0};
	assert_int_not_equal(cgroup_set_cpu_limit(&cg, 10, &e), 0);
	assert_non_null(strstr(e.msg, "cpu controller"));
}

/* A v1 process is moved in both controllers (here: the same folder, whose
 * cgroup.procs is written twice, the pid each time); without a cpu
 * directory, only the memory one. */
static void test_attach(void **state)
{
	struct cgroup cg = {.version = 1};
	snprintf(cg.mem, sizeof(cg.mem), "%s", dir);
	assert_int_equal(cgroup_attach(&cg, 4242, NULL), 0);
	assert_string_equal(knob("cgroup.procs"), "4242");
	snprintf(cg.cpu, sizeof(cg.cpu), "%s", dir);
	assert_int_equal(cgroup_attach(&cg, 77, NULL), 0);
	assert_string_equal(knob("cgroup.procs"), "77");
	snprintf(cg.mem, sizeof(cg.mem), "%s/missing", dir);
	err_t e = {0};
	assert_int_not_equal(cgroup_attach(&cg, 77, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_v2),
	        cmocka_unit_test(test_v1),
	        cmocka_unit_test(test_v1_without_cpu),
	        cmocka_unit_test(test_attach),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

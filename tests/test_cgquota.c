/* test_cgquota.c — the worker reads its own CPU cgroup's quota and throttling
 * as a process in a container can (sim/worker/cgcpu.c): on fixture roots
 * for cgroup v1 and v2 (tests/cgroup/, see its README), then on this
 * machine's own files. */
#include "harness.h"

#include <errno.h>

#include "../sim/worker/cgcpu.h"

/* v1: the cpu line "cpu,cpuacct:PATH" names the folder under the hierarchy
 * mounted by that list; quota / period is the share of one core. */
static void test_v1(void **state)
{
	struct cgcpu c;
	assert_int_equal(cgcpu_read("tests/cgroup/cpu_v1", &c), 0);
	assert_int_equal(c.version, 1);
	assert_true(c.limit_pct > 4.999 && c.limit_pct < 5.001);
	assert_int_equal(c.periods, 120);
	assert_int_equal(c.throttled, 90);
}

/* v2: cpu.max "QUOTA PERIOD" and cpu.stat's counters. */
static void test_v2(void **state)
{
	struct cgcpu c;
	assert_int_equal(cgcpu_read("tests/cgroup/cpu_v2", &c), 0);
	assert_int_equal(c.version, 2);
	assert_true(c.limit_pct > 0.0999 && c.limit_pct < 0.1001);
	assert_int_equal(c.periods, 40);
	assert_int_equal(c.throttled, 10);
}

/* v1 under "cpu" alone, at the root, quota -1: no limit; no cpu.stat. */
static void test_v1_no_quota(void **state)
{
	struct cgcpu c;
	assert_int_equal(cgcpu_read("tests/cgroup/cpu_v1_none", &c), 0);
	assert_int_equal(c.version, 1);
	assert_true(c.limit_pct < 0);
	assert_int_equal(c.periods, -1);
}

/* The memory-only fixture has no cpu files: nothing readable. */
static void test_none(void **state)
{
	struct cgcpu c;
	assert_int_equal(cgcpu_read("tests/cgroup/none", &c), -ENOENT);
	assert_int_equal(c.version, 0);
}

/* This machine: whatever it has, read without error or said absent. */
static void test_own(void **state)
{
	struct cgcpu c;
	if (cgcpu_read("", &c)) {
		printf("    no cpu cgroup readable here\n");
		return;
	}
	printf("    own cpu cgroup: v%d, quota %.2f %% of a core\n", c.version, c.limit_pct);
	assert_true(c.version == 1 || c.version == 2);
	assert_true(c.limit_pct == -1 || c.limit_pct > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_v1),          cmocka_unit_test(test_v2),
	        cmocka_unit_test(test_v1_no_quota), cmocka_unit_test(test_none),
	        cmocka_unit_test(test_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

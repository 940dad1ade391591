/* test_cgmem.c — the worker reads its own memory cgroup's usage and limit as
 * a process in a container can: on fixture roots for cgroup v1 and v2
 * (tests/cgroup/, see its README), then on this machine's own files. */
#include "harness.h"

#include <errno.h>

#include "../sim/worker/cgmem.h"

#define MB (1LL << 20)

/* v1: the memory line of /proc/self/cgroup names the folder under the
 * memory hierarchy; the v2 line and v2 files beside it are not read. */
static void test_v1(void **state)
{
	struct cgmem m;
	assert_int_equal(cgmem_read("tests/cgroup/v1", &m), 0);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.limit, 24 * MB);
	assert_int_equal(m.usage, 4 * MB);
}

/* v1 in a container whose mount shows its own cgroup as the root: the path
 * of /proc/self/cgroup is not there, the mount's own files are; v1's "no
 * limit" is its largest page count in bytes, read as none. */
static void test_v1_container_unlimited(void **state)
{
	struct cgmem m;
	assert_int_equal(cgmem_read("tests/cgroup/v1_container", &m), 0);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.limit, -1);
	assert_int_equal(m.usage, 1 * MB);
}

/* v2: "0::PATH", memory.max and memory.current under it. */
static void test_v2(void **state)
{
	struct cgmem m;
	assert_int_equal(cgmem_read("tests/cgroup/v2", &m), 0);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.limit, 32 * MB);
	assert_int_equal(m.usage, 2 * MB);
}

/* v2 with a cgroup namespace ("0::/") and memory.max "max": no limit. */
static void test_v2_unlimited(void **state)
{
	struct cgmem m;
	assert_int_equal(cgmem_read("tests/cgroup/v2_unlimited", &m), 0);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.limit, -1);
	assert_int_equal(m.usage, 3 * MB);
}

/* No memory controller anywhere, or no files at all: nothing to report. */
static void test_none(void **state)
{
	struct cgmem m;
	assert_int_equal(cgmem_read("tests/cgroup/none", &m), -ENOENT);
	assert_int_equal(m.version, 0);
	assert_int_equal(cgmem_read("tests/cgroup/no-such-root", &m), -ENOENT);
}

/* This process's own cgroup, whatever the host has (this lab's machine has
 * cgroup v1 only for memory): when it can be read, it holds something. */
static void test_own(void **state)
{
	struct cgmem m;
	if (cgmem_read("", &m)) {
		printf("    no memory cgroup readable here\n");
		return;
	}
	printf("    own memory cgroup: v%d, %lld kB used, limit %lld\n", m.version, m.usage / 1024,
	       m.limit);
	assert_true(m.version == 1 || m.version == 2);
	assert_true(m.usage > 0);
	assert_true(m.limit == -1 || m.limit > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_v1),   cmocka_unit_test(test_v1_container_unlimited),
	        cmocka_unit_test(test_v2),   cmocka_unit_test(test_v2_unlimited),
	        cmocka_unit_test(test_none), cmocka_unit_test(test_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

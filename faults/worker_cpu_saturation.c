/* worker.cpu_saturation — one worker's CPU quota is too small for the media
 * of its calls, while the others have room. Mechanism: that worker's CPU
 * cgroup (as a container's --cpus), set at at_s into the run (scope.workers: which). Its
 * REGISTERs and INVITEs cost little and still get through, so its calls
 * connect; but the 20 ms pace of RTP does not fit in the quota: the kernel
 * throttles the worker for the rest of each period, its packets leave in
 * bursts and the ones it receives are read late — jitter on both directions
 * of its calls, on that worker only. The remedy is the quota removed (or
 * fewer endpoints on that worker).
 *
 * Measured (2 cores, cgroup v1, time scale 0.1, scenarios/
 * worker_cpu_saturation.json: 10 calls a worker to the callee pool, the
 * quota at 1 % from 6 s, when every call is up): unlimited, a worker with 10
 * calls uses 8-9 % of a core; at 1 % it is throttled in every 100 ms period
 * and its heartbeats show 0.9-1.1 %. Its calls' received jitter ends at
 * 24-30 ms (ten of ten, five runs two at a time), the other worker's at
 * 0.1-4 ms; under the sanitizer build 21-137 ms against 0-4 ms (five runs),
 * the starved worker falling behind. RFC 3550 jitter of audio read in bursts
 * once a period stays under about 40 ms whatever the quota at this period,
 * and the E-model here counts jitter only past 40 ms (a 2 x jitter buffer
 * beyond 100 ms of delay): MOS stays 4.41, and no packet is lost (the
 * kernel's socket buffers hold a period's audio). 2 % gave 22-24 ms, too
 * near the 20 ms warning; 20 or 30 calls at 1 %, the same 25-35 ms. The
 * quota from the run's start slowed the worker's registrations too (under
 * the sanitizer build its run took 14 s instead of 4): hence at_s. */
#include "cpu_quota.h"

const struct fault fault_worker_cpu_saturation = {
        .code = "worker.cpu_saturation",
        .summary = "one worker's CPU quota is too small for the media of its calls",
        .applied = "from the run's start, or at_s: the aimed workers' CPU cgroup quota",
        .reverted = "at until_s, or in the next lab: the quota lifted",
        .params = {{"cpu_pct", FP_NUMBER, "2", 0.1, 100, "% of one core",
                    "the CPU share each aimed worker keeps", NULL}},
        .topology = cpu_quota_topology,
        .run_start = cpu_quota_on,
        .run_stop = cpu_quota_off,
        .scopes = FAULT_SCOPE_WORKER,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};

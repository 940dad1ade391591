/* reg.worker_overloaded — one worker has far less CPU than its endpoints
 * need while the others have room. Mechanism: the CPU cgroup of the worker
 * it is aimed at (scope.workers). From at_s into the run its quota is
 * cpu_pct percent of one core, lifted at until_s. Starved, the worker sends its
 * REGISTERs late and reads their answers later still; the endpoints not
 * registered when its run deadline comes fail (REGISTRATION_FAILED, no final
 * answer before the run ended). Its heartbeats are late but small and still
 * get out, and the quota is lifted between the worker's deadline and the
 * gateway's, so it stays ONLINE and delivers its results: not a worker
 * disconnect. The remedy is the quota removed (or fewer endpoints on it).
 *
 * Measured (2 cores, cgroup v1, time scale 0.1, scenarios/
 * reg_worker_overloaded.json): at 0.1 % (1 ms of CPU per 1 s period, the
 * kernel's least quota and longest period; the worker gets ~1.3 ms a
 * second) a worker's endpoints progress together and register in a burst
 * near the end: 60 of them took 80 to 110 s of the scenario, a race with the
 * worker's deadline (82 s from when it reads its dispatch — itself 10 to
 * 30 s late when the quota came at the run's start, hence at_s: 1 s, after
 * the dispatch is read). With 100 a worker and a 10 s buildup (12 to 17 of
 * them registered before the quota), three runs at once: 83 to 89 of its 100
 * failed to register, the other worker's 100 all registered. Even 1 %
 * starved nothing: registering costs well under 1 ms an endpoint. Its
 * heartbeats came up to 8 s apart (79 s of the scenario's time, more than
 * the default gateway timeout of 60 s): the scenario's timeout, 160 s, is
 * longer than the quota lasts plus a heartbeat, so even a silent worker
 * stays ONLINE. The quota is lifted at 150 s: after the worker's deadline
 * (90 s), and 2.2 s (real) before the gateway's (172 s) for the worker to
 * send its results. */
#include "cpu_quota.h"

const struct fault fault_reg_worker_overloaded = {
        .code = "reg.worker_overloaded",
        .summary = "one worker has too little CPU for its endpoints",
        .applied = "from the run's start, or at_s: the aimed workers' CPU cgroup quota, lifted at "
                   "until_s",
        .reverted = "at until_s, or in the next lab: the quota lifted",
        .params = {{"cpu_pct", FP_NUMBER, "0.1", 0.1, 100, "% of one core",
                    "the CPU share each aimed worker keeps", NULL}},
        .topology = cpu_quota_topology,
        .run_start = cpu_quota_on,
        .run_stop = cpu_quota_off,
        .scopes = FAULT_SCOPE_WORKER,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};

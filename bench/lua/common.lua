-- Prepended to every scenario by bench/wrk.py, after the `CONFIG = {...}` table it writes.
--
-- CONFIG.rate (requests/s, optional): pace the requests with wrk's delay(), which wrk
-- calls before each request of every connection. The thread hands out send slots
-- 1/rate apart on the monotonic clock (LuaJIT's ffi: clock_gettime); a connection
-- waits for its slot, so requests leave at a fixed rate whatever the latency, as long
-- as a connection is free. When every connection is busy the slot is "now" (no burst
-- to catch up): the achieved rate is what the summary reports. wrk's delays have 1 ms
-- resolution, so a request leaves within half a millisecond of its slot.
--
-- done() prints one line, `BENCH_JSON {...}`: the counts, errors and latency
-- percentiles (microseconds) that bench/wrk.py reads.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local bench_ts = ffi.new("bench_timespec")

local function now_ms()
   ffi.C.clock_gettime(1, bench_ts) -- CLOCK_MONOTONIC
   return tonumber(bench_ts.tv_sec) * 1000 + tonumber(bench_ts.tv_nsec) / 1e6
end

if CONFIG.rate and CONFIG.rate > 0 then
   local interval = 1000 / CONFIG.rate
   local next_slot = nil
   function delay()
      local now = now_ms()
      if next_slot == nil or next_slot < now then
         next_slot = now
      end
      local wait = next_slot - now
      next_slot = next_slot + interval
      return math.floor(wait + 0.5)
   end
end

wrk.headers["Authorization"] = "Bearer " .. CONFIG.token
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
   local e = summary.errors
   local out = string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
      '"p50": %d, "p90": %d, "p99": %d, "p999": %d}}',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9))
   io.write("BENCH_JSON " .. out .. "\n")
end

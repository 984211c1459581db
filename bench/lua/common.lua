-- Shared by the benchmark's wrk scripts: per-thread slices of a request file, status
-- counts gathered from every thread, and one JSON line of results for bench/run.py.

local M = {}
local threads = {}
local counter = 0

function M.setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function M.thread_count()
   return counter
end

-- Lines of `path` that belong to this thread (round robin over `count` threads); with
-- `shared`, a file shorter than the thread count is used whole by every thread.
function M.slice(path, index, count, shared)
   local mine, all, n = {}, {}, 0
   for line in io.lines(path) do
      if line ~= "" then
         if n % count == index then
            table.insert(mine, line)
         end
         table.insert(all, line)
         n = n + 1
      end
   end
   if shared and #mine == 0 then
      return all
   end
   return mine
end

function M.done(summary, latency, requests)
   local statuses, exhausted = {}, 0
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for status, n in pairs(counts) do
         statuses[status] = (statuses[status] or 0) + n
      end
      exhausted = exhausted + (thread:get("exhausted") or 0)
   end
   local parts = {}
   for status, n in pairs(statuses) do
      table.insert(parts, string.format('"%s": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "socket_errors": %d, ' ..
      '"timeouts": %d, "exhausted_threads": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean,
      e.connect + e.read + e.write, e.timeout, exhausted, table.concat(parts, ", ")))
end

return M

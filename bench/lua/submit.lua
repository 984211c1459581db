-- POST /api/v1/cancellations, each request on a different order.
-- wrk ... -s bench/lua/submit.lua URL -- <requests file> <thread count> <key 1> [<key 2> ...]
-- Request file lines: "<key number, from 1>\t<idempotency key>\t<JSON body>".
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local queue, position = {}, 0
statuses, exhausted = {}, 0

function init(args)
   local keys = {}
   for i = 3, #args do
      keys[i - 2] = args[i]
   end
   for _, line in ipairs(common.slice(args[1], thread_index, tonumber(args[2]))) do
      local key, idempotency, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
      table.insert(queue, wrk.format("POST", "/api/v1/cancellations", {
         ["Authorization"] = "Bearer " .. keys[tonumber(key)],
         ["Content-Type"] = "application/json",
         ["Idempotency-Key"] = idempotency,
      }, body))
   end
end

function request()
   position = position + 1
   if position > #queue then
      -- Out of fresh orders: stop rather than send a duplicate that would be refused.
      exhausted = 1
      wrk.thread:stop()
      return queue[#queue]
   end
   return queue[position]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

-- GET a list of paths in turn (headers such as Authorization or Cookie come from -H).
-- wrk ... -s bench/lua/get.lua URL -- <paths file> <thread count>
package.path = "bench/lua/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local queue, position = {}, 0
statuses = {}

function init(args)
   for _, path in ipairs(common.slice(args[1], thread_index, tonumber(args[2]), true)) do
      table.insert(queue, wrk.format("GET", path))
   end
end

function request()
   position = position % #queue + 1
   return queue[position]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

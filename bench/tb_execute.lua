-- wrk script: TradeBoss credit-limit adjustments, every request with a unique
-- requestUniqueNo, OPEN_POSITION and NORMAL_CLOSE mixed over BENCH_USERS users.
-- Usage: wrk ... -s bench/tb_execute.lua URL -- <run-prefix> <users>
local threads = {}
local counter = 0

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   prefix = args[1] or "run"
   users = tonumber(args[2] or "10000")
   tid = wrk.thread:get("tid")
   math.randomseed(tid * 7919 + os.time())
   path = "/api/cats-gateway/external-system-credit-limit-adjustment"
end

function request()
   counter = counter + 1
   local u = math.random(0, users - 1)
   local op = (counter % 2 == 0) and "OPEN_POSITION" or "NORMAL_CLOSE"
   local now = os.time() * 1000
   local body = string.format(
      '{"thirdServerCode":"bench","userName":"u%d","currency":"USD","bizType":1,' ..
      '"operationType":"%s","amount":"1.00","amountDigits":2,"orderId":%d,' ..
      '"requestUniqueNo":"%s-%d-%d","requestTime":%d,"ip":"127.0.0.1"}',
      u, op, counter, prefix, tid, counter, now)
   local headers = {
      ["Content-Type"] = "application/json",
      ["trace"] = string.format("%s-%d-%d", prefix, tid, counter),
      ["companyId"] = "7",
      ["timestamp"] = tostring(now),
   }
   return wrk.format("POST", path, headers, body)
end

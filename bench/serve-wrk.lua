-- wrk script for bench/serve.sh: POSTs the JSON bodies of a file (one per line) in turn to
-- the path given as the second argument, and prints one JSON line of results at the end.
local bodies, i, path = {}, 0, "/api/predict"

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  if args[2] then path = args[2] end
  i = math.random(#bodies)  -- threads start at different places in the file
end

function request()
  i = i % #bodies + 1
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  local s = summary.duration / 1e6
  io.write(string.format('{"requests": %d, "seconds": %.3f, "rps": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, ' ..
                         '"socket_errors": %d, "non_2xx": %d}\n',
    summary.requests, s, summary.requests / s, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end

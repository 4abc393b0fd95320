-- wrk script for scripts/bench-cfssl.sh: POSTs one JSON body per request, each body (one a
-- line of BENCH_BODIES) used once; thread t of BENCH_THREADS takes lines t+1, t+1+n, ...
-- BENCH_TOKEN, when set, goes in an Authorization: Bearer header. done() prints one RESULT
-- line (microseconds) that the script parses; `wrapped` counts requests that had to reuse a
-- body because the file ran out (for provisiond a reuse is a re-key, not a fresh signature).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    bodies[#bodies + 1] = line
  end
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  k = 0
  wrapped = 0
  headers = { ["Content-Type"] = "application/json" }
  local token = os.getenv("BENCH_TOKEN")
  if token ~= nil and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  local i = tid + 1 + k * nthreads
  k = k + 1
  if i > #bodies then
    wrapped = wrapped + 1
    i = (i - 1) % #bodies + 1
  end
  return wrk.format("POST", nil, headers, bodies[i])
end

function done(summary, latency, requests)
  local reused = 0
  for _, t in ipairs(threads) do
    reused = reused + t:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d wrapped=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), reused))
end

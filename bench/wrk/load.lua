-- wrk script for the benchmarks: counts responses per status in every thread and prints
-- one line "BENCH {json}" with requests, duration, latency percentiles and statuses.
--
-- With BENCH_BODIES set (a file of JSON object tails, one per line, each the rest of a
-- submission body after its submission_id), every request is a POST of a new submission:
-- {"submission_id":"<BENCH_RUN>-<thread>-<n>",<tail>. Submission ids never repeat, so
-- every request must be stored (201).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  statuses = {}
  sent = 0
  local path = os.getenv("BENCH_BODIES")
  if path and path ~= "" then
    tails = {}
    for line in io.lines(path) do
      table.insert(tails, line)
    end
    prefix = '{"submission_id":"' .. os.getenv("BENCH_RUN") .. "-" .. thread_number .. "-"
    headers = { ["Content-Type"] = "application/json" }
  end
end

function request()
  if tails then
    sent = sent + 1
    local body = prefix .. sent .. '",' .. tails[(sent % #tails) + 1]
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.request()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  local posted = 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
    posted = posted + (thread:get("sent") or 0)
  end
  local parts = {}
  for status, count in pairs(totals) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"sent":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, posted, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, table.concat(parts, ",")))
end

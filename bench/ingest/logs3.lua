-- wrk script: POST /logs3 with TV_BENCH_SPANS spans of about 2 KB each, every
-- span a new id (one trace per request). Project from TV_BENCH_PROJECT.
local key = os.getenv("TV_BENCH_KEY")
local project = os.getenv("TV_BENCH_PROJECT")
local spans = tonumber(os.getenv("TV_BENCH_SPANS") or "1")
local counter = 0
local prefix = ""
local blob = ""

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  prefix = string.format("%08x", math.random(0, 0x7fffffff))
  local words = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"}
  local parts = {}
  for i = 1, 300 do parts[i] = words[math.random(1, #words)] end
  blob = table.concat(parts, " ")  -- about 1.8 KB of text
end

function request()
  counter = counter + 1
  local root = string.format("%s%024x", prefix, counter)
  local rows = {}
  for i = 1, spans do
    local id = string.format("%s-%d-%d", prefix, counter, i)
    local parent = i == 1 and "" or string.format(',"span_parents":["%s-%d-1"]', prefix, counter)
    rows[i] = string.format(
      '{"id":"%s","span_id":"%s","root_span_id":"%s"%s,"project_id":"%s","log_id":"g",' ..
      '"input":{"text":"%s"},"output":"ok %d","scores":{"quality":0.5},' ..
      '"metrics":{"start":1795425629.024,"end":1795425629.5,"tokens":%d},' ..
      '"span_attributes":{"name":"step","type":"llm"}}',
      id, id, root, parent, project, blob, i, i)
  end
  local body = '{"rows":[' .. table.concat(rows, ",") .. '],"api_version":2}'
  return wrk.format("POST", "/logs3", {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

-- wrk script: POST /api/v1/uweets as the bearer token in $UW_TOKEN, a new text each time.
local token = os.getenv("UW_TOKEN")
local counter = 0
local thread_id = 0
setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end
request = function()
  counter = counter + 1
  local body = '{"text":"wrk post ' .. counter .. ' from thread ' .. thread_id .. ' with eighty characters of ordinary text"}'
  return wrk.format("POST", "/api/v1/uweets",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

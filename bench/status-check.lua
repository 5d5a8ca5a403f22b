-- wrk script: getClientStatus as an API client sends it, every answer
-- checked (HTTP 200 and the status envelope), for t/410-stress.t and
-- bench/soak.sh.  done() prints one line:
--   good N bad N errors N closed N
-- where errors are wrk's connect, write, status and timeout errors and
-- closed its read errors (a connection the server closed: a reload closes
-- idle keep-alive connections, a crash closes all of its worker's).
wrk.method = "POST"
wrk.body   = '{"apiVersion":"1.0","context":"s","method":"getClientStatus"}'
wrk.headers["Content-Type"] = "application/json"

local threads = {}
local head = '{"apiVersion":"1.0","context":"s","method":"getClientStatus",'
             .. '"data":{"status":{'

function setup(thread) table.insert(threads, thread) end

function init() good = 0; bad = 0 end

function response(status, headers, body)
    if status == 200 and body:sub(1, #head) == head then
        good = good + 1
    else
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local g, b, e = 0, 0, summary.errors
    for _, t in ipairs(threads) do g = g + t:get("good"); b = b + t:get("bad") end
    io.write(string.format("good %d bad %d errors %d closed %d\n", g, b,
        e.connect + e.write + e.status + e.timeout, e.read))
end

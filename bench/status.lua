-- wrk request for bench/run.sh: getClientStatus exactly as an API client
-- sends it.  The ceiling location gets the same request, so the two runs
-- differ only in who produces the (identical) answer.
wrk.method = "POST"
wrk.body   = '{"apiVersion":"1.0","context":"bench","method":"getClientStatus"}'
wrk.headers["Content-Type"] = "application/json"

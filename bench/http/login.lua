-- wrk script: POST /api/apikey/login with the key from the environment.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TV_BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"

-- send.lua -- wrk script: durable message sends against posternd.
--
--   wrk -t2 -c64 -d10s -s bench/send.lua http://127.0.0.1:PORT -- USERS_FILE NTHREADS TAG [PART NPARTS [RECEIVER]]
--
-- USERS_FILE comes from bench/setup.py ("S name user_id token thread_a thread_b" lines). wrk thread k
-- (1-based) takes the senders k, k+NTHREADS, k+2*NTHREADS, ...; with -c64 -t2 and 64 senders each wrk thread
-- owns 32 senders for its 32 connections. With PART and NPARTS (several wrk processes sharing the senders,
-- e.g. one per server node), process PART (0-based) of NPARTS takes only its share: sender i goes to wrk
-- thread k of part PART when i mod (NTHREADS*NPARTS) = PART*NTHREADS + k-1. Give each part its own TAG.
-- RECEIVER b sends into each sender's thread with recv_b instead of recv_a (the default, a). wrk gives a script no handle on the connection a request goes to,
-- so a thread hands its senders out round robin (request i of the thread goes as sender i mod 32): each
-- sender has one request in flight on average, as if it had its own connection.
-- Every request is POST /v1/threads/{thread_a}/messages (or thread_b) with a unique client_msg_id (TAG-thread-counter)
-- and a 1 KiB body (base64url of 1024 random bytes, no padding; 16 different bodies per thread).
-- done() prints the answers by HTTP status and one machine-readable line for bench/run.sh:
--   SENDRESULT requests=N duration_s=S rps=R ok2xx=N non2xx=N socket_errors=N

local threads = {}
local nextid = 0

function setup(thread)
	nextid = nextid + 1
	thread:set("tid", nextid)
	table.insert(threads, thread)
end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function b64url(s)
	local out = {}
	local n = #s
	for i = 1, n, 3 do
		local a, b, c = s:byte(i, i + 2)
		local v = a * 65536 + (b or 0) * 256 + (c or 0)
		local k = math.floor(v / 262144) % 64
		local l = math.floor(v / 4096) % 64
		local m = math.floor(v / 64) % 64
		local o = v % 64
		out[#out + 1] = b64chars:sub(k + 1, k + 1) .. b64chars:sub(l + 1, l + 1)
		if b then out[#out + 1] = b64chars:sub(m + 1, m + 1) end
		if c then out[#out + 1] = b64chars:sub(o + 1, o + 1) end
	end
	return table.concat(out)
end

local senders = {}
local bodies = {}
local counter = 0
local tag = "w"
statuses = {}

function init(args)
	local file, nthreads = args[1], tonumber(args[2])
	local part, nparts = tonumber(args[4] or "0"), tonumber(args[5] or "1")
	local receiver = args[6] or "a"
	tag = (args[3] or "w") .. tid
	local i = 0
	for line in io.lines(file) do
		local kind, _, _, token, thread_a, thread_b = line:match("^(%S+) (%S+) (%S+) (%S+) (%S+) ?(%S*)")
		if kind == "S" then
			if i % (nthreads * nparts) == part * nthreads + tid - 1 then
				senders[#senders + 1] = {
					path = "/v1/threads/" .. (receiver == "b" and thread_b or thread_a) .. "/messages",
					headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"},
				}
			end
			i = i + 1
		end
	end
	assert(#senders > 0, "send.lua: no senders for thread " .. tid)
	local rnd = assert(io.open("/dev/urandom", "rb"))
	for k = 1, 16 do
		bodies[k] = b64url(rnd:read(1024))
		assert(#bodies[k] == 1366)
	end
	rnd:close()
end

function request()
	counter = counter + 1
	local s = senders[counter % #senders + 1]
	local body = '{"client_msg_id":"' .. tag .. "-" .. counter .. '","body":"' .. bodies[counter % 16 + 1] .. '"}'
	return wrk.format("POST", s.path, s.headers, body)
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local all = {}
	for _, t in ipairs(threads) do
		local st = t:get("statuses")
		for code, n in pairs(st) do
			all[code] = (all[code] or 0) + n
		end
	end
	local ok, bad = 0, 0
	local codes = {}
	for code, n in pairs(all) do
		codes[#codes + 1] = code
		if code >= 200 and code < 300 then ok = ok + n else bad = bad + n end
	end
	table.sort(codes)
	for _, code in ipairs(codes) do
		io.write(string.format("  HTTP %d: %d responses\n", code, all[code]))
	end
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format("SENDRESULT requests=%d duration_s=%.3f rps=%.1f ok2xx=%d non2xx=%d socket_errors=%d " ..
		"lat_p50_ms=%.2f lat_p99_ms=%.2f\n",
		summary.requests, secs, summary.requests / secs, ok, bad, e.connect + e.read + e.write + e.timeout,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

-- wrk script of bench/api-pg's "many accounts" run: each request reads
-- the user of one of the accounts listed in the file $BENCH_TARGETS (a
-- line "TOKEN PATH" each), chosen at random.
local targets = {}
for line in io.lines(os.getenv("BENCH_TARGETS")) do
	local tok, path = line:match("^(%S+) (%S+)$")
	if tok then
		targets[#targets + 1] = { tok, path }
	end
end
-- Each thread of wrk runs this in a state of its own: a seed of its own.
math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))

request = function()
	local t = targets[math.random(#targets)]
	return wrk.format("GET", t[2], { ["Authorization"] = "Bearer " .. t[1] })
end

-- Holds a product for a synchronous (write-through) write, so no write is staged on the row it
-- is about to replace. Synchronous writers share the hold (the database orders them); only
-- stagers wait for it (stage.lua).
-- KEYS[1]: the product's pending hash (see stage.lua)
-- KEYS[2]: the product's holders: a sorted set of tokens, scored by when their hold lapses
-- ARGV[1]: the holder's token
-- ARGV[2]: how long the hold lasts, in ms (a holder that died frees it then)
-- Returns 'held', or 'pending' when a staged write must reach the database first.
if redis.call('HEXISTS', KEYS[1], 'state') == 1 then
  return 'pending'
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 'held'

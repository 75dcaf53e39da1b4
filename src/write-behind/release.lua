-- Releases a product held by hold.lua and moves the fence past the synchronous write, so a
-- writer that read the row before it (see stage.lua) reads it again.
-- KEYS[1]: the product's pending hash (see stage.lua)
-- KEYS[2]: the product's holders (see hold.lua)
-- ARGV[1]: the holder's token
-- ARGV[2]: the version the write committed, '+' for a deletion, or '' if nothing was written
-- ARGV[3]: how long the fence lives, in ms
-- Returns 1.
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == '' or redis.call('HEXISTS', KEYS[1], 'state') == 1 then
  return 1
end
-- Always forward, even past a row the fence is ahead of (after a refused write): what matters
-- is that the version a stager saw before this write is no longer current.
local fence = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local committed = tonumber(ARGV[2]) or 0
redis.call('HSET', KEYS[1], 'version', math.max(fence + 1, committed))
if committed > fence then
  -- The row is past every version handed out: the record of a refused write has done its work.
  redis.call('HDEL', KEYS[1], 'rejected_through', 'reason')
end
if redis.call('HEXISTS', KEYS[1], 'rejected_through') == 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1

-- Answers the epoch of this Redis's data, creating it if missing.
-- KEYS[1]: the epoch key, e.g. `product:epoch`
-- ARGV[1]: a new epoch (random), stored if there is none
-- Returns the stored epoch: ARGV[1] when there was none. An instance that knew another one is
-- looking at a Redis that lost its data (a restart without persistence, a FLUSHALL).
local epoch = redis.call('GET', KEYS[1])
if epoch then
  return epoch
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]

-- Raises tag versions to at least the caller's copies, then, to invalidate, moves some on.
-- KEYS[1]: the tags hash, e.g. `product:tags` (tag -> version)
-- ARGV[1]: '1' to move each tag named below on by one (an invalidation), '0' to only raise
-- ARGV[2..]: tag, the caller's version of it, tag, version, …
-- Returns, flat: every tag and its version now (raise), or the moved tags' new versions (move).
-- A hash lost with a Redis restart, a flush or an eviction would otherwise count again from 1,
-- below the versions entries were stamped with, and invalidations would stop outdating them:
-- as the key version, a tag version never goes backwards.
local move = ARGV[1] == '1'
local moved = {}
for i = 2, #ARGV, 2 do
  local tag = ARGV[i]
  local known = tonumber(ARGV[i + 1]) or 0
  local stored = tonumber(redis.call('HGET', KEYS[1], tag) or '')
  if stored == nil or stored < known then
    redis.call('HSET', KEYS[1], tag, known)
  end
  if move then
    table.insert(moved, tag)
    table.insert(moved, redis.call('HINCRBY', KEYS[1], tag, 1))
  end
end
if move then
  return moved
end
return redis.call('HGETALL', KEYS[1])

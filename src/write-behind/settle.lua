-- Ends a pending write once the database took it or refused it, unless a newer write was staged
-- meanwhile (that one keeps its state and its own job). The version stays in the hash as a
-- fence for stage.lua.
-- KEYS[1]: the product's pending hash (see stage.lua)
-- KEYS[2]: the set of product ids with a pending write
-- ARGV[1]: the product id
-- ARGV[2]: the version that was applied or refused
-- ARGV[3]: '' when the database took it; else why it refused it
-- ARGV[4]: how long the fence lives after a write the database took, in ms
-- Returns 1 if settled, 0 if the pending write is no longer that version.
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] or redis.call('HEXISTS', KEYS[1], 'state') == 0 then
  return 0
end
redis.call('HDEL', KEYS[1], 'state')
redis.call('SREM', KEYS[2], ARGV[1])
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], 'rejected_through', 'reason')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
else
  -- Kept for good: the jobs of the writes coalesced into this one fail with the reason, and the
  -- row, now older than the fence, must not hand these versions (and job ids) out again.
  redis.call('HSET', KEYS[1], 'rejected_through', ARGV[2], 'reason', ARGV[3])
end
return 1

-- Ends a pending write once the database took it or refused it, unless a newer write was staged
-- meanwhile (that one keeps its state and its own job). The version stays in the hash as a
-- fence for stage.lua.
-- KEYS[1]: the product's pending hash (see stage.lua)
-- ARGV[1]: the version that was applied or refused
-- ARGV[2]: '' when the database took it; else why it refused it
-- ARGV[3]: how long the fence lives after a write the database took, in ms
-- Returns 1 if settled, 0 if the pending write is no longer that version.
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] or redis.call('HEXISTS', KEYS[1], 'state') == 0 then
  return 0
end
redis.call('HDEL', KEYS[1], 'state')
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'rejected_through', 'reason')
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  -- Kept for good: the jobs of the writes coalesced into this one fail with the reason, and the
  -- row, now older than the fence, must not hand these versions (and job ids) out again.
  redis.call('HSET', KEYS[1], 'rejected_through', ARGV[1], 'reason', ARGV[2])
end
return 1

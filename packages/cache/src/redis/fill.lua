-- Stores a loaded entry unless an invalidation overtook its load (a "fenced fill").
-- KEYS[1]: the entry key; KEYS[2]: its generation; KEYS[3]: its lease (see acquire.lua)
-- ARGV[1]: the encoded entry
-- ARGV[2]: the entry's lifetime in ms
-- ARGV[3]: the generation the loader saw before it started (from acquire.lua)
-- ARGV[4]: the loader's lease token, or '' if it loaded without the lease
-- ARGV[5]: '1' (unique generations); '0': a missing generation counts as '0' (see acquire.lua)
-- Returns 1 if stored, 0 if fenced. Either way the caller's lease is released.
-- Without this check a slow load that read the row before a write, and finishes after the
-- write's invalidation, would store the old row for a whole TTL: Facebook's "stale set". A
-- generation gone missing (flushed, evicted, Redis restarted empty) fences too: whatever
-- happened meanwhile is unknown.
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) == ARGV[4] then
  redis.call('DEL', KEYS[3])
end
local generation = redis.call('GET', KEYS[2])
if not generation and ARGV[5] == '0' then
  generation = '0'
end
if generation ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1

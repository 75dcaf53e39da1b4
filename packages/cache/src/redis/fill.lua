-- Stores loaded entries, each unless an invalidation overtook its load (a "fenced fill").
-- KEYS: one triple per entry, each in one hash slot: the entry key; its generation; its lease
--   (see acquire.lua)
-- ARGV[1]: '1' (unique generations); '0': a missing generation counts as '0' (see acquire.lua)
-- Then four per entry, in the order of KEYS:
--   the encoded entry; its lifetime in ms; the generation the loader saw before it started
--   (from acquire.lua); the loader's lease token, or '' if it loaded without the lease
-- Returns, per entry, 1 if stored, 0 if fenced. Either way the caller's lease is released.
-- Without this check a slow load that read the row before a write, and finishes after the
-- write's invalidation, would store the old row for a whole TTL: Facebook's "stale set". A
-- generation gone missing (flushed, evicted, Redis restarted empty) fences too: whatever
-- happened meanwhile is unknown.
local stored = {}
for i = 1, #KEYS, 3 do
  local at = 2 + (i - 1) / 3 * 4
  local token = ARGV[at + 3]
  if token ~= '' and redis.call('GET', KEYS[i + 2]) == token then
    redis.call('DEL', KEYS[i + 2])
  end
  local generation = redis.call('GET', KEYS[i + 1])
  if not generation and ARGV[1] == '0' then
    generation = '0'
  end
  if generation == ARGV[at + 2] then
    redis.call('SET', KEYS[i], ARGV[at], 'PX', ARGV[at + 1])
    stored[#stored + 1] = 1
  else
    stored[#stored + 1] = 0
  end
end
return stored

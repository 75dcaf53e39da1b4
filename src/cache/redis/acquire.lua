-- Reads an entry for a caller about to load it, and tries to take the key's lease.
-- KEYS[1]: the entry key, e.g. `product:v1:42`
-- KEYS[2]: its generation, `{product:v1:42}:gen` (same hash slot: the tag is the entry key)
-- KEYS[3]: its lease, `{product:v1:42}:lease`
-- ARGV[1]: the caller's lease token (random)
-- ARGV[2]: the lease's lifetime in ms (it frees itself if its holder dies)
-- ARGV[3]: 'absent' = take the lease only when there is no entry (a miss);
--          'always' = take it even over an entry (refreshing a stale one)
-- Returns { entry or false, generation (string), 1 if the lease is now the caller's else 0 }.
-- The caller keeps the generation and passes it to fill.lua: a fill is refused if an
-- invalidation has moved the generation since, however the load went.
local entry = redis.call('GET', KEYS[1])
local generation = redis.call('GET', KEYS[2]) or '0'
local leased = 0
if ARGV[3] == 'always' or not entry then
  if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then
    leased = 1
  elseif redis.call('GET', KEYS[3]) == ARGV[1] then
    leased = 1
  end
end
return { entry or false, generation, leased }

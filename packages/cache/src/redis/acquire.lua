-- Reads entries for a caller about to load them, and tries to take each one's lease.
-- KEYS: one triple per entry, each in one hash slot (the tag is the entry key):
--   the entry key, e.g. `product:v1:42`; its generation, `{product:v1:42}:gen`;
--   its lease, `{product:v1:42}:lease`
-- ARGV[1]: the caller's lease token (random)
-- ARGV[2]: the lease's lifetime in ms (it frees itself if its holder dies)
-- ARGV[3]: 'absent' = take a lease only when there is no entry (a miss);
--          'always' = take it even over an entry (refreshing a stale one)
-- ARGV[4]: how long a generation created here lives, in ms: longer than a load takes
-- ARGV[5]: '1' (unique generations, see below); '0' only to show what they protect against:
--          a key without a generation is then at '0', and invalidate.lua counts from there
-- Returns, per entry in order: entry or false, generation (string), 1 if the lease is now the
-- caller's else 0 (a flat list of triples).
-- The caller keeps the generation and passes it to fill.lua: a fill is refused if an
-- invalidation has moved the generation since, however the load went. A key without one gets
-- a new one here, never used before (the caller's random token), so a generation that vanishes
-- (a flush, an eviction, a restart) refuses the fill too, and none can come back to a value a
-- load saw before.
local answers = {}
for i = 1, #KEYS, 3 do
  local entry = redis.call('GET', KEYS[i])
  local generation = redis.call('GET', KEYS[i + 1])
  if not generation and ARGV[5] == '0' then
    generation = '0'
  elseif not generation then
    generation = ARGV[1]
    redis.call('SET', KEYS[i + 1], generation, 'PX', ARGV[4])
  end
  local leased = 0
  if ARGV[3] == 'always' or not entry then
    if redis.call('SET', KEYS[i + 2], ARGV[1], 'NX', 'PX', ARGV[2]) then
      leased = 1
    elseif redis.call('GET', KEYS[i + 2]) == ARGV[1] then
      leased = 1
    end
  end
  answers[#answers + 1] = entry or false
  answers[#answers + 1] = generation
  answers[#answers + 1] = leased
end
return answers

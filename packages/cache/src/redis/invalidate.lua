-- Invalidates an entry: deletes it, moves its generation on (so loads already under way cannot
-- store what they read before now), and frees its lease (so the next reader loads afresh).
-- KEYS[1]: the entry key; KEYS[2]: its generation; KEYS[3]: its lease (see acquire.lua)
-- ARGV[1]: how long the generation is kept, in ms: longer than any load can take
-- ARGV[2]: the new generation, never used before (random): unlike a counter, it cannot come
--          back to a value a load saw before Redis lost the key
-- ARGV[3]: '1' (unique generations); '0': count instead, from 1 again after a loss
-- Returns 1.
redis.call('DEL', KEYS[1], KEYS[3])
if ARGV[3] == '0' then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
else
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[1])
end
return 1

-- Invalidates an entry: deletes it, moves its generation on (so loads already under way cannot
-- store what they read before now), and frees its lease (so the next reader loads afresh).
-- KEYS[1]: the entry key; KEYS[2]: its generation; KEYS[3]: its lease (see acquire.lua)
-- ARGV[1]: how long the generation is kept, in ms: longer than any load can take
-- Returns the new generation.
redis.call('DEL', KEYS[1], KEYS[3])
local generation = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return generation

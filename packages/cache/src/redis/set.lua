-- Stores a value the application wrote (`cache.set`): the entry replaces whatever was there, and
-- the key moves to a new generation, so a load under way, which read the data before this
-- write, cannot store over it (fill.lua refuses it); the lease is freed for the next reader.
-- KEYS[1]: the entry key; KEYS[2]: its generation; KEYS[3]: its lease (see acquire.lua)
-- ARGV[1]: the encoded entry
-- ARGV[2]: the entry's lifetime in ms
-- ARGV[3]: how long the generation is kept, in ms: longer than any load can take
-- ARGV[4]: the new generation, never used before (random)
-- ARGV[5]: '1' (unique generations); '0': count instead, as invalidate.lua does
-- Returns 1.
redis.call('DEL', KEYS[3])
if ARGV[5] == '0' then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1

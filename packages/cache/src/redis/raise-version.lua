-- Raises a cache's shared key version to at least the caller's copy, then adds to it.
-- KEYS[1]: the version key, e.g. `product:version`.
-- ARGV[1]: the caller's local version (a decimal integer >= 1).
-- ARGV[2]: 0 to read the version (sync), 1 to bump it.
-- Returns the version now stored.
-- A missing key (Redis restarted empty) or one that is not a positive integer (someone typed in
-- redis-cli) is re-created from the caller's copy, and a lower one is raised to it: the version
-- never goes backwards, and instances that disagree converge on the highest.
local stored = redis.call('GET', KEYS[1])
if not (stored and string.match(stored, '^[1-9]%d*$')) or tonumber(stored) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return redis.call('INCRBY', KEYS[1], ARGV[2])

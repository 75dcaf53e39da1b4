-- Frees a lease its holder no longer needs (it found the entry refreshed by someone else).
-- KEYS[1]: the lease, e.g. `{product:v1:42}:lease`
-- ARGV[1]: the holder's token: a lease that has lapsed and been taken by another stays theirs.
-- Returns 1 if freed, 0 if the lease was not (or no longer) the caller's.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

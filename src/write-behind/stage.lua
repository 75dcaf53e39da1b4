-- Stages a product write: merges its fields into the latest state of the product, in one step,
-- so concurrent writers (on any instance) queue up instead of overwriting each other.
-- Every key carries the product's hash tag, so the script runs on Redis Cluster, and different
-- products' writes spread over its masters. The worker's sweep finds pending hashes by SCAN.
-- KEYS[1]: the product's pending hash: version, state (JSON, while pending), rejected_through,
--          reason (see settle.lua)
-- KEYS[2]: the product's synchronous-write holders (see hold.lua)
-- KEYS[3]: this write's receipt: the state it staged, kept a while, so that a writer whose call
--          timed out (in a stall, Redis may run it later) can ask whether it ran
-- ARGV[1]: the fields to write, a JSON object
-- ARGV[2]: the version If-Match expects, or '' for any
-- ARGV[3]: the new updated_at (ISO-8601)
-- ARGV[4]: the database row (JSON) to build on when nothing is pending, or '' to ask first
-- ARGV[5]: the hash's version the caller saw before it read that row ('' for no hash)
-- ARGV[6]: how long the receipt is kept, in ms
-- Returns {'staged', state}, {'need_base', version seen now}, {'precondition_failed', current
-- version} or {'busy'} while a synchronous write holds the product.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) -- holders that died
if redis.call('ZCARD', KEYS[2]) > 0 then
  return {'busy'}
end
local seen = redis.call('HGET', KEYS[1], 'version') or ''
local pending = redis.call('HGET', KEYS[1], 'state')
local base
if pending then
  base = cjson.decode(pending)
elseif ARGV[4] == '' or ARGV[5] ~= seen then
  -- Nothing pending: build on the database row, but only on one read after the last write this
  -- hash fenced (a persisted write, a synchronous one): a row read before it would be older.
  return {'need_base', seen}
else
  base = cjson.decode(ARGV[4])
end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= base.version then
  return {'precondition_failed', tostring(base.version)}
end
for field, value in pairs(cjson.decode(ARGV[1])) do
  base[field] = value
end
-- Above the fence too: after a rejected write the row is older than versions already handed out.
base.version = math.max(base.version, tonumber(seen) or 0) + 1
base.updated_at = ARGV[3]
local state = cjson.encode(base)
redis.call('HSET', KEYS[1], 'version', base.version, 'state', state)
redis.call('PERSIST', KEYS[1]) -- a pending write never expires
redis.call('SET', KEYS[3], state, 'PX', ARGV[6])
return {'staged', state}

import type { RedisClient } from './client.js'
import { LUA } from './lua.generated.js'

export interface LuaScript {
  /** The client method `defineCommand` adds; prefixed so it cannot clash with the app's scripts. */
  name: string
  numberOfKeys: number
  lua: string
}

export type ScriptCall = (
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>

/** A script of this folder, embedded at build (lua.generated.ts), so no file is read at import. */
export function coreScript(file: keyof typeof LUA, options: Omit<LuaScript, 'lua'>): LuaScript {
  return { ...options, lua: LUA[file] }
}

/**
 * Defines the script on the client once (ioredis then runs it by EVALSHA, falling back to EVAL
 * when Redis has lost its script cache, e.g. after a restart) and answers a typed way to call it.
 */
export function defineScript(redis: RedisClient, script: LuaScript): ScriptCall {
  if (typeof Reflect.get(redis, script.name) !== 'function') {
    redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua })
  }
  const command = Reflect.get(redis, script.name) as (
    ...args: (string | number)[]
  ) => Promise<unknown>
  return (keys, args) => command.call(redis, ...keys, ...args)
}

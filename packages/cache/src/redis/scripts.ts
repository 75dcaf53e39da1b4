import type { RedisClient } from './client.js'
import { LUA } from './lua.generated.js'

export interface LuaScript {
  /** The client method `defineCommand` adds; prefixed so it cannot clash with the app's scripts. */
  name: string
  /** How many KEYS each call passes; 'any' for a script that takes a list (e.g. one triple per entry). */
  numberOfKeys: number | 'any'
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
  const fixed = script.numberOfKeys === 'any' ? undefined : script.numberOfKeys
  if (typeof Reflect.get(redis, script.name) !== 'function') {
    // Without numberOfKeys, ioredis takes the count as the first argument of each call.
    redis.defineCommand(script.name, { numberOfKeys: fixed, lua: script.lua })
  }
  const command = Reflect.get(redis, script.name) as (
    ...args: (string | number)[]
  ) => Promise<unknown>
  if (fixed !== undefined) return (keys, args) => command.call(redis, ...keys, ...args)
  return (keys, args) => command.call(redis, keys.length, ...keys, ...args)
}

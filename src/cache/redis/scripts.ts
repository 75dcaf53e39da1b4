import { readFileSync } from 'node:fs'
import type { RedisClient } from './client.js'

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

/** Reads a script from this folder. The build must copy `*.lua` next to the compiled files. */
export function loadScript(file: string, options: Omit<LuaScript, 'lua'>): LuaScript {
  const url = new URL(`./${file}`, import.meta.url)
  try {
    return { ...options, lua: readFileSync(url, 'utf8') }
  } catch (error) {
    throw new Error(`Cannot read ${url.pathname}: is the build copying src/**/*.lua?`, {
      cause: error,
    })
  }
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

import type { LuaScript } from '@caching-strategies/cache'
import { LUA } from './lua.generated.js'

/** A script of this folder, embedded at build (lua.generated.ts, from the .lua file). */
function script(file: keyof typeof LUA, numberOfKeys: number): LuaScript {
  return { name: `writeBehind_${file.replace('.lua', '')}`, numberOfKeys, lua: LUA[file] }
}

export const STAGE = script('stage.lua', 3)
export const SETTLE = script('settle.lua', 1)
export const HOLD = script('hold.lua', 2)
export const RELEASE = script('release.lua', 2)

import { readFileSync } from 'node:fs'
import type { LuaScript } from '../cache/redis/scripts.js'

/** Reads a script of this folder; the build copies `*.lua` beside the compiled files. */
function load(file: string, numberOfKeys: number): LuaScript {
  const url = new URL(`./${file}`, import.meta.url)
  try {
    return {
      name: `writeBehind_${file.replace('.lua', '')}`,
      numberOfKeys,
      lua: readFileSync(url, 'utf8'),
    }
  } catch (error) {
    throw new Error(`Cannot read ${url.pathname}: is the build copying src/**/*.lua?`, {
      cause: error,
    })
  }
}

export const STAGE = load('stage.lua', 3)
export const SETTLE = load('settle.lua', 1)
export const HOLD = load('hold.lua', 2)
export const RELEASE = load('release.lua', 2)

// tsc compiles only TypeScript: copy the other files the code reads at run time (Lua scripts)
// from src/ to the same place under dist/.
import { cpSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
  if (file.endsWith('.lua')) cpSync(join('src', file), join('dist', file))
}

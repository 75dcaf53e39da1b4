// tsc compiles only TypeScript: copy the other files the code reads at run time from src/ to the
// same place under dist/: Redis scripts (*.lua) anywhere, and the dashboard's page, script and
// style sheet (src/http/dashboard/).
import { cpSync, readdirSync } from 'node:fs'
import { join, sep } from 'node:path'

const DASHBOARD = join('http', 'dashboard') + sep

for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
  if (file.endsWith('.lua') || file.startsWith(DASHBOARD)) {
    cpSync(join('src', file), join('dist', file), { recursive: true })
  }
}

// tsc compiles only TypeScript: copy the other files the code reads at run time from src/ to the
// same place under dist/: the dashboard's page, script and style sheet (src/http/dashboard/).
// (Redis scripts are embedded in TypeScript at build: see packages/cache/scripts/embed-lua.mjs.)
import { cpSync } from 'node:fs'
import { join } from 'node:path'

const DASHBOARD = join('http', 'dashboard')

cpSync(join('src', DASHBOARD), join('dist', DASHBOARD), {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
})

import { existsSync } from 'node:fs'

/**
 * Reads `.env` in the working directory, when there is one, into process.env with Node's own
 * parser (the format of `node --env-file`). A variable the real environment already has wins:
 * the file holds a developer's defaults, the environment the deployment's decisions. Answers
 * whether a file was read.
 */
export function loadEnvFile(path = '.env'): boolean {
  if (!existsSync(path)) return false
  process.loadEnvFile(path)
  return true
}

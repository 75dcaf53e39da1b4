import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  commandArgv,
  parseCopy,
  parseDockerfile,
  parseEnv,
  parseHealthcheck,
  type Stage,
} from './support/dockerfile.js'

const DOCKERFILE = new URL('../../docker/Dockerfile', import.meta.url)
const HEALTHCHECK_SCRIPT = new URL('../../docker/healthcheck.mjs', import.meta.url)

describe('the Dockerfile reader', () => {
  it('splits stages, joins continuations, drops comments and fills in global ARGs', () => {
    const stages = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG BASE=node:24-bookworm-slim',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ${} syntax
        'FROM ${BASE} AS build',
        'RUN apt-get update \\',
        '  # a comment inside a continuation',
        '  && apt-get install -y g++',
        'FROM build',
        'CMD ["node", "x.js"]',
      ].join('\n'),
    )
    expect(stages).toEqual([
      {
        name: 'build',
        from: 'node:24-bookworm-slim',
        instructions: [{ keyword: 'RUN', args: 'apt-get update    && apt-get install -y g++' }],
      },
      { name: '1', from: 'build', instructions: [{ keyword: 'CMD', args: '["node", "x.js"]' }] },
    ])
  })

  it('reads commands, HEALTHCHECK, ENV and COPY arguments', () => {
    expect(commandArgv('["node", "a.js"]')).toEqual(['node', 'a.js'])
    expect(commandArgv('npm start')).toEqual(['/bin/sh', '-c', 'npm start'])
    expect(parseHealthcheck('--interval=10s --timeout=3s CMD ["node", "h.mjs"]')).toEqual({
      options: { interval: '10s', timeout: '3s' },
      argv: ['node', 'h.mjs'],
    })
    expect(parseEnv('A=1   B=x=y')).toEqual({ A: '1', B: 'x=y' })
    expect(parseCopy('--from=deps --chown=node:node /app/node_modules ./node_modules')).toEqual({
      flags: { from: 'deps', chown: 'node:node' },
      sources: ['/app/node_modules'],
      destination: './node_modules',
    })
  })
})

describe('docker/Dockerfile', () => {
  const stages = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'))
  const final = stages.at(-1) as Stage
  const argsOf = (stage: Stage, keyword: string) =>
    stage.instructions.filter((it) => it.keyword === keyword).map((it) => it.args)
  const stageNamed = (name: string) => stages.find((stage) => stage.name === name)

  it('is multi-stage, and the final stage takes only built artefacts from the others', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3)
    const copiedFrom = argsOf(final, 'COPY').map((args) => parseCopy(args).flags.from)
    expect(copiedFrom).toContain('deps')
    expect(copiedFrom).toContain('build')
  })

  it('runs on a slim Node 24 image of its own, not on a stage that has compilers', () => {
    expect(final.from).toMatch(/^node:24(\.[\d.]+)?(-[a-z]+)?-slim$/)
    expect(stages.map((stage) => stage.name)).not.toContain(final.from)
  })

  it('installs no compiler or Python in the final stage', () => {
    for (const run of argsOf(final, 'RUN')) {
      expect(run).not.toMatch(/build-essential|g\+\+|gcc|clang|\bmake\b|python/)
    }
  })

  it('takes node_modules from a production-only install', () => {
    const copy = argsOf(final, 'COPY')
      .map(parseCopy)
      .find((it) => it.sources.some((source) => source.endsWith('node_modules')))
    const deps = stageNamed(copy?.flags.from ?? '')
    expect(deps, 'the stage node_modules comes from').toBeDefined()
    expect(argsOf(deps as Stage, 'RUN').join('\n')).toMatch(/npm ci\b.*--omit=dev/)
  })

  it('compiles TypeScript in a build stage and starts the compiled JavaScript', () => {
    expect(argsOf(stageNamed('build') as Stage, 'RUN')).toContain('npm run build')
    expect(argsOf(final, 'CMD').map(commandArgv)).toEqual([['node', 'dist/start/server.js']])
  })

  it('runs as a user other than root', () => {
    const user = argsOf(final, 'USER').at(-1)
    expect(user).toBeDefined()
    expect(user).not.toMatch(/^(root|0)(:|$)/)
  })

  it('checks its health on /health, with a command the slim image can run', () => {
    const [healthcheck] = argsOf(final, 'HEALTHCHECK')
    expect(healthcheck).toBeDefined()
    const { argv } = parseHealthcheck(healthcheck as string)
    expect(argv).toEqual(['node', 'healthcheck.mjs'])
    expect(readFileSync(HEALTHCHECK_SCRIPT, 'utf8')).toContain('/health')
    expect(
      argsOf(final, 'COPY')
        .map(parseCopy)
        .some((copy) => copy.sources.includes('docker/healthcheck.mjs')),
    ).toBe(true)
  })
})

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, ConfigSchema, loadConfig } from '../../src/config.js'
import { queuePrefix } from '../../src/queues/catalog-queue.js'
import { redisTarget } from '../../src/redis-target.js'
import { loadEnvFile } from '../../src/start/env-file.js'

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      PORT: 8000,
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_SENTINEL_MASTER: 'mymaster',
      WRITE_BEHIND_REPLICA_WAIT_MS: 500,
      CACHE_STRATEGY: 'full',
      CACHE_TTL_SECONDS: 300,
      CACHE_GRACE_SECONDS: 3600,
      NEGATIVE_TTL_SECONDS: 30,
      CACHE_EARLY_REFRESH_BETA: 1,
      L1_MAX_ITEMS: 10_000,
      L1_MAX_BYTES: 64 * 1024 * 1024,
      L1_TTL_SECONDS: 30,
      LEASE_WAIT_MS: 1000,
      LOADER_TIMEOUT_MS: 3000,
      CACHE_KEY_VERSION: 1,
      CONSISTENCY_CHECK_DELAYS_MS: '1000,10000',
      CONSISTENCY_SAMPLE_PER_SEC: 2,
      REDIS_KEY_PREFIX: '',
      REDIS_COMMAND_TIMEOUT_MS: 100,
      SEED_PRODUCTS: 10_000,
      DB_EXTRA_LATENCY_MS: 0,
      LOG_LEVEL: 'info',
      ROLE: 'all',
      WRITE_MODE: 'through',
      WARMUP_CRON: '*/10 * * * *',
      WARMUP_TOP_N: 100,
      JOB_ATTEMPTS: 5,
      JOB_LOCK_MS: 30_000,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      REQUEST_TIMEOUT_MS: 30_000,
      CONNECTION_TIMEOUT_MS: 72_000,
      MAX_CONNECTIONS: 10_000,
      AUTH_FAILURES_PER_MINUTE: 30,
      RATE_LIMIT_PER_MINUTE: 0,
      METRICS_ACCESS: 'public',
      TRUST_PROXY: 'false',
    })
  })

  it('reads and converts every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      ADMIN_TOKEN: 'a-token-of-thirty-two-characters',
      AUTH_FAILURES_PER_MINUTE: '0',
      RATE_LIMIT_PER_MINUTE: '600',
      CACHE_TTL_SECONDS: '60',
      REDIS_KEY_PREFIX: 'staging:',
      LOG_LEVEL: 'debug',
      CACHE_STRATEGY: 'naive',
      CACHE_EARLY_REFRESH_BETA: '0.5',
    })
    expect(config).toMatchObject({
      CACHE_STRATEGY: 'naive',
      CACHE_EARLY_REFRESH_BETA: 0.5,
      PORT: 9000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      CACHE_TTL_SECONDS: 60,
      REDIS_KEY_PREFIX: 'staging:',
      LOG_LEVEL: 'debug',
      ADMIN_TOKEN: 'a-token-of-thirty-two-characters',
      AUTH_FAILURES_PER_MINUTE: 0,
      RATE_LIMIT_PER_MINUTE: 600,
    })
  })

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ PORT: 8000 })
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined()
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '1.5'],
    ['PORT', '70000'],
    ['CACHE_TTL_SECONDS', '0'],
    ['CACHE_TTL_SECONDS', '1e3'],
    ['SEED_PRODUCTS', '-1'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['DATABASE_URL', 'mysql://root@localhost/test'],
    ['LOG_LEVEL', 'loud'],
    ['CACHE_STRATEGY', 'clever'],
    ['CACHE_EARLY_REFRESH_BETA', '1e3'],
    ['L1_MAX_ITEMS', '-1'],
    ['ROLE', 'both'],
    ['WRITE_MODE', 'later'],
    ['QUEUE_PREFIX', '{bull}'],
    ['REDIS_KEY_PREFIX', 'app{x}:'],
    ['REDIS_PERSISTENCE', 'rdb'],
    ['JOB_ATTEMPTS', '0'],
    ['AUTH_FAILURES_PER_MINUTE', '-1'],
    ['RATE_LIMIT_PER_MINUTE', '1.5'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}="${value}"`))
  })

  it('refuses an ADMIN_TOKEN under 32 characters, in words, without echoing it', () => {
    const token = 'a-token-of-31-characters-long!!'
    expect(token).toHaveLength(31)
    expect(() => loadConfig({ ADMIN_TOKEN: token })).toThrow(ConfigError)
    expect(() => loadConfig({ ADMIN_TOKEN: token })).toThrow(
      /ADMIN_TOKEN \(31 characters\): must be at least 32 characters/,
    )
    expect(() => loadConfig({ ADMIN_TOKEN: token })).not.toThrow(new RegExp(token))
    expect(loadConfig({ ADMIN_TOKEN: `${token}x` }).ADMIN_TOKEN).toBe(`${token}x`)
  })

  it('says in words why a REDIS_KEY_PREFIX may not hold a hash tag', () => {
    expect(() => loadConfig({ REDIS_KEY_PREFIX: 'a}' })).toThrow(
      /REDIS_KEY_PREFIX="a}": must not contain { or }: the hash tags in keys are the service's own/,
    )
  })

  it('derives the queue prefix from REDIS_KEY_PREFIX unless QUEUE_PREFIX is set', () => {
    expect(queuePrefix(loadConfig({}))).toBe('{bull}')
    expect(queuePrefix(loadConfig({ REDIS_KEY_PREFIX: 'staging:' }))).toBe('{staging:bull}')
    expect(queuePrefix(loadConfig({ REDIS_KEY_PREFIX: 'staging:', QUEUE_PREFIX: 'jobs' }))).toBe(
      '{jobs}',
    )
  })

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT=.*LOG_LEVEL=/)
  })

  it('refuses a WARMUP_CRON that BullMQ could not schedule, and names it with the reason', () => {
    expect(() => loadConfig({ WARMUP_CRON: '61 * * * * *' })).toThrow(
      /WARMUP_CRON="61 \* \* \* \* \*": not a cron pattern \(.*61.*\)/,
    )
    expect(() => loadConfig({ WARMUP_CRON: 'every ten minutes' })).toThrow(ConfigError)
    expect(loadConfig({ WARMUP_CRON: '0 */5 * * * *' }).WARMUP_CRON).toBe('0 */5 * * * *')
  })

  it('names every relation problem at once', () => {
    const both = { LEASE_WAIT_MS: '5000', LOADER_TIMEOUT_MS: '4000', WARMUP_CRON: 'not a cron' }
    expect(() => loadConfig(both)).toThrow(/LEASE_WAIT_MS=5000 .*; WARMUP_CRON=/)
  })

  it('refuses a lease wait that leaves no time to load after it', () => {
    const both = { LEASE_WAIT_MS: '3000', LOADER_TIMEOUT_MS: '3000' }
    expect(() => loadConfig(both)).toThrow(ConfigError)
    expect(() => loadConfig(both)).toThrow(
      /LEASE_WAIT_MS=3000 must be below LOADER_TIMEOUT_MS=3000/,
    )
    expect(loadConfig({ LEASE_WAIT_MS: '3000', LOADER_TIMEOUT_MS: '5000' }).LEASE_WAIT_MS).toBe(
      3000,
    )
  })

  describe('where Redis is', () => {
    it('is REDIS_URL unless a Cluster or sentinels are named', () => {
      expect(redisTarget(loadConfig({}))).toEqual({
        mode: 'standalone',
        url: 'redis://127.0.0.1:6379',
      })
      expect(
        redisTarget(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-2:7001' })),
      ).toEqual({
        mode: 'cluster',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: 'redis-2', port: 7001 },
        ],
      })
      const sentinel = loadConfig({
        REDIS_SENTINELS: 's1:26379,s2:26379',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_USERNAME: 'cache',
        REDIS_PASSWORD: 'node-secret',
      })
      expect(redisTarget(sentinel)).toEqual({
        mode: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
        ],
        masterName: 'mymaster',
        sentinelPassword: 'sentinel-secret',
        username: 'cache',
        password: 'node-secret',
      })
    })

    it('refuses two ways at once, naming both', () => {
      expect(() =>
        loadConfig({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' }),
      ).toThrow(/REDIS_URL and REDIS_CLUSTER_NODES are set: say where Redis is one way only/)
      expect(() =>
        loadConfig({ REDIS_CLUSTER_NODES: 'b:7000', REDIS_SENTINELS: 'c:26379' }),
      ).toThrow(/REDIS_CLUSTER_NODES and REDIS_SENTINELS are set/)
    })

    it('says in words what a node list must look like', () => {
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://a:7000' })).toThrow(
        /REDIS_CLUSTER_NODES="redis:\/\/a:7000": must be a comma-separated list of host:port/,
      )
      let message = ''
      try {
        loadConfig({
          REDIS_SENTINELS: 'a',
          REDIS_SENTINEL_PASSWORD: '',
          WRITE_BEHIND_MIN_REPLICAS: '-1',
        })
      } catch (error) {
        message = String(error)
      }
      expect(message).toMatch(/REDIS_SENTINELS="a": must be a comma-separated list of host:port/)
      expect(message).toMatch(/WRITE_BEHIND_MIN_REPLICAS/)
    })
  })

  describe('defaults that depend on each other', () => {
    it('follow what the user set: a lease wait below a short loader timeout, and the reverse', () => {
      expect(loadConfig({ LOADER_TIMEOUT_MS: '500' })).toMatchObject({
        LOADER_TIMEOUT_MS: 500,
        LEASE_WAIT_MS: 250,
      })
      expect(loadConfig({ LEASE_WAIT_MS: '5000' })).toMatchObject({
        LEASE_WAIT_MS: 5000,
        LOADER_TIMEOUT_MS: 10_000,
      })
    })

    it('conflict only when both were set, and the error names both', () => {
      expect(() => loadConfig({ LEASE_WAIT_MS: '3000', LOADER_TIMEOUT_MS: '3000' })).toThrow(
        /LEASE_WAIT_MS=3000 must be below LOADER_TIMEOUT_MS=3000/,
      )
    })
  })

  describe('.env.example', () => {
    const example = parseEnv(readFileSync('.env.example', 'utf8'))

    it('loads through the config schema as it is', () => {
      expect(() => loadConfig(example)).not.toThrow()
    })

    it('lists every variable the schema reads, and no other', () => {
      expect(Object.keys(example).sort()).toEqual(Object.keys(ConfigSchema.properties).sort())
    })
  })
})

describe('loadEnvFile', () => {
  it('reads .env into the environment, where a variable already set wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-file-'))
    const file = join(dir, '.env')
    writeFileSync(file, 'ENV_FILE_TEST_A=from-file\nENV_FILE_TEST_B=from-file\n')
    process.env.ENV_FILE_TEST_A = 'from-environment'
    try {
      expect(loadEnvFile(file)).toBe(true)
      expect(process.env.ENV_FILE_TEST_A).toBe('from-environment')
      expect(process.env.ENV_FILE_TEST_B).toBe('from-file')
      expect(loadEnvFile(join(dir, 'missing.env'))).toBe(false)
    } finally {
      delete process.env.ENV_FILE_TEST_A
      delete process.env.ENV_FILE_TEST_B
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

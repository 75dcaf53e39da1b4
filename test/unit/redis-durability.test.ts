import { describe, expect, it } from 'vitest'
import { judgeDeclared, judgeSettings } from '../../src/write-behind/redis-durability.js'

describe('judgeSettings: may this Redis hold deferred writes?', () => {
  const aof = { appendonly: 'yes', appendfsync: 'everysec', maxmemory: '0' }

  it.each([
    ['appendonly yes, everysec', aof, true],
    ['appendfsync always', { ...aof, appendfsync: 'always' }, true],
    ['appendfsync no (the OS decides when)', { ...aof, appendfsync: 'no' }, false],
    ['no append-only file', { ...aof, appendonly: 'no' }, false],
    [
      'maxmemory with noeviction',
      { ...aof, maxmemory: '100mb', 'maxmemory-policy': 'noeviction' },
      true,
    ],
    [
      'maxmemory with allkeys-lru',
      { ...aof, maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru' },
      false,
    ],
    [
      'maxmemory with volatile-lru',
      { ...aof, maxmemory: '100mb', 'maxmemory-policy': 'volatile-lru' },
      false,
    ],
    [
      'an eviction policy without maxmemory (it never applies)',
      { ...aof, 'maxmemory-policy': 'allkeys-lru' },
      true,
    ],
  ])('%s: %s', (_, settings, deferrable) => {
    const judged = judgeSettings(settings)
    expect(judged.deferrable).toBe(deferrable)
    expect(judged.source).toBe('config')
    expect(judged.reason.length).toBeGreaterThan(10)
  })

  it('states the loss window of everysec', () => {
    expect(judgeSettings(aof).reason).toMatch(/last second/)
  })

  it('trusts only an explicit declaration where Redis will not say', () => {
    expect(judgeDeclared('aof').deferrable).toBe(true)
    expect(judgeDeclared('none').deferrable).toBe(false)
    expect(judgeDeclared(undefined)).toMatchObject({ deferrable: false, source: 'declared' })
  })
})

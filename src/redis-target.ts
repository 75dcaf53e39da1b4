import type { HostAndPort, RedisTarget } from '@caching-strategies/cache'
import type { Config } from './config.js'

type TargetConfig = Pick<
  Config,
  | 'REDIS_URL'
  | 'REDIS_CLUSTER_NODES'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_MASTER'
  | 'REDIS_SENTINEL_PASSWORD'
  | 'REDIS_USERNAME'
  | 'REDIS_PASSWORD'
>

/** Where the configuration says Redis is (config.ts allows one of the three ways). */
export function redisTarget(config: TargetConfig): RedisTarget {
  const credentials = {
    ...(config.REDIS_USERNAME === undefined ? {} : { username: config.REDIS_USERNAME }),
    ...(config.REDIS_PASSWORD === undefined ? {} : { password: config.REDIS_PASSWORD }),
  }
  if (config.REDIS_CLUSTER_NODES !== undefined) {
    return { mode: 'cluster', nodes: hostsAndPorts(config.REDIS_CLUSTER_NODES), ...credentials }
  }
  if (config.REDIS_SENTINELS !== undefined) {
    return {
      mode: 'sentinel',
      sentinels: hostsAndPorts(config.REDIS_SENTINELS),
      masterName: config.REDIS_SENTINEL_MASTER,
      ...credentials,
      ...(config.REDIS_SENTINEL_PASSWORD === undefined
        ? {}
        : { sentinelPassword: config.REDIS_SENTINEL_PASSWORD }),
    }
  }
  // A URL says its own credentials: redis://user:password@host:6379.
  return { mode: 'standalone', url: config.REDIS_URL }
}

/** `a:1,b:2` (validated by config.ts) as `[{ host: 'a', port: 1 }, …]`. */
function hostsAndPorts(list: string): HostAndPort[] {
  return list.split(',').map((entry) => {
    const separator = entry.lastIndexOf(':')
    return { host: entry.slice(0, separator), port: Number(entry.slice(separator + 1)) }
  })
}

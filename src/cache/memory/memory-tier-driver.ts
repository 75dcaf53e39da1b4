import type { TierDriver } from '../tier-driver.js'
import type { MemoryTier } from './memory-tier.js'

/**
 * The memory tier behind the async driver contract, for code (and the conformance suite) that
 * treats every tier alike. A hot read path should call the tier's synchronous `get` instead.
 * The methods are async so a throw (an entry that cannot be encoded, say) becomes a rejection.
 */
export function memoryTierDriver(tier: MemoryTier): TierDriver {
  return {
    tier: 'l1',
    get: async (key) => tier.get(key),
    set: async (key, entry, ttlMs) => tier.set(key, entry, ttlMs),
    delete: async (key) => tier.delete(key),
  }
}

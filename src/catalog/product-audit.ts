/**
 * Told of every acknowledged write and of every read a cache tier answered: the consistency
 * monitor (src/consistency). Both calls must be cheap: `served` runs on the hottest path.
 */
export interface ProductAudit {
  written(id: number, version: number): void
  served(id: number, version: number): void
}

/** No audit: what the catalog runs with when none is given (ROLE=worker, tests). */
export const NO_AUDIT: ProductAudit = { written() {}, served() {} }

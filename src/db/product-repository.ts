// CONTRACT: the exported types are agreed with the catalog layer; change them only together.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Database } from './client.js'
import { integrityViolation } from './integrity-violation.js'
import {
  isStorableId,
  MAX_PRODUCT_ID,
  reviewAggregates,
  toRecord,
  writableFields,
} from './product-record.js'
import type { ProductFields, ProductRecord } from './schema.js'
import { isUniqueViolation } from './unique-violation.js'

export interface ProductPage {
  items: ProductRecord[]
  /** The id to pass as `afterId` for the next page; undefined on the last page. */
  nextAfterId: number | undefined
}

/** Outcome of a conditional write: a closed set the catalog maps to HTTP statuses. */
export type WriteOutcome =
  | { status: 'ok'; product: ProductRecord }
  | { status: 'not_found' }
  | { status: 'version_mismatch'; currentVersion: number }
  | { status: 'duplicate_sku' }

export type DeleteOutcome =
  | { status: 'ok' }
  | { status: 'not_found' }
  | { status: 'version_mismatch'; currentVersion: number }

/**
 * Outcome of applying a write-behind state. `already_newer`: the row is at this version or a
 * later one (a retry, a redelivery, or a later state applied first): nothing changed.
 * `constraint_violation`: the database refused the values; `reason` is its message.
 */
export type ApplyOutcome =
  | { status: 'applied' }
  | { status: 'already_newer'; currentVersion: number }
  | { status: 'not_found' }
  | { status: 'duplicate_sku' }
  | { status: 'constraint_violation'; reason: string }

export interface ProductRepository {
  /** Row + review count + average rating; waits DB_EXTRA_LATENCY_MS after the query has read. */
  findById(id: number): Promise<ProductRecord | undefined>
  /**
   * The rows of these ids that exist, with their review aggregates, in one query (in no
   * particular order); waits DB_EXTRA_LATENCY_MS after it, as findById does.
   */
  findByIds(ids: readonly number[]): Promise<ProductRecord[]>
  /** The id of the product that has this SKU, if one does (SKUs are unique). */
  skuOwner(sku: string): Promise<number | undefined>
  list(options: { afterId?: number; limit: number }): Promise<ProductPage>
  create(fields: ProductFields): Promise<WriteOutcome>
  /** Replaces (PUT) or merges (PATCH) fields; bumps version; `expectedVersion` guards If-Match. */
  update(
    id: number,
    fields: Partial<ProductFields>,
    expectedVersion?: number,
  ): Promise<WriteOutcome>
  delete(id: number, expectedVersion?: number): Promise<DeleteOutcome>
  /**
   * Writes a state decided elsewhere (write-behind): sets the fields, `version` and
   * `updated_at` as given, only if the row is older than `version`. One statement, so a
   * retried, redelivered or out-of-order write can never move a row back.
   */
  applyIfNewer(
    id: number,
    fields: ProductFields,
    version: number,
    updatedAt: string,
  ): Promise<ApplyOutcome>
}

export interface ProductRepositoryOptions {
  /**
   * Extra wait after `findById` has read its row, simulating a slow query whose (by then
   * stale) snapshot arrives late. Deliberately opens race windows for cache tests and demos.
   * @default 0
   */
  extraLatencyMs?: number
}

/** One Kysely implementation for SQLite and PostgreSQL. */
export function createProductRepository(
  database: Database,
  options: ProductRepositoryOptions = {},
): ProductRepository {
  const { db } = database
  const extraLatencyMs = options.extraLatencyMs ?? 0

  const selectRecords = () =>
    db
      .selectFrom('products')
      .selectAll('products')
      .select((eb) => reviewAggregates(eb))

  /** Why a conditional write touched no row: the row is gone, or its version moved on. */
  async function missedWrite(
    id: number,
    expectedVersion: number | undefined,
  ): Promise<{ status: 'not_found' } | { status: 'version_mismatch'; currentVersion: number }> {
    if (expectedVersion === undefined) return { status: 'not_found' }
    const current = await db
      .selectFrom('products')
      .select('version')
      .where('id', '=', id)
      .executeTakeFirst()
    if (current === undefined) return { status: 'not_found' }
    return { status: 'version_mismatch', currentVersion: current.version }
  }

  return {
    async findById(id) {
      const row = isStorableId(id)
        ? await selectRecords().where('products.id', '=', id).executeTakeFirst()
        : undefined
      if (extraLatencyMs > 0) await sleep(extraLatencyMs)
      return row === undefined ? undefined : toRecord(row)
    },

    async findByIds(ids) {
      const storable = [...new Set(ids.filter(isStorableId))]
      const rows =
        storable.length > 0
          ? await selectRecords().where('products.id', 'in', storable).execute()
          : []
      if (extraLatencyMs > 0) await sleep(extraLatencyMs)
      return rows.map(toRecord)
    },

    async skuOwner(sku) {
      const row = await db
        .selectFrom('products')
        .select('id')
        .where('sku', '=', sku)
        .executeTakeFirst()
      return row?.id
    },

    async list({ afterId = 0, limit }) {
      if (!Number.isInteger(limit) || limit < 1)
        throw new RangeError(`limit must be >= 1: ${limit}`)
      // Ids are integers, so `id > floor(afterId)` means the same; it keeps pg from
      // rejecting a fractional or out-of-int4 parameter.
      const after = Math.max(0, Math.floor(afterId))
      if (after >= MAX_PRODUCT_ID) return { items: [], nextAfterId: undefined }
      const rows = await selectRecords()
        .where('products.id', '>', after)
        .orderBy('products.id')
        .limit(limit + 1) // one more than asked tells whether another page exists
        .execute()
      const items = rows.slice(0, limit).map(toRecord)
      const nextAfterId = rows.length > limit ? items.at(-1)?.id : undefined
      return { items, nextAfterId }
    },

    async create(fields) {
      const now = new Date().toISOString()
      try {
        const row = await db
          .insertInto('products')
          .values({ ...writableFields(fields), created_at: now, updated_at: now })
          .returningAll()
          .returning((eb) => reviewAggregates(eb))
          .executeTakeFirstOrThrow()
        return { status: 'ok', product: toRecord(row) }
      } catch (error) {
        if (isUniqueViolation(error)) return { status: 'duplicate_sku' }
        throw error
      }
    },

    async update(id, fields, expectedVersion) {
      if (!isStorableId(id)) return { status: 'not_found' }
      let query = db
        .updateTable('products')
        .set((eb) => ({
          ...writableFields(fields),
          version: eb('version', '+', 1),
          updated_at: new Date().toISOString(),
        }))
        .where('id', '=', id)
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion)
      try {
        // RETURNING reads the aggregates in the same statement: the record is exactly the
        // version this write produced, even if another write follows at once.
        const row = await query
          .returningAll()
          .returning((eb) => reviewAggregates(eb))
          .executeTakeFirst()
        if (row === undefined) return missedWrite(id, expectedVersion)
        return { status: 'ok', product: toRecord(row) }
      } catch (error) {
        if (isUniqueViolation(error)) return { status: 'duplicate_sku' }
        throw error
      }
    },

    async delete(id, expectedVersion) {
      if (!isStorableId(id)) return { status: 'not_found' }
      let query = db.deleteFrom('products').where('id', '=', id)
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion)
      const { numDeletedRows } = await query.executeTakeFirst()
      if (numDeletedRows === 0n) return missedWrite(id, expectedVersion)
      return { status: 'ok' }
    },

    async applyIfNewer(id, fields, version, updatedAt) {
      if (!isStorableId(id)) return { status: 'not_found' }
      let updated: bigint
      try {
        const result = await db
          .updateTable('products')
          .set({ ...writableFields(fields), version, updated_at: updatedAt })
          .where('id', '=', id)
          .where('version', '<', version)
          .executeTakeFirst()
        updated = result.numUpdatedRows
      } catch (error) {
        if (isUniqueViolation(error)) return { status: 'duplicate_sku' }
        const reason = integrityViolation(error)
        if (reason !== undefined) return { status: 'constraint_violation', reason }
        throw error
      }
      if (updated > 0n) return { status: 'applied' }
      const current = await db
        .selectFrom('products')
        .select('version')
        .where('id', '=', id)
        .executeTakeFirst()
      if (current === undefined) return { status: 'not_found' }
      return { status: 'already_newer', currentVersion: current.version }
    },
  }
}

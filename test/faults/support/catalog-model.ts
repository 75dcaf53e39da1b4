/** The fields the model test writes, and the version that says which write was last. */
export interface ModelProduct {
  version: number
  name: string
  price_cents: number
}

/**
 * What a deferred write answered 503 did. `changes-nothing`: the service's contract (a staging
 * call that failed is asked about, by its receipt, until Redis answers). `may-be-staged`: what a
 * 503 says when Redis did not answer at all for 3 s ("the write may or may not have been
 * staged; read the product, then retry with If-Match"), which the model's stalls (at most
 * 800 ms) never reach: the test then reads the product as a client would, and counts the write
 * if it is there. Kept to explore longer stalls by hand.
 */
export type RefusedDeferredWrites = 'changes-nothing' | 'may-be-staged'

/**
 * A plain model of the database: per product, the write acknowledged with the highest version
 * (a synchronous write answered 200, a deferred one 202). A refused write (503, 412) changed
 * nothing, so it is not in the model (but see RefusedDeferredWrites).
 */
export interface CatalogModel {
  products: Map<number, ModelProduct>
  /** Which instance acknowledged each product's last write (for read-your-writes figures). */
  lastWriter: Map<number, number>
  /** Makes every written value unique, so a value read names the write it came from. */
  writes: number
  /** The worker takes no jobs: deferred writes stay staged. */
  workerPaused: boolean
  refusedDeferredWrites: RefusedDeferredWrites
}

/** The products the test writes: few, so that writes, reads and faults collide on them. */
export const PRODUCT_IDS = [1, 2, 3, 4] as const

/** A list page that holds every product the test writes. */
export const LIST_PAGE_URL = `/products?limit=${PRODUCT_IDS.length}`

export function newModel(
  rows: readonly ModelProduct[],
  refusedDeferredWrites: RefusedDeferredWrites,
): CatalogModel {
  const products = new Map<number, ModelProduct>()
  PRODUCT_IDS.forEach((id, index) => {
    const row = rows[index]
    if (row === undefined) throw new Error(`no row for product ${id}`)
    products.set(id, pick(row))
  })
  return { products, lastWriter: new Map(), writes: 0, workerPaused: false, refusedDeferredWrites }
}

export function modelOf(model: CatalogModel, id: number): ModelProduct {
  const product = model.products.get(id)
  if (product === undefined) throw new Error(`product ${id} is not in the model`)
  return product
}

/** The next write's fields: a name and a price no earlier write used. */
export function freshFields(model: CatalogModel, id: number) {
  model.writes++
  return { name: `product ${id} write ${model.writes}`, price_cents: 100_000 + model.writes }
}

/** Only the fields the model knows, for comparing a served or stored product with it. */
export function pick(product: ModelProduct): ModelProduct {
  return { version: product.version, name: product.name, price_cents: product.price_cents }
}

export function sameProduct(a: ModelProduct, b: ModelProduct): boolean {
  return a.version === b.version && a.name === b.name && a.price_cents === b.price_cents
}

export function describeProduct(product: ModelProduct | undefined): string {
  if (product === undefined) return 'nothing'
  return `v${product.version} ${JSON.stringify(product.name)} ${product.price_cents}`
}

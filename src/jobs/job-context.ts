import type { ProductCatalog } from '../catalog/product-catalog.js'
import type { Config } from '../config.js'

/** What a job processor works with. */
export interface JobContext {
  catalog: ProductCatalog
  config: Config
}

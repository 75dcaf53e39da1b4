// Deterministic demo catalog: product i (1-based) is the same on every run and every dialect,
// whatever the total or batch size, because each product draws from its own PRNG stream.
import type { ProductFields } from './schema.js'

export interface SeedProduct extends ProductFields {
  id: number
  created_at: string
  updated_at: string
}

export interface SeedReview {
  product_id: number
  rating: number
  body: string
  created_at: string
}

const CATALOG_SEED = 0x5eed_c0de
const EPOCH = Date.UTC(2024, 0, 1)
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/** mulberry32: tiny, fast, good enough for demo data; returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

type Random = () => number

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)]
  if (item === undefined) throw new Error('pick from an empty list')
  return item
}

function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

interface Category {
  name: string
  nouns: readonly string[]
  /** Whole currency units; prices end in .99. */
  price: readonly [min: number, max: number]
}

const CATEGORIES: readonly Category[] = [
  {
    name: 'electronics',
    nouns: ['Headphones', 'Speaker', 'Charger', 'Keyboard', 'Mouse', 'Webcam', 'Power Bank'],
    price: [15, 399],
  },
  {
    name: 'books',
    nouns: ['Cookbook', 'Field Guide', 'Atlas', 'Journal', 'Anthology', 'Sketchbook'],
    price: [8, 59],
  },
  {
    name: 'kitchen',
    nouns: ['Chef Knife', 'Skillet', 'Cutting Board', 'Kettle', 'Mixing Bowl', 'Teapot'],
    price: [9, 249],
  },
  {
    name: 'garden',
    nouns: ['Trowel', 'Planter', 'Watering Can', 'Pruning Shears', 'Seed Kit'],
    price: [6, 129],
  },
  {
    name: 'toys',
    nouns: ['Puzzle', 'Building Set', 'Plush Bear', 'Kite', 'Board Game', 'Yo-Yo'],
    price: [5, 89],
  },
  {
    name: 'sports',
    nouns: ['Yoga Mat', 'Water Bottle', 'Jump Rope', 'Dumbbell', 'Tennis Racket'],
    price: [7, 199],
  },
  {
    name: 'beauty',
    nouns: ['Face Cream', 'Shampoo', 'Lip Balm', 'Hair Brush', 'Body Lotion'],
    price: [4, 79],
  },
  {
    name: 'office',
    nouns: ['Desk Lamp', 'Stapler', 'Pen Set', 'Desk Organizer', 'Whiteboard'],
    price: [3, 149],
  },
  {
    name: 'outdoors',
    nouns: ['Tent', 'Sleeping Bag', 'Headlamp', 'Camping Stove', 'Backpack'],
    price: [12, 499],
  },
  {
    name: 'pets',
    nouns: ['Dog Leash', 'Cat Tree', 'Pet Bed', 'Chew Toy', 'Food Bowl'],
    price: [4, 159],
  },
]

const ADJECTIVES = [
  'Classic',
  'Compact',
  'Deluxe',
  'Eco',
  'Essential',
  'Everyday',
  'Premium',
  'Pro',
  'Rugged',
  'Smart',
  'Ultra',
  'Vintage',
  'Modern',
  'Portable',
  'Handmade',
  'Nordic',
] as const
const MATERIALS = [
  'Bamboo',
  'Ceramic',
  'Cotton',
  'Leather',
  'Oak',
  'Steel',
  'Walnut',
  'Wool',
  'Linen',
  'Copper',
  'Slate',
  'Charcoal',
  'Ivory',
  'Sage',
  'Cobalt',
  'Amber',
] as const
const FEATURES = [
  'built to last for years',
  'light enough to take anywhere',
  'designed with simplicity in mind',
  'backed by a two-year warranty',
  'made from responsibly sourced materials',
  'easy to clean and care for',
  'a favourite gift idea',
] as const

/** Weighted towards 4 and 5 stars, as real catalogs are. */
const RATING_WEIGHTS = [
  [1, 0.05],
  [2, 0.07],
  [3, 0.13],
  [4, 0.35],
  [5, 0.4],
] as const

const OPENINGS: Readonly<Record<number, readonly string[]>> = {
  1: ['Broke within a week.', 'Very disappointed.', 'Not as described.'],
  2: ['Below expectations.', 'Feels cheap.', 'Had some issues.'],
  3: ['It is okay.', 'Does the job.', 'Average quality.'],
  4: ['Very good.', 'Happy with it.', 'Solid purchase.'],
  5: ['Love it!', 'Excellent quality.', 'Exceeded my expectations.'],
}
const DETAILS = [
  'Shipping was quick.',
  'Would buy again.',
  'Good value for the price.',
  'Packaging could be better.',
  'Matches the description.',
  'My family uses it every day.',
] as const

function rating(random: Random): number {
  let roll = random()
  for (const [stars, weight] of RATING_WEIGHTS) {
    roll -= weight
    if (roll < 0) return stars
  }
  return 5
}

/** Product number `index` (1-based; also its id) and its 15 to 25 reviews (20 on average). */
export function seedProduct(index: number): { product: SeedProduct; reviews: SeedReview[] } {
  const random = mulberry32(CATALOG_SEED ^ Math.imul(index, 0x9e3779b1))
  const category = pick(random, CATEGORIES)
  const adjective = pick(random, ADJECTIVES)
  const material = pick(random, MATERIALS)
  const noun = pick(random, category.nouns)
  const currencyRoll = random()
  const createdAt = EPOCH + index * 7 * MINUTE + between(random, 0, 6) * MINUTE
  const product: SeedProduct = {
    id: index,
    sku: `SKU-${String(index).padStart(6, '0')}`,
    name: `${adjective} ${material} ${noun}`,
    description: `A ${adjective.toLowerCase()} ${noun.toLowerCase()} in ${material.toLowerCase()}, ${pick(random, FEATURES)}.`,
    price_cents: between(random, category.price[0], category.price[1]) * 100 + 99,
    currency: currencyRoll < 0.6 ? 'USD' : currencyRoll < 0.9 ? 'EUR' : 'GBP',
    category: category.name,
    stock: random() < 0.1 ? 0 : between(random, 1, 500),
    created_at: new Date(createdAt).toISOString(),
    updated_at: new Date(createdAt).toISOString(),
  }
  const reviewCount = between(random, 15, 25)
  const reviews: SeedReview[] = []
  for (let n = 0; n < reviewCount; n++) {
    const stars = rating(random)
    reviews.push({
      product_id: index,
      rating: stars,
      body: `${pick(random, OPENINGS[stars] ?? [])} ${pick(random, DETAILS)}`,
      created_at: new Date(createdAt + between(random, 1, 180 * DAY)).toISOString(),
    })
  }
  return { product, reviews }
}

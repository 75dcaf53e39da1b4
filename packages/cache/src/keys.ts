// Key layout is a public contract: people read these keys in redis-cli and other services may too.

/** `${keyPrefix}${name}:v${version}:${id}`, e.g. `product:v1:42`. */
export function entryKey(namespace: string, version: number, id: string): string {
  return `${namespace}v${version}:${id}`
}

/** `${keyPrefix}${name}:version`: never an entry key, since entry keys have digits after `:v`. */
export function versionKey(namespace: string): string {
  return `${namespace}version`
}

/** The part every key of one cache starts with: `${keyPrefix}${name}:`. */
export function keyNamespace(keyPrefix: string, name: string): string {
  return `${keyPrefix}${name}:`
}

/** `${keyPrefix}${name}:tags`: a hash of tag → version. */
export function tagsKey(namespace: string): string {
  return `${namespace}tags`
}

/** `${keyPrefix}${name}:epoch`: a random value; another one means Redis lost its data. */
export function epochKey(namespace: string): string {
  return `${namespace}epoch`
}

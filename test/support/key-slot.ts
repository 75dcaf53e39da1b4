/**
 * The Redis Cluster slot of a key (CRC16-XMODEM of the key, or of its hash tag: the part between
 * the first `{` and the next `}`, when not empty), computed here as the cluster does, so a test
 * can check keys without a cluster. https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/
 */
export function keySlot(key: string | Buffer): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key
  const open = bytes.indexOf('{')
  const close = open < 0 ? -1 : bytes.indexOf('}', open + 1)
  const hashed = close > open + 1 ? bytes.subarray(open + 1, close) : bytes
  return crc16(hashed) % 16384
}

function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    }
  }
  return crc
}

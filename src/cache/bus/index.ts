export {
  BUS_LIMITS,
  BUS_PROTOCOL_VERSION,
  type BusMessage,
  type BusOperation,
  type BusRejectReason,
} from './bus-message.js'
export type { BusObserver, InvalidationBusOptions } from './bus-options.js'
export { type BusMessageHandler, InvalidationBus } from './invalidation-bus.js'

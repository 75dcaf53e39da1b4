export {
  BUS_LIMITS,
  BUS_PROTOCOL_VERSION,
  type BusMessage,
  type BusOperation,
  type BusRejectReason,
} from './bus-message.js'
export type {
  BusDropReason,
  BusLossReason,
  BusObserver,
  InvalidationBusOptions,
} from './bus-options.js'
export {
  type BusMessageHandler,
  InvalidationBus,
  type MessagesLostHandler,
} from './invalidation-bus.js'

export type { PcrMismatch, QuotedPcrs } from './compare-quoted-pcrs.ts';
export { compareWithQuotedPcrs } from './compare-quoted-pcrs.ts';
export type {
  DecodedEventData,
  EventDigests,
  EventLog,
  EventLogAlgorithm,
  EventLogErrorCode,
  TcgEvent,
} from './event-log.ts';
export { EVENT_LOG_LIMITS, EventLogError } from './event-log.ts';
export type { TcgEventTypeName } from './event-types.ts';
export { eventTypeName, TCG_EVENT_TYPES } from './event-types.ts';
export type { AlgorithmName, KnownAlgorithmName } from './hash-algorithms.ts';
export { parseEventLog } from './parse-event-log.ts';
export type { ReplayedPcrs } from './replay-event-log.ts';
export { replayEventLog } from './replay-event-log.ts';

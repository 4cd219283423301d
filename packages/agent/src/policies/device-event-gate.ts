/**
 * The `siem` kind on the device (SI-2, SI-4): every event the agent reports
 * passes here before the outbox. The policy's device rules (the core
 * RuleEngine, deviceEvaluable rules only) see every event, forwarded or
 * not; a firing becomes a `rule.matched` event. `forward` then decides what
 * leaves the device; the rest stays in the agent's local log.
 */
import {
  type EventForwarding,
  eventTypeInfo,
  newUuidV7,
  RuleEngine,
  type RuleFiring,
  type SecurityEvent,
  type SiemPolicy,
} from '@palisade/core';
import type { Logger } from 'pino';
import type { JsonValue, NewOutboxRecord } from '../outbox/index.ts';
import type { ApplyOutcome, PolicyApplier } from './policy-applier.ts';

/** What a report became: its ID, and the records to append (none when it stays on the device). */
export interface ScreenedReport {
  readonly id: string;
  readonly records: readonly NewOutboxRecord[];
}

export const RULE_MATCHED = 'rule.matched';
/** Report kinds that describe the device rather than something that happened on it (the panel's NOT_EVENTS). */
const NOT_EVENTS: ReadonlySet<string> = new Set(['inventory', 'state']);
const FIELD_KEY = /^[a-z][A-Za-z0-9]{0,31}$/;
const MAX_FIELDS = 32;
const MAX_FIELD_CHARS = 1024;

export interface DeviceEventGateOptions {
  readonly deviceId: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class DeviceEventGate implements PolicyApplier<'siem'> {
  readonly kind = 'siem';
  readonly #o: DeviceEventGateOptions;
  // One engine for the agent's life: a reload keeps the windows of unchanged rules.
  readonly #engine = new RuleEngine({ maxKeysPerRule: 16 });
  #forward: EventForwarding | undefined;

  constructor(options: DeviceEventGateOptions) {
    this.#o = options;
  }

  async apply(document: SiemPolicy): Promise<ApplyOutcome> {
    // A trial load: a rule set the engine refuses fails here, before anything commits.
    new RuleEngine({ maxKeysPerRule: 1 }).load(document.rules);
    return { outcome: 'applied' };
  }

  activate(document: SiemPolicy | undefined): void {
    this.#engine.load(document?.rules ?? []);
    this.#forward = document?.forward;
  }

  async remove(): Promise<void> {}

  /**
   * Undefined without a siem policy (or for inventory/state reports): the
   * caller appends the report as it always did.
   */
  screen(kind: string, severity: number, body: JsonValue): ScreenedReport | undefined {
    const forward = this.#forward;
    if (forward === undefined || NOT_EVENTS.has(kind)) return undefined;
    const at = this.#o.now?.() ?? Date.now();
    const id = newUuidV7(at);
    const createdAt = new Date(at).toISOString();
    const records: NewOutboxRecord[] = [];
    if (forwarded(forward, kind, severity)) records.push({ id, kind, severity, createdAt, body });
    else
      this.#o.logger.info(
        { eventId: id, event: kind, severity, body },
        'event kept on the device (siem policy)',
      );
    // A firing is not evaluated again: a rule matching rule.matched must not feed itself.
    const firings =
      kind === RULE_MATCHED
        ? []
        : this.#engine.evaluate(securityEvent(this.#o.deviceId, id, kind, severity, body, createdAt), {
            group: null,
            at,
          });
    for (const firing of firings) {
      const record = firingRecord(firing, at);
      if (forwarded(forward, RULE_MATCHED, firing.severity)) records.push(record);
      else
        this.#o.logger.info(
          { eventId: record.id, event: RULE_MATCHED, body: record.body },
          'rule firing kept on the device (siem policy)',
        );
    }
    return { id, records };
  }
}

/** `fim.modified` matches `fim.modified` and `fim.*` (any type below `fim.`). */
export function typeMatches(filter: string, type: string): boolean {
  return filter.endsWith('.*') ? type.startsWith(filter.slice(0, -1)) : filter === type;
}

/** SiemPolicy.forward: at least minSeverity, in includeTypes when given, and not in excludeTypes. */
export function forwarded(forward: EventForwarding, type: string, severity: number): boolean {
  if (severity < forward.minSeverity) return false;
  if (forward.includeTypes !== undefined && !forward.includeTypes.some((f) => typeMatches(f, type)))
    return false;
  return !(forward.excludeTypes ?? []).some((f) => typeMatches(f, type));
}

/** The event as the panel will see it (report-ingest's eventOfReport), so device and panel rules agree. */
function securityEvent(
  deviceId: string,
  id: string,
  type: string,
  severity: number,
  body: JsonValue,
  occurredAt: string,
): SecurityEvent {
  const record = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(record)) {
    if (Object.keys(fields).length >= MAX_FIELDS) break;
    if (!FIELD_KEY.test(key) || key === 'message') continue;
    if (typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
    else if (typeof value === 'string') fields[key] = value.slice(0, MAX_FIELD_CHARS);
    else if (value !== null) fields[key] = JSON.stringify(value).slice(0, MAX_FIELD_CHARS);
  }
  const info = eventTypeInfo(type);
  const message =
    typeof record.message === 'string' && record.message !== '' ? record.message : (info?.title ?? type);
  return {
    id,
    source: 'device',
    deviceId,
    type,
    severity,
    controls: info?.controls ?? [],
    message: message.slice(0, 2048),
    occurredAt,
    receivedAt: occurredAt,
    fields,
  };
}

function firingRecord(firing: RuleFiring, at: number): NewOutboxRecord {
  return {
    id: newUuidV7(at),
    kind: RULE_MATCHED,
    severity: firing.severity,
    createdAt: new Date(at).toISOString(),
    body: {
      message: `Device rule ${firing.ruleId} matched: ${firing.title}`,
      ruleId: firing.ruleId,
      title: firing.title,
      detect: firing.kind,
      eventCount: firing.eventCount,
      eventIds: [...firing.eventIds],
      firstAt: new Date(firing.firstAt).toISOString(),
      lastAt: new Date(firing.lastAt).toISOString(),
      controls: [...firing.controls],
    },
  };
}

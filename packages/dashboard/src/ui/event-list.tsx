import type { ReactNode } from 'react';
import type { SecurityEvent } from '../api/api-types.ts';
import { Link } from '../app/router.tsx';
import { SeverityBadge } from './badges.tsx';
import { Empty } from './feedback.tsx';
import { formatTime } from './format.ts';

function fieldsText(fields: SecurityEvent['fields']): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('  ');
}

/** Security events, newest first: time, severity, device, what happened and its fields. */
export function EventList(props: {
  readonly events: readonly SecurityEvent[];
  readonly fresh?: ReadonlySet<string>;
  readonly showDevice?: boolean;
  readonly label: string;
}): ReactNode {
  if (props.events.length === 0) return <Empty>No events.</Empty>;
  return (
    <ul className="event-list" aria-label={props.label}>
      {props.events.map((event) => (
        <li
          key={event.id}
          className={props.fresh?.has(event.id) ? 'fresh' : undefined}
          data-event={event.id}
          data-event-type={event.type}
        >
          <time dateTime={event.occurredAt} className="muted">
            {formatTime(event.occurredAt)}
          </time>
          <span>
            <SeverityBadge severity={event.severity} />
          </span>
          <span className="event-device mono">
            {props.showDevice === false ? (
              event.type
            ) : event.deviceId ? (
              <Link to={`/devices/${encodeURIComponent(event.deviceId)}`}>{event.deviceId}</Link>
            ) : (
              <span className="muted">{event.source}</span>
            )}
          </span>
          <span>
            {props.showDevice === false ? null : <code>{event.type}</code>} {event.message}
            {Object.keys(event.fields).length > 0 ? (
              <span className="fields"> · {fieldsText(event.fields)}</span>
            ) : null}
          </span>
        </li>
      ))}
    </ul>
  );
}

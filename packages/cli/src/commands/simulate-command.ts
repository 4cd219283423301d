import { createAgentLogger, type FleetSummary, simulateFleet } from '@palisade/agent';
import { CliError, usageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { HELP_OPTION, parseCommandArgs } from '../command-args.ts';
import { parseEnrollmentToken } from '../fleet-answers.ts';
import { connectToPanel } from '../panel-connection.ts';

const COMMAND = 'simulate';
const HELP = `Usage: palisade simulate --devices N [options]

Runs N virtual agents in this process against a real panel, each with its
own key and identity, speaking the real protocol: EST enrollment with a
one-time token (and the TLS channel binding), mutual TLS, the push channel,
check-ins on the panel's heartbeat, and batched event delivery. Devices are
registered through the operator API of the panel you are logged in to
('palisade login', or PALISADE_PANEL + PALISADE_TOKEN + PALISADE_CA_FILE).

Options:
  --devices N              how many devices (required)
  --device-url URL         the panel's device listener (repeat for fail-over;
                           default: the operator URL's host on port 8443)
  --prefix NAME            device IDs are NAME-00001 … (default sim)
  --group NAME             register new devices in this group
  --events-per-minute N    mean events per device per minute (default 6)
  --enroll-concurrency N   enrollments in flight (default 16)
  --duration SECONDS       stop after this long (default: until Ctrl-C)
  --json                   print the final summary as JSON
`;

export async function simulateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs(
    argv,
    {
      devices: { type: 'string' },
      'device-url': { type: 'string', multiple: true },
      prefix: { type: 'string' },
      group: { type: 'string' },
      'events-per-minute': { type: 'string' },
      'enroll-concurrency': { type: 'string' },
      duration: { type: 'string' },
      json: { type: 'boolean' },
      ...HELP_OPTION,
    },
    COMMAND,
  );
  if (values.help === true) {
    io.out(HELP);
    return 0;
  }
  const count = positiveInteger(values.devices, '--devices', 100_000);
  const eventsPerMinute =
    values['events-per-minute'] === undefined
      ? 6
      : positiveInteger(values['events-per-minute'], '--events-per-minute', 60_000, true);
  const enrollConcurrency =
    values['enroll-concurrency'] === undefined
      ? 16
      : positiveInteger(values['enroll-concurrency'], '--enroll-concurrency', 1_000);
  const durationSeconds =
    values.duration === undefined ? undefined : positiveInteger(values.duration, '--duration', 7 * 86_400);
  const prefix = values.prefix ?? 'sim';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/.test(prefix))
    throw usageError('--prefix must be a device ID prefix', COMMAND);

  const panel = await connectToPanel(io);
  const caPem = panel.ca?.toString('utf8');
  if (caPem === undefined) {
    throw new CliError('USAGE', 'the panel CA is unknown: log in with --ca-file, or set PALISADE_CA_FILE');
  }
  const operatorUrl = new URL(panel.panel);
  const deviceUrls = (values['device-url'] ?? [`https://${operatorUrl.host.replace(/:\d+$/, '')}:8443`]).map(
    (raw) => {
      const url = new URL(raw);
      if (url.protocol !== 'https:') throw usageError('--device-url must be an https:// URL', COMMAND);
      return url;
    },
  );
  const width = Math.max(5, String(count).length);
  const deviceIds = Array.from(
    { length: count },
    (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}`,
  );

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = durationSeconds === undefined ? undefined : setTimeout(stop, durationSeconds * 1000);
  try {
    const summary = await simulateFleet({
      deviceIds,
      endpoints: deviceUrls.map((url) => ({ url, caPem })),
      logger: createAgentLogger(io.env.PALISADE_LOG_LEVEL ?? 'warn', process.stderr),
      signal: controller.signal,
      enrollConcurrency,
      eventsPerMinute,
      onProgress: (progress) => io.err(`${line(progress)}\n`),
      provision: async (deviceId) => {
        try {
          await panel.post('/v1/devices', { id: deviceId, ...(values.group ? { group: values.group } : {}) });
        } catch (error) {
          if (!(error instanceof CliError && error.code === 'DEVICE_EXISTS')) throw error;
        }
        return parseEnrollmentToken(await panel.post(`/v1/devices/${deviceId}/enrollment-token`, {})).token;
      },
    });
    io.out(values.json === true ? `${JSON.stringify(summary, null, 2)}\n` : `${line(summary)}\n`);
    return summary.enrolled === count ? 0 : 1;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** The live summary line: what a fleet operator would glance at. */
function line(s: FleetSummary): string {
  const seconds = (s.elapsedMs / 1000).toFixed(0);
  return (
    `[${seconds}s ${s.phase}] enrolled ${s.enrolled}/${s.devices} (failed ${s.enrollFailures}) · ` +
    `connected ${s.connected} · check-ins ${s.checkIns} (failed ${s.checkInFailures}) · ` +
    `events ${s.eventsDelivered}/${s.eventsQueued} delivered (failed batches ${s.deliveryFailures}) · pushes ${s.pushes} · ` +
    `policies ${s.policiesApplied} (failed ${s.policyFailures})`
  );
}

function positiveInteger(raw: string | undefined, flag: string, max: number, allowZero = false): number {
  if (raw === undefined) throw usageError(`${flag} is required`, COMMAND);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > max) {
    throw usageError(`${flag} must be an integer from ${allowZero ? 0 : 1} to ${max}`, COMMAND);
  }
  return value;
}

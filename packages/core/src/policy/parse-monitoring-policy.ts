import type { CryptoScan, MonitoringPolicy, ProtectedPath } from './monitoring-policy.ts';
import { MONITORING_LIMITS, PROTECTION_RESPONSES } from './monitoring-policy.ts';
import { PORT_RANGE } from './parse-firewall-policy.ts';
import type { Report, TextRule } from './policy-input.ts';
import {
  arrayAt,
  booleanAt,
  integerAt,
  objectAt,
  oneOfAt,
  optionalMember,
  stringAt,
} from './policy-input.ts';
import { PATTERNS, TEXT_LIMITS } from './policy-patterns.ts';

export const ABSOLUTE_PATH: TextRule = {
  pattern: PATTERNS.absolutePath,
  maxLength: TEXT_LIMITS.path,
  what: 'an absolute, normalized path (no ., .., // or trailing /, no control characters)',
};

const CLASS_ID: TextRule = {
  pattern: PATTERNS.classId,
  maxLength: 32,
  what: 'firmware, boot, binaries, application, config, or an id of a-z 0-9 - starting with a letter',
};
const SERVICE_UNIT: TextRule = {
  pattern: PATTERNS.serviceUnit,
  maxLength: TEXT_LIMITS.serviceUnit,
  what: 'a systemd service unit name, e.g. plc-runtime.service',
};
const GLOB: TextRule = {
  pattern: PATTERNS.text,
  maxLength: TEXT_LIMITS.glob,
  what: 'a glob without control characters',
};

/** Parses a `monitoring` document; two entries for one path are refused (which response would win?). */
export function parseMonitoringPolicy(input: unknown, path: string, report: Report): MonitoringPolicy {
  const doc = objectAt(
    input,
    path,
    ['protectedPaths', 'scanIntervalSeconds', 'fullVerifyIntervalSeconds', 'cryptoScan'],
    report,
  );
  const r = doc.report;
  const protectedPaths = arrayAt(
    doc.value.protectedPaths,
    `${path}/protectedPaths`,
    { maxItems: MONITORING_LIMITS.protectedPaths },
    (value, at) => parseProtectedPath(value, at, r),
    r,
  );
  const first = new Map<string, number>();
  protectedPaths.forEach((entry, index) => {
    const earlier = first.get(entry.path);
    if (earlier === undefined) first.set(entry.path, index);
    else if (entry.path !== '')
      r(`${path}/protectedPaths/${index}/path`, `is already protected by ${path}/protectedPaths/${earlier}`);
  });
  return {
    protectedPaths,
    scanIntervalSeconds: integerAt(
      doc.value.scanIntervalSeconds,
      `${path}/scanIntervalSeconds`,
      MONITORING_LIMITS.scanIntervalSeconds,
      r,
    ),
    fullVerifyIntervalSeconds: integerAt(
      doc.value.fullVerifyIntervalSeconds,
      `${path}/fullVerifyIntervalSeconds`,
      MONITORING_LIMITS.fullVerifyIntervalSeconds,
      r,
    ),
    cryptoScan: parseCryptoScan(doc.value.cryptoScan, `${path}/cryptoScan`, r),
  };
}

function parseProtectedPath(input: unknown, path: string, report: Report): ProtectedPath {
  const { value, report: r } = objectAt(
    input,
    path,
    ['path', 'class', 'response', 'unit', 'recursive', 'exclude'],
    report,
  );
  const protectedPath = stringAt(value.path, `${path}/path`, ABSOLUTE_PATH, r);
  const pathClass = stringAt(value.class, `${path}/class`, CLASS_ID, r);
  const response = oneOfAt(value.response, `${path}/response`, PROTECTION_RESPONSES, r);
  let unit: string | undefined;
  if (value.response === 'stop' && value.unit === undefined)
    r(`${path}/unit`, 'is required: response is stop');
  else if (value.response !== 'stop' && value.unit !== undefined)
    r(`${path}/unit`, 'is only allowed with response stop');
  else if (value.unit !== undefined) unit = stringAt(value.unit, `${path}/unit`, SERVICE_UNIT, r);
  const recursive = booleanAt(value.recursive, `${path}/recursive`, r);
  const exclude =
    value.exclude === undefined
      ? undefined
      : arrayAt(
          value.exclude,
          `${path}/exclude`,
          { minItems: 1, maxItems: MONITORING_LIMITS.excludes, unique: true },
          (item, at) => stringAt(item, at, GLOB, r),
          r,
        );
  return {
    path: protectedPath,
    class: pathClass,
    response,
    ...optionalMember('unit', unit),
    recursive,
    ...optionalMember('exclude', exclude),
  };
}

function parseCryptoScan(input: unknown, path: string, report: Report): CryptoScan {
  const { value, report: r } = objectAt(
    input,
    path,
    ['intervalSeconds', 'certificateDirs', 'tlsPorts', 'expiryWarningDays'],
    report,
  );
  return {
    intervalSeconds: integerAt(
      value.intervalSeconds,
      `${path}/intervalSeconds`,
      MONITORING_LIMITS.cryptoScanIntervalSeconds,
      r,
    ),
    certificateDirs: arrayAt(
      value.certificateDirs,
      `${path}/certificateDirs`,
      { maxItems: MONITORING_LIMITS.certificateDirs, unique: true },
      (item, at) => stringAt(item, at, ABSOLUTE_PATH, r),
      r,
    ),
    tlsPorts: parseTlsPorts(value.tlsPorts, `${path}/tlsPorts`, r),
    expiryWarningDays: integerAt(
      value.expiryWarningDays,
      `${path}/expiryWarningDays`,
      MONITORING_LIMITS.expiryWarningDays,
      r,
    ),
  };
}

function parseTlsPorts(input: unknown, path: string, report: Report): CryptoScan['tlsPorts'] {
  if (input === 'listening') return 'listening';
  if (typeof input === 'string') {
    report(path, 'must be "listening" or an array of ports');
    return 'listening';
  }
  return arrayAt(
    input,
    path,
    { maxItems: MONITORING_LIMITS.tlsPorts, unique: true },
    (item, at) => integerAt(item, at, PORT_RANGE, report),
    report,
  );
}

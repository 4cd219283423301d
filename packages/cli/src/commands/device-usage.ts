import type { CliIo } from '../cli-io.ts';
import { DEVICE_STATES } from '../fleet-answers.ts';

// RFC 5280 §5.3.1 reason names an operator may give (removeFromCRL is for delta CRLs only).
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

const DEVICE_HELP = `Usage: palisade device <command> [options]

Commands:
  create --id ID [--group G]           register a device that will enroll with a token
  enroll-token --id ID [--ttl 24h]     a one-time enrollment token, printed once
                                       (--ttl: s, m, h or d; 1m to 30d, default 24h)
  claim (--idevid-serial S | --idevid-fingerprint F) [--id ID] [--group G]
                                       register a device by its IDevID (802.1AR subject
                                       serialNumber, or the certificate's SHA-256
                                       fingerprint); the ID defaults to the serial
  list [--group G] [--state S]         devices, ordered by ID
  show --id ID                         one device and its certificate history
  revoke --id ID [--reason R]          revoke the device's certificates (CRL, OCSP) and
                                       close its connections; it may enroll again
  decommission --id ID                 take the device out of service for good

States: ${DEVICE_STATES.join(', ')}.
Reasons (RFC 5280): ${REVOCATION_REASONS.join(', ')}.
Options for every command: --json (machine-readable output), -h/--help.
`;

export const DEVICE_COMMAND = 'device';

/** Prints the usage of every `palisade device` command; `--help` exits 0. */
export function printDeviceHelp(io: CliIo): number {
  io.out(DEVICE_HELP);
  return 0;
}

export const DEVICE_STATES = ['claimed', 'enrolled', 'revoked', 'decommissioned'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export const SECURITY_LEVELS = ['SLB', 'SLE', 'SLC'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

export interface DeviceGroup {
  readonly name: string;
  readonly targetLevel: SecurityLevel;
  readonly requireChannelBinding: boolean;
  readonly manualApproval: boolean;
  readonly certificateValidityDays: number;
}

export interface Device {
  readonly id: string;
  readonly group: string;
  readonly state: DeviceState;
  readonly idevidSerial: string | null;
  readonly idevidFingerprint: string | null;
  readonly manufacturer: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DeviceCertificate {
  readonly serial: string;
  readonly deviceId: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedVia: 'simpleenroll' | 'simplereenroll' | 'serverkeygen';
  readonly keyAlgorithm: string;
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
  readonly certificatePem: string;
}

export interface Manufacturer {
  readonly id: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly autoClaim: boolean;
  readonly defaultGroup: string;
  readonly certificatePem: string;
  readonly createdAt: string;
}

/** Device IDs: what goes into the certificate's CN and `urn:palisade:device:<id>`. */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
export const DEVICE_ID = new RegExp(DEVICE_ID_PATTERN);

export function deviceUri(id: string): string {
  return `urn:palisade:device:${id}`;
}

/** Fastify params schema of every `/v1/devices/:id…` route. */
export const DEVICE_ID_PARAMS = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: DEVICE_ID_PATTERN } },
} as const;

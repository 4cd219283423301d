import {
  array,
  boolean,
  integer,
  invalid,
  type Json,
  object,
  optionalString,
  string,
} from './panel-answers.ts';

/**
 * The device registry's answers (devices, certificates, groups,
 * manufacturers, held enrollments), parsed once into typed values like the
 * operator answers in panel-answers.ts.
 */
export const DEVICE_STATES = ['claimed', 'enrolled', 'revoked', 'decommissioned'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** The target security level of a device group: Basic, Enhanced, Critical. */
export const SECURITY_LEVELS = ['SLB', 'SLE', 'SLC'] as const;
export type SecurityLevel = (typeof SECURITY_LEVELS)[number];

export const PENDING_STATUSES = ['pending', 'approved', 'rejected', 'issued'] as const;
export type PendingStatus = (typeof PENDING_STATUSES)[number];

function oneOf<const T extends readonly string[]>(
  o: Json,
  field: string,
  what: string,
  allowed: T,
): T[number] {
  const value = o[field];
  if (typeof value !== 'string' || !allowed.includes(value)) throw invalid(what, field);
  return value as T[number];
}

export interface DeviceInfo {
  readonly id: string;
  readonly group: string;
  readonly state: DeviceState;
  readonly idevidSerial: string | undefined;
  readonly idevidFingerprint: string | undefined;
  readonly manufacturer: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function parseDevice(value: unknown): DeviceInfo {
  const o = object(value, 'device');
  return {
    id: string(o, 'id', 'device'),
    group: string(o, 'group', 'device'),
    state: oneOf(o, 'state', 'device', DEVICE_STATES),
    idevidSerial: optionalString(o, 'idevidSerial', 'device'),
    idevidFingerprint: optionalString(o, 'idevidFingerprint', 'device'),
    manufacturer: optionalString(o, 'manufacturer', 'device'),
    createdAt: string(o, 'createdAt', 'device'),
    updatedAt: string(o, 'updatedAt', 'device'),
  };
}

/** One page of `GET /v1/devices`: the items are kept raw too, for --json. */
export function parseDevicePage(value: unknown): { devices: DeviceInfo[]; raw: unknown[] } {
  const raw = array(object(value, 'device list'), 'devices', 'device list');
  return { devices: raw.map(parseDevice), raw };
}

export interface CertificateInfo {
  readonly serial: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedVia: string;
  readonly keyAlgorithm: string;
  readonly revokedAt: string | undefined;
  readonly revocationReason: string | undefined;
}

function parseCertificate(value: unknown): CertificateInfo {
  const o = object(value, 'device certificate');
  const what = 'device certificate';
  return {
    serial: string(o, 'serial', what),
    subject: string(o, 'subject', what),
    notBefore: string(o, 'notBefore', what),
    notAfter: string(o, 'notAfter', what),
    issuedVia: string(o, 'issuedVia', what),
    keyAlgorithm: string(o, 'keyAlgorithm', what),
    revokedAt: optionalString(o, 'revokedAt', what),
    revocationReason: optionalString(o, 'revocationReason', what),
  };
}

export function parseDeviceDetail(value: unknown): { device: DeviceInfo; certificates: CertificateInfo[] } {
  const o = object(value, 'device');
  return {
    device: parseDevice(o.device),
    certificates: array(o, 'certificates', 'device').map(parseCertificate),
  };
}

export function parseEnrollmentToken(value: unknown): { token: string; expiresAt: string } {
  const o = object(value, 'enrollment token');
  return {
    token: string(o, 'token', 'enrollment token'),
    expiresAt: string(o, 'expiresAt', 'enrollment token'),
  };
}

export interface GroupInfo {
  readonly name: string;
  readonly targetLevel: SecurityLevel;
  readonly requireChannelBinding: boolean;
  readonly manualApproval: boolean;
  readonly certificateValidityDays: number;
}

export function parseGroup(value: unknown): GroupInfo {
  const o = object(value, 'group');
  return {
    name: string(o, 'name', 'group'),
    targetLevel: oneOf(o, 'targetLevel', 'group', SECURITY_LEVELS),
    requireChannelBinding: boolean(o, 'requireChannelBinding', 'group'),
    manualApproval: boolean(o, 'manualApproval', 'group'),
    certificateValidityDays: integer(o, 'certificateValidityDays', 'group'),
  };
}

export function parseGroupList(value: unknown): GroupInfo[] {
  return array(object(value, 'group list'), 'groups', 'group list').map(parseGroup);
}

export interface ManufacturerInfo {
  readonly id: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly autoClaim: boolean;
  readonly defaultGroup: string;
  readonly createdAt: string;
}

export function parseManufacturer(value: unknown): ManufacturerInfo {
  const o = object(value, 'manufacturer');
  return {
    id: string(o, 'id', 'manufacturer'),
    name: string(o, 'name', 'manufacturer'),
    fingerprint: string(o, 'fingerprint', 'manufacturer'),
    autoClaim: boolean(o, 'autoClaim', 'manufacturer'),
    defaultGroup: string(o, 'defaultGroup', 'manufacturer'),
    createdAt: string(o, 'createdAt', 'manufacturer'),
  };
}

export function parseManufacturerList(value: unknown): ManufacturerInfo[] {
  return array(object(value, 'manufacturer list'), 'manufacturers', 'manufacturer list').map(
    parseManufacturer,
  );
}

export interface PendingEnrollmentInfo {
  readonly id: string;
  readonly deviceId: string;
  readonly operation: string;
  readonly csrSha256: string;
  readonly status: PendingStatus;
  readonly decidedBy: string | undefined;
  readonly createdAt: string;
  readonly decidedAt: string | undefined;
}

export function parsePendingEnrollment(value: unknown): PendingEnrollmentInfo {
  const o = object(value, 'enrollment');
  return {
    id: string(o, 'id', 'enrollment'),
    deviceId: string(o, 'deviceId', 'enrollment'),
    operation: string(o, 'operation', 'enrollment'),
    csrSha256: string(o, 'csrSha256', 'enrollment'),
    status: oneOf(o, 'status', 'enrollment', PENDING_STATUSES),
    decidedBy: optionalString(o, 'decidedBy', 'enrollment'),
    createdAt: string(o, 'createdAt', 'enrollment'),
    decidedAt: optionalString(o, 'decidedAt', 'enrollment'),
  };
}

export function parsePendingEnrollmentList(value: unknown): PendingEnrollmentInfo[] {
  return array(object(value, 'enrollment list'), 'enrollments', 'enrollment list').map(
    parsePendingEnrollment,
  );
}

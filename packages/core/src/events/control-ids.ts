/**
 * The control IDs of REQUIREMENTS.md ("What Palisade must do"), which events
 * cite so that a SIEM can group them by the IIC endpoint-security control they
 * give evidence for. Stable: the compliance report uses the same IDs.
 */
export const CONTROL_IDS = [
  'RT-1',
  'RT-2',
  'RT-3',
  'ID-1',
  'ID-2',
  'ID-3',
  'SB-1',
  'SB-2',
  'SB-3',
  'CR-1',
  'CR-2',
  'CR-3',
  'CR-4',
  'CR-5',
  'CM-1',
  'CM-2',
  'SC-1',
  'SC-2',
  'SC-3',
  'SC-4',
  'MO-1',
  'MO-2',
  'PD-1',
  'PD-2',
  'PD-3',
  'SI-1',
  'SI-2',
  'SI-3',
  'SI-4',
] as const;
export type ControlId = (typeof CONTROL_IDS)[number];

export function isControlId(value: unknown): value is ControlId {
  return typeof value === 'string' && (CONTROL_IDS as readonly string[]).includes(value);
}

export type { IdevidRequest, IssuingManufacturer } from './idevid.ts';
export { issueIdevid, manufacturerNameOf, NO_WELL_DEFINED_EXPIRATION, parseDeviceSerial } from './idevid.ts';
export type { NewFile } from './lab-ca-files.ts';
export {
  CERTIFICATE_FILE_MODE,
  IDEVID_CHAIN_PEM,
  IDEVID_KEY,
  IDEVID_PEM,
  KEY_FILE_MODE,
  MANUFACTURER_CA_KEY,
  MANUFACTURER_CA_PEM,
  readManufacturerCa,
  writeNewFiles,
} from './lab-ca-files.ts';
export type { LabCertificate } from './lab-certificate.ts';
export { createManufacturerCa, parseManufacturerName } from './manufacturer-ca.ts';
export { sha256Fingerprint, subjectText, toPem, x509 } from './x509.ts';

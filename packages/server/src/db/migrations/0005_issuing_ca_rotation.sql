-- Issuing CA rotation (`palisade ca rotate-issuing`). The current issuing CA
-- keeps the name 'issuing'; a retired one is renamed 'issuing:<serial>' and
-- stamped with the time it was retired. It stays, key included, so that its
-- certificates keep working and its CRL and OCSP answers stay signed until it expires.
ALTER TABLE ca_material ADD COLUMN retired_at timestamptz;
ALTER TABLE ca_material ADD CONSTRAINT ca_material_retired
  CHECK ((retired_at IS NOT NULL) = (name LIKE 'issuing:%'));

-- Which issuing CA signed each device certificate (its serial, lower-case hex
-- without leading zeros). NULL only for certificates issued before this
-- migration: those belong to the issuing CA that was current until the first
-- rotation, which attributes them.
ALTER TABLE device_certificates ADD COLUMN issuer_serial text CHECK (issuer_serial ~ '^[0-9a-f]+$');
CREATE INDEX device_certificates_issuer_revoked ON device_certificates (issuer_serial, revoked_at)
  WHERE revoked_at IS NOT NULL;

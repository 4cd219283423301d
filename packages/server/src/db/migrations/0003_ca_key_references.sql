-- A CA key lives either in the database as encrypted PKCS#8 (the file store)
-- or on a PKCS#11 token, referenced by its object label; never both, never neither.
ALTER TABLE ca_material ALTER COLUMN encrypted_key_pem DROP NOT NULL;
ALTER TABLE ca_material ADD COLUMN key_ref text;
ALTER TABLE ca_material ADD CONSTRAINT ca_material_key_location
  CHECK ((encrypted_key_pem IS NULL) <> (key_ref IS NULL));

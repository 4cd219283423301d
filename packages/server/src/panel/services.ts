import type { AuditLog } from '../audit/index.ts';
import type { Db } from '../db/index.ts';
import type { OperatorCredentials, OperatorDirectory } from '../operators/index.ts';
import type { CaHierarchy } from '../pki/index.ts';

/** The panel's context services, built once at start and handed to the routes. */
export interface PanelServices {
  readonly db: Db;
  readonly audit: AuditLog;
  readonly operators: OperatorDirectory;
  readonly credentials: OperatorCredentials;
  readonly ca: CaHierarchy;
}

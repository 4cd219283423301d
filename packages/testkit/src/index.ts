export type { SoftHsmToken, SoftHsmTokenOptions } from './softhsm-token.ts';
export { createSoftHsmToken } from './softhsm-token.ts';
export { hasCommand, postgresUrl, STRICT, skipUnlessCommand } from './system-tools.ts';
export type { TestDatabase } from './test-database.ts';
export { clearTemplates, openTestDatabase } from './test-database.ts';
export type { TestPanel } from './test-panel.ts';
export { LogCapture, startTestPanel, TEST_ADMIN_PASSWORD } from './test-panel.ts';

export type { DataDirLock } from './data-dir-lock.ts';
export { acquireDataDirLock, LOCK_FILE } from './data-dir-lock.ts';
export type { DeviceApp } from './device-app.ts';
export { DEVICE_TLS_GROUPS, deviceOf } from './device-app.ts';
export { createLogger, REDACTED_PATHS } from './logger.ts';
export type { PanelSecrets, RunningPanel, StartPanelOptions, StartupFacts } from './panel.ts';
export { startPanel, startupNotice } from './panel.ts';
export type { PanelServices } from './services.ts';

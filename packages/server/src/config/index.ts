export type { ConfigErrorCode } from './config-error.ts';
export { ConfigError } from './config-error.ts';
export type { PanelConfig, ParsedServerArgs } from './panel-config.ts';
export {
  defaultPanelConfig,
  loadPanelConfig,
  PANEL_ENV_SECRETS,
  PANEL_OPTIONS,
  panelHelp,
} from './panel-config.ts';

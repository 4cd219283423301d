import { PalisadeError } from '@palisade/core';

export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_FILE_UNREADABLE';

export class ConfigError extends PalisadeError<ConfigErrorCode> {}

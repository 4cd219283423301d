export type { LoginThrottlePolicy } from './login-throttle.ts';
export { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from './login-throttle.ts';
export type { MintedSecret, SecretKind } from './secret-token.ts';
export { hashSecret, mintSecret, parseSecret, secretMatches } from './secret-token.ts';

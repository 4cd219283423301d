import { OPERATOR_ROLES } from '@palisade/core';

/** JSON Schemas shared by the operator routes; every object schema refuses unknown fields. */
export const usernameSchema = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'letters, digits, dot, underscore, hyphen; case-insensitive',
} as const;

export const roleSchema = { type: 'string', enum: [...OPERATOR_ROLES] } as const;

export const passwordSchema = { type: 'string', minLength: 1, maxLength: 1024 } as const;

export const operatorSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'mustChangePassword', 'disabled', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    username: { type: 'string' },
    role: roleSchema,
    mustChangePassword: { type: 'boolean' },
    disabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const tokenInfoSchema = {
  type: 'object',
  required: ['id', 'name', 'role', 'owner', 'createdAt', 'expiresAt', 'revoked', 'lastUsedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    role: roleSchema,
    owner: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    revoked: { type: 'boolean' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const usernameParams = {
  type: 'object',
  required: ['username'],
  additionalProperties: false,
  properties: { username: usernameSchema },
} as const;

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldProblem } from '@palisade/core';
import { SnmpExportError, type SnmpExportErrorCode } from './snmp-error.ts';
import { parseSnmpSenderOptions, type SnmpTrapSenderOptions } from './snmp-sender-options.ts';
import { snmpTrapSender } from './snmp-trap-sender.ts';

const USER = {
  name: 'palisade',
  authProtocol: 'sha256',
  authKey: 'auth-passphrase-1',
  privProtocol: 'aes',
  privKey: 'priv-passphrase-1',
} as const;

/** Options as a config file might hold them: the static type does not protect the sender. */
function untyped(options: Record<string, unknown>): SnmpTrapSenderOptions {
  return options as unknown as SnmpTrapSenderOptions;
}

function refusal(options: SnmpTrapSenderOptions, code: SnmpExportErrorCode): readonly FieldProblem[] {
  try {
    parseSnmpSenderOptions(options);
  } catch (error) {
    assert.ok(error instanceof SnmpExportError);
    assert.equal(error.code, code);
    assert.doesNotMatch(error.message, /passphrase|s3cret/, 'no secret in the message');
    assert.doesNotMatch(JSON.stringify(error.details), /passphrase|s3cret/, 'no secret in the details');
    return (error.details?.problems ?? []) as FieldProblem[];
  }
  assert.fail(`expected ${code}`);
}

describe('parseSnmpSenderOptions', () => {
  it('defaults to acknowledged informs on port 162', () => {
    const config = parseSnmpSenderOptions({ host: 'nms.example.net', version: '3', user: USER });
    assert.equal(config.inform, true);
    assert.deepEqual(config.target, { host: 'nms.example.net', port: 162, timeoutMs: 1000, retries: 3 });
    assert.equal(config.security.version, '3');
  });

  it('refuses SNMPv3 without privacy (authNoPriv)', () => {
    const { privProtocol: _p, privKey: _k, ...authNoPriv } = USER;
    const problems = refusal(
      untyped({ host: 'nms', version: '3', user: authNoPriv }),
      'SNMP_V3_AUTH_PRIV_REQUIRED',
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/user/privProtocol'],
    );
  });

  it('refuses SNMPv3 without authentication (noAuthNoPriv)', () => {
    const problems = refusal(
      untyped({ host: 'nms', version: '3', user: { name: 'palisade', authProtocol: 'none' } }),
      'SNMP_V3_AUTH_PRIV_REQUIRED',
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/user/authProtocol', '/user/privProtocol'],
    );
  });

  it('refuses an explicit security level below authPriv', () => {
    const problems = refusal(
      untyped({ host: 'nms', version: '3', user: { ...USER, level: 'authNoPriv' } }),
      'SNMP_V3_AUTH_PRIV_REQUIRED',
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/user/level'],
    );
  });

  it('refuses MD5, DES and short passphrases, naming every field', () => {
    const user = {
      name: 'palisade',
      authProtocol: 'md5',
      authKey: 's3cret',
      privProtocol: 'des',
      privKey: 's3cret',
    };
    const problems = refusal(
      untyped({ host: '', port: 70000, version: '3', user, inform: false }),
      'SNMP_CONFIG_INVALID',
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        '/host',
        '/port',
        '/user/authProtocol',
        '/user/authKey',
        '/user/privProtocol',
        '/user/privKey',
        '/engineId',
      ],
    );
  });

  it('requires a well-formed engine ID for SNMPv3 traps, the authoritative engine being the sender', () => {
    const trap = { host: 'nms', version: '3', user: USER, inform: false } as const;
    assert.deepEqual(
      refusal(trap, 'SNMP_CONFIG_INVALID').map((p) => p.path),
      ['/engineId'],
    );
    assert.deepEqual(
      refusal({ ...trap, engineId: '0x8000' }, 'SNMP_CONFIG_INVALID').map((p) => p.path),
      ['/engineId'],
    );
    const config = parseSnmpSenderOptions({ ...trap, engineId: '0x8000B98380AABBCCDDEEFF' });
    assert.equal(config.security.version === '3' && config.security.engineId, '8000B98380AABBCCDDEEFF');
  });

  it('refuses an unknown version and an empty community', () => {
    assert.deepEqual(
      refusal(untyped({ host: 'nms', version: '1' }), 'SNMP_CONFIG_INVALID').map((p) => p.path),
      ['/version'],
    );
    assert.deepEqual(
      refusal(untyped({ host: 'nms', version: '2c', community: '' }), 'SNMP_CONFIG_INVALID').map(
        (p) => p.path,
      ),
      ['/community'],
    );
  });

  it('is applied by snmpTrapSender before any socket is opened', () => {
    assert.throws(
      () => snmpTrapSender(untyped({ host: 'nms', version: '3', user: { name: 'palisade' } })),
      (error: unknown) => error instanceof SnmpExportError && error.code === 'SNMP_V3_AUTH_PRIV_REQUIRED',
    );
  });
});

describe('snmpTrapSender', () => {
  it('refuses to send after close', async () => {
    const sender = snmpTrapSender({ host: '127.0.0.1', port: 9, version: '2c', community: 'public' });
    await sender.close();
    await sender.close();
    await assert.rejects(
      sender.send({
        id: 'evt-1',
        type: 't',
        severity: 1,
        deviceId: null,
        source: 'panel',
        controls: [],
        message: '',
        occurredAt: new Date(),
      }),
      (error: unknown) => error instanceof SnmpExportError && error.code === 'SNMP_SENDER_CLOSED',
    );
  });
});

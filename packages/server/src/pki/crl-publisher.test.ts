import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTestDatabase } from '@palisade/testkit';
import { CrlPublisher } from './crl-publisher.ts';
import { createTestHierarchy } from './test-authority.ts';
import { x509 } from './x509.ts';

describe('CrlPublisher', () => {
  async function setUp() {
    const database = await openTestDatabase();
    const { issuing } = await createTestHierarchy();
    let clock = Date.parse('2026-11-22T00:00:00Z');
    const revoked: Array<{ serialHex: string; revokedAt: Date; reason: 'keyCompromise' }> = [];
    const publisher = (policy = { validitySeconds: 3600, reissueBeforeSeconds: 1800 }, key?: string) =>
      new CrlPublisher({
        db: database.db,
        issuer: issuing,
        policy,
        ...(key === undefined ? {} : { key }),
        now: () => new Date(clock),
        revoked: async () => [...revoked],
      });
    return { database, publisher, revoked, advance: (s: number) => (clock += s * 1000) };
  }

  it('publishes CRL 1 on first use, serves it while fresh, and numbers every reissue', async () => {
    const { database, publisher, revoked, advance } = await setUp();
    await using _ = database;
    const crl = publisher();
    const first = await crl.current();
    assert.equal(first.crlNumber, 1);
    advance(60);
    assert.equal((await crl.current()).crlNumber, 1);
    revoked.push({ serialHex: '0abc', revokedAt: new Date(), reason: 'keyCompromise' });
    const second = await crl.reissue();
    assert.equal(second.crlNumber, 2);
    assert.deepEqual(
      new x509.X509Crl(second.der).entries.map((e) => e.serialNumber.toLowerCase()),
      ['0abc'],
    );
    advance(1801);
    assert.equal((await crl.current()).crlNumber, 3, 'reissued when less than reissueBefore remained');
  });

  it('publishes once when replicas find the CRL due at the same moment', async () => {
    const { database, publisher, advance } = await setUp();
    await using _ = database;
    await publisher().current();
    advance(3000);
    const replicas = [publisher(), publisher(), publisher()];
    const numbers = await Promise.all(replicas.map((r) => r.current().then((c) => c.crlNumber)));
    assert.deepEqual(numbers, [2, 2, 2]);
  });

  it('numbers each issuer’s CRL above the one stored before CRLs were kept per issuer (RFC 5280 §5.2.3)', async () => {
    const { database, publisher } = await setUp();
    await using _ = database;
    const legacy = publisher(); // the key every CRL had before issuing CAs could be rotated
    await legacy.current();
    await legacy.reissue();
    assert.equal((await legacy.reissue()).crlNumber, 3);
    const current = publisher(undefined, 'issuing-1a');
    assert.equal((await current.current()).crlNumber, 4);
    assert.equal((await current.reissue()).crlNumber, 5);
    const retired = publisher(undefined, 'issuing-2b');
    assert.equal((await retired.current()).crlNumber, 4, 'each issuer numbers its own CRLs');
    const stored = await database.db.query<{ issuer: string }>(
      'SELECT issuer FROM crl_state ORDER BY issuer',
    );
    assert.deepEqual(
      stored.rows.map((r) => r.issuer),
      ['issuing', 'issuing-1a', 'issuing-2b'],
    );
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FirewallPolicy, PanelEndpoint } from '@palisade/core';
import fc from 'fast-check';
import { firewallPolicy } from './firewall-arbitraries.ts';
import { FirewallError, type FirewallErrorCode } from './firewall-error.ts';
import { createNetnsLab, LAB, type NetnsLab, skipUnlessNetns } from './netns-lab.ts';
import type { NftRunner } from './nft-runner.ts';
import { NftablesFirewall, type NftablesFirewallOptions } from './nftables-firewall.ts';
import { renderFirewall } from './render-nftables.ts';
import { ABSENT_TABLE_HASH } from './ruleset-hash.ts';

const PANEL: PanelEndpoint[] = [
  { address: LAB.peerV4, port: 8443 },
  { address: LAB.peerV6, port: 8443 },
];
const SSH = 22;
const TELNET = 2323;
/** Dead-man windows in these tests: long enough for a probe inside them under load, short enough to wait out. */
const WINDOW_MS = 2_500;
/**
 * Below TCP's 1 s initial SYN retransmission timeout (RFC 6298 §2.1), so a
 * probe inside the window never sends its SYN again after the rollback.
 */
const IN_WINDOW_PROBE_MS = 800;

/** Only SSH in, from the peer (both families); anything out. */
const SSH_ONLY: FirewallPolicy = {
  defaultIngress: 'drop',
  defaultEgress: 'accept',
  logDrops: true,
  rules: [
    {
      direction: 'ingress',
      action: 'accept',
      protocol: 'tcp',
      ports: [{ from: SSH, to: SSH }],
      addresses: [`${LAB.peerV4}/32`, LAB.peerV6],
      comment: 'ssh from the peer',
    },
  ],
};
/** Nothing in, nothing out but the panel (which the renderer always allows). */
const LOCKED_DOWN: FirewallPolicy = {
  defaultIngress: 'drop',
  defaultEgress: 'drop',
  logDrops: false,
  rules: [],
};

/** Stands in for Docker's or the distribution's table: Palisade must never touch it. */
const FOREIGN_TABLE =
  'table ip foreign {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tcounter\n\t}\n}\n';

function hasCode(code: FirewallErrorCode): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof FirewallError, `expected a FirewallError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

describe('NftablesFirewall on real nftables in a network namespace', { skip: skipUnlessNetns() }, () => {
  let lab: NetnsLab;
  let stateRoot: string;
  let stateDir: string;
  const firewalls: NftablesFirewall[] = [];

  const nft = (...args: string[]) => lab.exec(lab.device, ['nft', ...args]);
  const foreignListing = () => nft('-s', 'list', 'table', 'ip', 'foreign');
  const fromPeer = (host: string, port: number) => lab.probe(lab.peer, host, port);
  const fromDevice = (host: string, port: number) => lab.probe(lab.device, host, port);
  const firewall = (options: Partial<NftablesFirewallOptions> = {}) => {
    const created = new NftablesFirewall({ stateDir, runner: lab.runner, ...options });
    firewalls.push(created);
    return created;
  };

  before(async () => {
    lab = await createNetnsLab();
    stateRoot = await mkdtemp(join(tmpdir(), 'palisade-fw-state-'));
    // `::` is dual-stack: one server answers on both families.
    await lab.listen(lab.device, '::', SSH);
    await lab.listen(lab.device, '::', TELNET);
    await lab.listen(lab.peer, '::', 8443);
    await lab.listen(lab.peer, '::', 8080);
  });

  after(async () => {
    for (const created of firewalls) created.close();
    await lab?.dispose();
    if (stateRoot !== undefined) await rm(stateRoot, { recursive: true, force: true });
  });

  beforeEach(async () => {
    for (const created of firewalls.splice(0)) created.close();
    stateDir = await mkdtemp(join(stateRoot, 'agent-'));
    await nft('flush', 'ruleset');
    await lab.exec(lab.device, ['nft', '-f', '-'], FOREIGN_TABLE);
  });

  it('the lab network works before any firewall (the baseline every verdict below is measured against)', async () => {
    assert.equal(await fromPeer(LAB.deviceV4, TELNET), 'connected');
    assert.equal(await fromPeer(LAB.deviceV6, TELNET), 'connected');
    assert.equal(await fromDevice(LAB.otherPeerV4, 8080), 'connected');
  });

  describe('#check', () => {
    it('refuses a script nft rejects with FIREWALL_RULESET_REFUSED and nft’s message, changing nothing', async () => {
      const script = renderFirewall(SSH_ONLY, PANEL).replace('policy drop;', 'policy drop; bogus;');
      const error = await firewall()
        .check(script)
        .then(
          () => assert.fail('nft accepted a broken script'),
          (e: unknown) => e,
        );
      assert.ok(hasCode('FIREWALL_RULESET_REFUSED')(error) && error instanceof FirewallError);
      assert.match(String(error.details?.stderr), /syntax error/);
      assert.equal(await firewall().liveStateHash(), ABSENT_TABLE_HASH);
    });

    it('accepts the rendering of every valid policy (property, against this machine’s nft)', async () => {
      const checker = firewall();
      await fc.assert(
        fc.asyncProperty(firewallPolicy, async (policy) => checker.check(renderFirewall(policy, PANEL))),
        { numRuns: 40 },
      );
    });
  });

  describe('#apply', () => {
    it('lets the allowed ingress port in over IPv4 and IPv6 and drops the others', async () => {
      const fw = firewall();
      const application = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      assert.deepEqual(await application.settled, {
        outcome: 'confirmed',
        activeHash: application.appliedHash,
      });

      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
      // IPv6 only connects if neighbour discovery passes the input chain's drop policy.
      assert.equal(await fromPeer(LAB.deviceV6, SSH), 'connected');
      assert.equal(await fromPeer(LAB.deviceV4, TELNET), 'timeout');
      assert.equal(await fromPeer(LAB.deviceV6, TELNET), 'timeout');
      assert.equal(await foreignListing(), FOREIGN_TABLE);
    });

    it('drops egress to a denied address and lets the rest out', async () => {
      const fw = firewall();
      const denyOther: FirewallPolicy = {
        defaultIngress: 'accept',
        defaultEgress: 'accept',
        logDrops: false,
        rules: [{ direction: 'egress', action: 'drop', protocol: 'tcp', addresses: [LAB.otherPeerV4] }],
      };
      await fw.apply(denyOther, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      assert.equal(await fromDevice(LAB.otherPeerV4, 8080), 'timeout');
      assert.equal(await fromDevice(LAB.peerV4, 8080), 'connected');
    });

    it('keeps the panel endpoints reachable with defaultEgress drop and no rules, and nothing else', async () => {
      const fw = firewall();
      await fw.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      assert.equal(await fromDevice(LAB.peerV4, 8443), 'connected');
      assert.equal(await fromDevice(LAB.peerV6, 8443), 'connected');
      assert.equal(await fromDevice(LAB.peerV4, 8080), 'timeout');
      assert.equal(await fromDevice(LAB.otherPeerV4, 8443), 'timeout');
    });

    it('neutralises a comment that tries to inject nft syntax', async () => {
      const fw = firewall();
      // Unfiltered, this would end the rule after the quote and add an accept-everything rule.
      const hostile: FirewallPolicy = {
        ...LOCKED_DOWN,
        rules: [
          {
            direction: 'ingress',
            action: 'accept',
            protocol: 'tcp',
            ports: [{ from: SSH, to: SSH }],
            comment: 'ssh"; accept comment "owned',
          },
        ],
      };
      await fw.apply(hostile, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      const input = await nft('list', 'chain', 'inet', 'palisade', 'input');
      assert.match(input, /\t\ttcp dport 22 accept comment "ssh__ accept comment _owned"\n/);
      assert.doesNotMatch(input, /^\t\taccept/m);
      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
      assert.equal(await fromPeer(LAB.deviceV4, TELNET), 'timeout');
      assert.equal(await foreignListing(), FOREIGN_TABLE);
    });

    it('leaves the previous ruleset in force when nft -f refuses the script (one transaction)', async () => {
      const fw = firewall();
      const confirmed = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();

      // The script deletes our table, then fails in the kernel (a jump to no chain) in the same
      // transaction; `nft -c` is bypassed so that only `nft -f`'s atomicity stands between.
      const noCheck: NftRunner = (args, stdin) =>
        args[0] === '-c' ? Promise.resolve({ exitCode: 0, stdout: '', stderr: '' }) : lab.runner(args, stdin);
      const sabotaged = firewall({
        runner: noCheck,
        render: (policy, panel) =>
          renderFirewall(policy, panel).replace(
            'ct state invalid drop',
            'ct state invalid jump no_such_chain',
          ),
      });
      const error = await sabotaged.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 30_000 }).then(
        () => assert.fail('nft accepted a jump to a missing chain'),
        (e: unknown) => e,
      );
      assert.ok(hasCode('FIREWALL_RULESET_REFUSED')(error) && error instanceof FirewallError);
      assert.match(String(error.details?.stderr), /no_such_chain/);

      assert.deepEqual(await sabotaged.detectDrift(), {
        drifted: false,
        expected: confirmed.appliedHash,
        actual: confirmed.appliedHash,
      });
      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
      assert.equal(await fromPeer(LAB.deviceV4, TELNET), 'timeout');
      await assert.rejects(sabotaged.confirm(), hasCode('FIREWALL_NOT_PENDING'));
    });

    it('restores the previous table when nft -f did not finish (its commit unknown) and rethrows', async () => {
      const fw = firewall();
      const confirmed = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      // nft commits, then the call "times out" as far as the agent can tell.
      const lostAnswer: NftRunner = async (args, stdin) => {
        const result = await lab.runner(args, stdin);
        if (args.join(' ') === '-f -' && stdin?.includes('policy drop;') === true && !stdin.includes('ssh')) {
          throw new FirewallError('FIREWALL_COMMAND_FAILED', 'nft -f -: timed out after 15000 ms');
        }
        return result;
      };
      const flaky = firewall({ runner: lostAnswer });
      await assert.rejects(
        flaky.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 30_000 }),
        hasCode('FIREWALL_COMMAND_FAILED'),
      );
      assert.deepEqual(await flaky.detectDrift(), {
        drifted: false,
        expected: confirmed.appliedHash,
        actual: confirmed.appliedHash,
      });
      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
    });

    it('stops at nft -c: a refused script is never applied', async () => {
      const calls: string[] = [];
      const logging: NftRunner = (args, stdin) => {
        calls.push(args.join(' '));
        return lab.runner(args, stdin);
      };
      const fw = firewall({
        runner: logging,
        render: (policy, panel) => renderFirewall(policy, panel).replace('policy drop;', 'policy maybe;'),
      });
      await assert.rejects(
        fw.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 30_000 }),
        hasCode('FIREWALL_RULESET_REFUSED'),
      );
      assert.deepEqual(calls, ['-c -f -']);
      assert.equal(await fw.liveStateHash(), ABSENT_TABLE_HASH);
    });

    it('refuses a second application while the first awaits confirmation', async () => {
      const fw = firewall();
      await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await assert.rejects(
        fw.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 30_000 }),
        hasCode('FIREWALL_CONFIRMATION_PENDING'),
      );
    });

    it('refuses a confirmation window that is not a positive whole number of milliseconds', async () => {
      for (const confirmWithinMs of [0, -1, 1.5, Number.POSITIVE_INFINITY, 24 * 3_600_000]) {
        await assert.rejects(
          firewall().apply(SSH_ONLY, PANEL, { confirmWithinMs }),
          hasCode('FIREWALL_OPTIONS_INVALID'),
        );
      }
      assert.equal(await firewall().liveStateHash(), ABSENT_TABLE_HASH);
    });
  });

  describe('dead-man switch', () => {
    it('restores the previous table when confirm() does not come, and traffic behaves as before', async () => {
      const fw = firewall();
      const first = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();

      const second = await fw.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: WINDOW_MS });
      assert.notEqual(second.appliedHash, first.appliedHash);
      // The new rules are in force meanwhile.
      assert.equal(await lab.probe(lab.peer, LAB.deviceV4, SSH, IN_WINDOW_PROBE_MS), 'timeout');

      assert.deepEqual(await second.settled, {
        outcome: 'rolled_back',
        restored: 'previous',
        activeHash: first.appliedHash,
      });
      assert.equal(await fw.liveStateHash(), first.appliedHash);
      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
      assert.equal(await fromPeer(LAB.deviceV4, TELNET), 'timeout');
      assert.equal((await fw.detectDrift()).drifted, false);
      assert.equal(await foreignListing(), FOREIGN_TABLE);
      await assert.rejects(fw.confirm(), hasCode('FIREWALL_NOT_PENDING'));
    });

    it('deletes its table when there was none before', async () => {
      const fw = firewall();
      const application = await fw.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: WINDOW_MS });
      assert.equal(await lab.probe(lab.peer, LAB.deviceV4, TELNET, IN_WINDOW_PROBE_MS), 'timeout');
      assert.deepEqual(await application.settled, {
        outcome: 'rolled_back',
        restored: 'absent',
        activeHash: ABSENT_TABLE_HASH,
      });
      assert.equal(await fromPeer(LAB.deviceV4, TELNET), 'connected');
      assert.equal(await foreignListing(), FOREIGN_TABLE);
    });

    it('rolls back at the next start when the agent stopped during the window', async () => {
      const before = firewall();
      const confirmed = await before.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await before.confirm();
      const unconfirmed = await before.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 60_000 });
      before.close(); // the agent stops (crash, reboot) before it reached its panel
      assert.deepEqual(await unconfirmed.settled, { outcome: 'interrupted' });
      assert.equal(await before.liveStateHash(), unconfirmed.appliedHash);

      const restarted = firewall();
      await assert.rejects(restarted.detectDrift(), hasCode('FIREWALL_CONFIRMATION_PENDING'));
      await assert.rejects(
        restarted.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 }),
        hasCode('FIREWALL_CONFIRMATION_PENDING'),
      );
      assert.deepEqual(await restarted.recover(), {
        outcome: 'rolled_back',
        restored: 'previous',
        activeHash: confirmed.appliedHash,
      });
      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
      assert.deepEqual(await restarted.recover(), { outcome: 'nothing_pending' });
      assert.equal((await restarted.detectDrift()).drifted, false);
    });

    it('reports rollback_failed when nft refuses the restore, and recover() retries it', async () => {
      const fw = firewall();
      const confirmed = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      fw.close();
      const refuseRestore: NftRunner = (args, stdin) =>
        stdin?.includes('delete table') === true && stdin.includes('ssh from the peer')
          ? Promise.resolve({
              exitCode: 1,
              stdout: '',
              stderr: 'Error: Could not process rule: Device busy\n',
            })
          : lab.runner(args, stdin);
      const stuck = firewall({ runner: refuseRestore });
      const application = await stuck.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: WINDOW_MS });
      const settlement = await application.settled;
      assert.equal(settlement.outcome, 'rollback_failed');
      assert.ok(settlement.outcome === 'rollback_failed');
      assert.equal(settlement.error.code, 'FIREWALL_ROLLBACK_FAILED');
      assert.match(String(settlement.error.details?.stderr), /Device busy/);
      assert.equal(await stuck.liveStateHash(), application.appliedHash);

      stuck.close();
      const restarted = firewall();
      assert.deepEqual(await restarted.recover(), {
        outcome: 'rolled_back',
        restored: 'previous',
        activeHash: confirmed.appliedHash,
      });
      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
    });

    it('keeps confirmed rules across a restart', async () => {
      const fw = firewall();
      const application = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      fw.close();
      const restarted = firewall();
      assert.deepEqual(await restarted.recover(), { outcome: 'nothing_pending' });
      assert.deepEqual(await restarted.detectDrift(), {
        drifted: false,
        expected: application.appliedHash,
        actual: application.appliedHash,
      });
    });
  });

  describe('#detectDrift', () => {
    it('reports no drift on an untouched table, then drift after a rule is added by hand', async () => {
      const fw = firewall();
      const application = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      assert.deepEqual(await fw.detectDrift(), {
        drifted: false,
        expected: application.appliedHash,
        actual: application.appliedHash,
      });
      // Traffic changes counters, not the hash.
      assert.equal(await fromPeer(LAB.deviceV4, SSH), 'connected');
      assert.equal((await fw.detectDrift()).drifted, false);

      await nft('insert', 'rule', 'inet', 'palisade', 'input', 'accept');
      const drift = await fw.detectDrift();
      assert.equal(drift.drifted, true);
      assert.equal(drift.expected, application.appliedHash);
      assert.notEqual(drift.actual, application.appliedHash);
      assert.notEqual(drift.actual, ABSENT_TABLE_HASH);
    });

    it('reports drift after nft flush ruleset and after the table is deleted', async () => {
      const fw = firewall();
      const application = await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      await nft('flush', 'ruleset');
      assert.deepEqual(await fw.detectDrift(), {
        drifted: true,
        expected: application.appliedHash,
        actual: ABSENT_TABLE_HASH,
      });

      await fw.apply(SSH_ONLY, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      assert.equal((await fw.detectDrift()).drifted, false);
      await nft('delete', 'table', 'inet', 'palisade');
      assert.equal((await fw.detectDrift()).actual, ABSENT_TABLE_HASH);
      assert.equal((await fw.detectDrift()).drifted, true);
    });
  });

  describe('#remove', () => {
    it('deletes only Palisade’s table and expects it absent from then on', async () => {
      const fw = firewall();
      await fw.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 30_000 });
      await fw.confirm();
      await fw.remove();
      assert.deepEqual(await fw.detectDrift(), {
        drifted: false,
        expected: ABSENT_TABLE_HASH,
        actual: ABSENT_TABLE_HASH,
      });
      assert.equal(await foreignListing(), FOREIGN_TABLE);
      assert.equal(await fromPeer(LAB.deviceV4, TELNET), 'connected');
      await fw.remove(); // idempotent
    });

    it('ends a pending application as removed, and its switch no longer fires', async () => {
      const fw = firewall();
      const application = await fw.apply(LOCKED_DOWN, PANEL, { confirmWithinMs: 500 });
      await fw.remove();
      assert.deepEqual(await application.settled, { outcome: 'removed' });
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(await fw.liveStateHash(), ABSENT_TABLE_HASH);
      assert.deepEqual(await firewall().recover(), { outcome: 'nothing_pending' });
    });
  });
});

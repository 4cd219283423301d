import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FirewallError } from './firewall-error.ts';
import { createNftRunner, nftComplaint } from './nft-runner.ts';

// Stand-ins for nft: the runner's contract (stdin in, exit status and output back,
// failure to run as FIREWALL_COMMAND_FAILED) does not depend on which program it runs.
function isCommandFailed(pattern: RegExp): (error: unknown) => boolean {
  return (error) =>
    error instanceof FirewallError && error.code === 'FIREWALL_COMMAND_FAILED' && pattern.test(error.message);
}

describe('createNftRunner', () => {
  it('feeds stdin and returns stdout', async () => {
    const cat = createNftRunner({ nftPath: 'cat' });
    assert.deepEqual(await cat([], 'table inet palisade {}\n'), {
      exitCode: 0,
      stdout: 'table inet palisade {}\n',
      stderr: '',
    });
  });

  it('resolves a non-zero exit with its stderr: nft refusing is an answer', async () => {
    const sh = createNftRunner({ nftPath: 'sh' });
    assert.deepEqual(await sh(['-c', 'echo refused >&2; exit 1']), {
      exitCode: 1,
      stdout: '',
      stderr: 'refused\n',
    });
  });

  it('runs nft behind a prefix (ip netns exec …)', async () => {
    const prefixed = createNftRunner({ prefix: ['env', 'PALISADE_PREFIXED=yes'], nftPath: 'sh' });
    const { stdout } = await prefixed(['-c', 'echo $PALISADE_PREFIXED']);
    assert.equal(stdout, 'yes\n');
  });

  it('rejects with FIREWALL_COMMAND_FAILED when the binary is missing', async () => {
    const missing = createNftRunner({ nftPath: '/nonexistent/nft' });
    await assert.rejects(missing(['--version']), isCommandFailed(/not installed/));
  });

  it('kills a hung call at its timeout and rejects with FIREWALL_COMMAND_FAILED', async () => {
    const started = Date.now();
    const hung = createNftRunner({ nftPath: 'sleep', timeoutMs: 200 });
    await assert.rejects(hung(['30']), isCommandFailed(/timed out after 200 ms/));
    assert.ok(Date.now() - started < 5_000);
  });
});

describe('nftComplaint', () => {
  it('keeps nft’s lines, turns tabs into spaces and drops other control characters', () => {
    assert.equal(
      nftComplaint('\n/dev/stdin:3:5-9: Error: syntax error\x1b[31m\n\ttcp dport 22   \n\n'),
      '/dev/stdin:3:5-9: Error: syntax error[31m\n tcp dport 22',
    );
  });

  it('bounds a long complaint', () => {
    assert.equal(nftComplaint('x'.repeat(10_000)).length, 4_001);
  });
});

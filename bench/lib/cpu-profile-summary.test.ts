import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeProfile } from './cpu-profile-summary.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// (root) → handler (packages/server) → parse (asn1js); (root) → (idle)
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4] },
    {
      id: 2,
      callFrame: frame('handler', 'file:///repo/packages/server/src/est/est-routes.ts', 9),
      children: [3],
    },
    { id: 3, callFrame: frame('parse', 'file:///repo/node_modules/asn1js/build/index.js', 99) },
    { id: 4, callFrame: frame('(idle)') },
  ],
  startTime: 0,
  endTime: 10_000,
  // Each sample lasts until the next one: 2 ms, 3 ms, 4 ms, then 1 ms (the last counts 0).
  samples: [3, 2, 3, 4, 4],
  timeDeltas: [0, 2000, 3000, 4000, 1000],
};

describe('summarizeProfile', () => {
  it('sums self time by package and function, and inclusive time up the stack', () => {
    const summary = summarizeProfile(profile);
    assert.equal(summary.sampledMs, 10);
    assert.deepEqual(Object.fromEntries(summary.selfByPackage), {
      asn1js: 6,
      'packages/server/src/est': 3,
      '(idle)': 1,
    });
    const inclusive = Object.fromEntries(summary.inclusiveByFunction);
    assert.equal(inclusive['handler packages/server/src/est/est-routes.ts:10'], 9);
    assert.equal(inclusive['parse asn1js/build/index.js:100'], 6);
    assert.equal(inclusive['(root)'], 10);
  });

  it('keeps only the last seconds before the end when asked', () => {
    // Samples at 0, 2, 5, 9 and 10 ms; the last 0.005 s start at 5 ms.
    const summary = summarizeProfile(profile, 0.005);
    assert.equal(summary.sampledMs, 5);
    assert.deepEqual(Object.fromEntries(summary.selfByPackage), { asn1js: 4, '(idle)': 1 });
  });
});

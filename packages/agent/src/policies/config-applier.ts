/**
 * The `config` kind (CM-1): files written atomically with the policy's mode
 * and owner, only below the operator's allowed directories; values handed to
 * local applications through the client's document getter. Removing the kind
 * (or dropping a file from a later version) leaves the files in place: the
 * agent stops managing them, it does not delete an application's config.
 */
import type { ConfigFile, ConfigPolicy } from '@palisade/core';
import {
  fileStatesHash,
  liveState,
  type PlannedFile,
  plannedState,
  writeConfigFiles,
} from './config-files.ts';
import { allowedRootOf, prepareManagedParents } from './managed-path.ts';
import type { ApplyOutcome, LiveDrift, PolicyApplier } from './policy-applier.ts';
import { type AccountFiles, resolveOwner, SYSTEM_ACCOUNT_FILES } from './unix-accounts.ts';

export interface ConfigApplierOptions {
  readonly allowedDirectories: readonly string[];
  readonly accounts?: AccountFiles;
}

export class ConfigApplier implements PolicyApplier<'config'> {
  readonly kind = 'config';
  readonly #allowed: readonly string[];
  readonly #accounts: AccountFiles;

  constructor(options: ConfigApplierOptions) {
    this.#allowed = options.allowedDirectories;
    this.#accounts = options.accounts ?? SYSTEM_ACCOUNT_FILES;
  }

  async apply(document: ConfigPolicy): Promise<ApplyOutcome> {
    const planned = await this.#plan(document);
    await writeConfigFiles(planned);
    return { outcome: 'applied', liveStateHash: fileStatesHash(plannedState(planned)) };
  }

  async remove(): Promise<void> {
    // Files stay; the caller forgets the policy, and with it the drift checks.
  }

  async drift(document: ConfigPolicy, expected: string | undefined): Promise<LiveDrift | undefined> {
    const paths = document.files.map((file) => file.path);
    const live = await liveState(paths);
    const actual = fileStatesHash(live);
    if (expected === undefined || actual === expected) return undefined;
    // Which files: compare with what the policy would write now (owners resolved again).
    const wanted = plannedState(await this.#plan(document, { prepare: false }).catch(() => []));
    const changed = live
      .filter((state, index) => JSON.stringify(state) !== JSON.stringify(wanted[index]))
      .map((state) => state.path);
    return {
      expected,
      actual,
      message: `${changed.length} managed file(s) changed on the device: ${changed.slice(0, 10).join(', ')}`,
      event: {
        type: 'config.drift',
        severity: 6,
        body: {
          message: 'Managed configuration files differ from the applied policy',
          paths: changed.slice(0, 32),
          expectedHash: expected,
          actualHash: actual,
        },
      },
    };
  }

  /** Checks every path and owner before anything is touched: a refusal leaves the disk as it was. */
  async #plan(document: ConfigPolicy, { prepare } = { prepare: true }): Promise<PlannedFile[]> {
    const roots = document.files.map((file) => allowedRootOf(file.path, this.#allowed));
    const planned: PlannedFile[] = [];
    for (const file of document.files) {
      const { uid, gid } = await resolveOwner(this.#accounts, file.owner, file.group);
      planned.push({
        path: file.path,
        bytes: contentOf(file),
        mode: Number.parseInt(file.mode, 8),
        uid,
        gid,
      });
    }
    if (prepare) {
      for (const create of [false, true])
        for (const [index, file] of document.files.entries())
          await prepareManagedParents(file.path, roots[index] as string, create);
    }
    return planned;
  }
}

function contentOf(file: ConfigFile): Buffer {
  return 'contentBase64' in file
    ? Buffer.from(file.contentBase64, 'base64')
    : Buffer.from(file.content, 'utf8');
}

/**
 * Parsers for /proc/cpuinfo and /proc/meminfo. Architectures name the CPU
 * model differently: x86 `model name`, many ARM boards `Model` or
 * `Hardware`, MIPS `cpu model`, old ARM kernels `Processor`.
 */

const MODEL_KEYS = ['model name', 'cpu model', 'Model', 'Hardware', 'Processor'] as const;

export interface CpuinfoFacts {
  readonly model?: string;
  /** Number of `processor : N` entries, i.e. online logical CPUs. */
  readonly processors: number;
}

export function parseCpuinfo(text: string): CpuinfoFacts {
  const values = new Map<string, string>();
  let processors = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    // Old ARM kernels have `Processor : ARMv7 …` (a model); every kernel has `processor : <n>`.
    if (key === 'processor' && /^\d+$/.test(value)) processors += 1;
    else if (value !== '' && !values.has(key)) values.set(key, value);
  }
  const model = MODEL_KEYS.map((k) => values.get(k)).find((v) => v !== undefined);
  return model === undefined ? { processors } : { model, processors };
}

/** `MemTotal:  24684100 kB` in bytes (the kernel's "kB" is KiB), or undefined. */
export function parseMemTotal(text: string): number | undefined {
  const match = /^MemTotal:\s+(\d{1,15})\s+kB\s*$/m.exec(text);
  if (match?.[1] === undefined) return undefined;
  const bytes = Number(match[1]) * 1024;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

import type { ConfigOverride } from './load-config.js';

/** How one environment variable maps onto a configuration option. */
export interface EnvBinding {
  name: string;
  path: readonly (string | number)[];
  type: 'string' | 'number';
}

/**
 * Collects the overrides set in `env`. Numbers are converted only when the text
 * is a plain number, so `PORT=80x` reaches the schema unchanged and is reported
 * as `environment variable PORT: expected a number, got "80x"`.
 */
export function envOverrides(env: NodeJS.ProcessEnv, bindings: readonly EnvBinding[]): ConfigOverride[] {
  const out: ConfigOverride[] = [];
  for (const b of bindings) {
    const text = env[b.name];
    if (text === undefined || text === '') continue;
    const trimmed = text.trim();
    const value = b.type === 'number' && /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : text;
    out.push({ path: b.path, value, source: `environment variable ${b.name}` });
  }
  return out;
}

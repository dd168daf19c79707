/** One thing wrong with a configuration file, located as precisely as we can. */
export interface ConfigProblem {
  /** The file as the user named it (relative paths stay relative). */
  file: string;
  /** Dotted path with list indexes, e.g. `sites[1].devices[2].port`; empty for the whole file. */
  path: string;
  reason: string;
  /** 1-based line and column in the file, when the value (or its parent) is there. */
  line?: number;
  column?: number;
}

/** Formats one problem as the single line a technician reads: `file: path: reason (line L, column C)`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.path ? `${p.file}: ${p.path}: ` : `${p.file}: `;
  const at = p.line !== undefined ? ` (line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ''})` : '';
  return `${where}${p.reason}${at}`;
}

/**
 * Thrown when a configuration cannot be used. Start-up stops on it with exit
 * code 2 (`CONFIG_ERROR_EXIT_CODE`); every problem found is listed at once.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Exit code of every part (server, gateway, simulators) when its configuration is invalid. */
export const CONFIG_ERROR_EXIT_CODE = 2;

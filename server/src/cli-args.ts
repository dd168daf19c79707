/** The few command-line options the server takes; anything else is an error with usage. */
export interface ServerArgs {
  config: string;
}

export const SERVER_USAGE = 'usage: park-server --config FILE   (npm run server -- --config FILE)';

export function parseServerArgs(argv: readonly string[]): ServerArgs | { error: string } {
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--config' || a === '-c') {
      config = argv[++i];
      if (config === undefined) return { error: '--config needs a file name' };
    } else if (a !== undefined && a.startsWith('--config=')) {
      config = a.slice('--config='.length);
    } else {
      return { error: `unknown argument ${JSON.stringify(a)}` };
    }
  }
  if (!config) return { error: 'missing --config FILE' };
  return { config };
}

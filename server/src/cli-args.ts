/** The few command-line options the server takes; anything else is an error with usage. */
export type ServerArgs = { command: 'run'; config: string } | { command: 'hash-password' | 'new-token' };

export const SERVER_USAGE = [
  'usage: park-server --config FILE      run the server (npm run server -- --config FILE)',
  '       park-server hash-password       read a password on stdin, print its hash for auth.users',
  '       park-server new-token           print a new API token and its sha256 for auth.tokens',
].join('\n');

export function parseServerArgs(argv: readonly string[]): ServerArgs | { error: string } {
  if (argv[0] === 'hash-password' || argv[0] === 'new-token') {
    return argv.length === 1 ? { command: argv[0] } : { error: `${argv[0]} takes no arguments` };
  }
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
  return { command: 'run', config };
}

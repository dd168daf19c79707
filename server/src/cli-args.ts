/** The few command-line options the server takes; anything else is an error with usage. */
export type ServerArgs =
  | { command: 'run'; config: string }
  | { command: 'hash-password' | 'new-token' }
  /** Either a server config (its InfluxDB, managed or not) or an InfluxDB database URL. */
  | { command: 'verify-journal'; config?: string; influx?: string };

export const SERVER_USAGE = [
  'usage: park-server --config FILE      run the server (npm run server -- --config FILE)',
  '       park-server hash-password       read a password on stdin, print its hash for auth.users',
  '       park-server new-token           print a new API token and its sha256 for auth.tokens',
  '       park-server verify-journal --config FILE | --influx URL',
  '                                       check the hash chains of the alarm journal and the audit trail;',
  '                                       exit 0 when intact, 1 with the first broken link, 3 when it cannot read them',
].join('\n');

export function parseServerArgs(argv: readonly string[]): ServerArgs | { error: string } {
  if (argv[0] === 'hash-password' || argv[0] === 'new-token') {
    return argv.length === 1 ? { command: argv[0] } : { error: `${argv[0]} takes no arguments` };
  }
  const verify = argv[0] === 'verify-journal';
  let config: string | undefined;
  let influx: string | undefined;
  for (let i = verify ? 1 : 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--config' || a === '-c') {
      config = argv[++i];
      if (config === undefined) return { error: '--config needs a file name' };
    } else if (a !== undefined && a.startsWith('--config=')) {
      config = a.slice('--config='.length);
    } else if (verify && a === '--influx') {
      influx = argv[++i];
      if (influx === undefined) return { error: '--influx needs a database URL, e.g. http://127.0.0.1:8086/park' };
    } else if (verify && a !== undefined && a.startsWith('--influx=')) {
      influx = a.slice('--influx='.length);
    } else {
      return { error: `unknown argument ${JSON.stringify(a)}` };
    }
  }
  if (verify) {
    if (config !== undefined && influx !== undefined) return { error: 'verify-journal takes --config FILE or --influx URL, not both' };
    if (config === undefined && influx === undefined) return { error: 'verify-journal needs --config FILE or --influx URL' };
    return { command: 'verify-journal', ...(config !== undefined ? { config } : {}), ...(influx !== undefined ? { influx } : {}) };
  }
  if (!config) return { error: 'missing --config FILE' };
  return { command: 'run', config };
}

/** `park-gateway --config FILE`. */
export const GATEWAY_USAGE = 'usage: npm run gateway -- --config FILE   (or: node gateway/dist/main.js --config FILE)';

export function parseGatewayArgs(argv: readonly string[]): { config: string } | { error: string } | { help: true } {
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') return { help: true };
    if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('-')) return { error: `${a} needs a file` };
      config = v;
    } else if (a.startsWith('--config=')) {
      config = a.slice('--config='.length);
    } else {
      return { error: `unknown argument ${JSON.stringify(a)}` };
    }
  }
  if (config === undefined || config === '') return { error: 'missing --config FILE' };
  return { config };
}

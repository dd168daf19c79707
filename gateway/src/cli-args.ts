/** `park-gateway [run] --config FILE` and `park-gateway check --config FILE [--json] [--publish] [--timeout S]`. */
export const GATEWAY_USAGE = [
  'usage: npm run gateway -- --config FILE   (or: node gateway/dist/main.js --config FILE)',
  '       npm run gateway -- check --config FILE [--json] [--publish] [--timeout SECONDS]',
  '         commissioning check: devices, read plan, first value of every tag, clock, broker;',
  '         exit 0 pass, 1 fail, 2 configuration error; publishes nothing without --publish',
].join('\n');

export type GatewayArgs =
  | { command: 'run'; config: string }
  | { command: 'check'; config: string; json: boolean; publish: boolean; timeoutMs: number | undefined }
  | { error: string }
  | { help: true };

export function parseGatewayArgs(argv: readonly string[]): GatewayArgs {
  let config: string | undefined;
  let command: 'run' | 'check' = 'run';
  let json = false;
  let publish = false;
  let timeoutMs: number | undefined;
  let start = 0;
  if (argv[0] === 'check' || argv[0] === 'run') {
    command = argv[0];
    start = 1;
  }
  for (let i = start; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') return { help: true };
    if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('-')) return { error: `${a} needs a file` };
      config = v;
    } else if (a.startsWith('--config=')) {
      config = a.slice('--config='.length);
    } else if (command === 'check' && a === '--json') {
      json = true;
    } else if (command === 'check' && a === '--publish') {
      publish = true;
    } else if (command === 'check' && (a === '--timeout' || a.startsWith('--timeout='))) {
      const v = a === '--timeout' ? argv[++i] : a.slice('--timeout='.length);
      const s = Number(v);
      if (v === undefined || !Number.isFinite(s) || s <= 0 || s > 600) return { error: `${a === '--timeout' ? a : '--timeout'} needs a number of seconds (0 < s ≤ 600)` };
      timeoutMs = Math.round(s * 1000);
    } else {
      return { error: `unknown argument ${JSON.stringify(a)}` };
    }
  }
  if (config === undefined || config === '') return { error: 'missing --config FILE' };
  return command === 'check' ? { command, config, json, publish, timeoutMs } : { command, config };
}

// @ts-check
// Set-up steps shared by `npm start` and `npm test`. Plain Node.js with no
// dependencies: these run before `npm ci` has installed anything.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Prints a step the user should know about. */
export function say(text) {
  process.stdout.write(`» ${text}\n`);
}

export function fail(text, code = 1) {
  process.stderr.write(`✖ ${text}\n`);
  process.exit(code);
}

/** Runs a command in the foreground, showing its output; stops with a clear message when it fails. */
export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) fail(`${[cmd, ...args].join(' ')} failed with exit code ${r.status ?? r.signal}`);
}

export function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if ((major ?? 0) < 20 || (major === 20 && (minor ?? 0) < 19)) fail(`Node.js 20.19 or newer is needed; this is ${process.version}.`);
}

/** `npm ci` when node_modules is missing or older than package-lock.json. */
export function ensureNpmDependencies() {
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const lock = path.join(ROOT, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('Installing npm dependencies (npm ci) …');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs missing Debian packages. As root it runs apt-get; with password-less
 * sudo it uses sudo; otherwise it stops and prints the exact command. A need
 * is met by a command on the PATH or, for packages without one (fonts), a file.
 * @param {({ command: string, pkg: string, why: string } | { file: string, pkg: string, why: string })[]} needs
 */
export function ensureDebianPackages(needs) {
  const present = (n) => ('command' in n ? hasCommand(n.command) : existsSync(n.file));
  const what = (n) => ('command' in n ? n.command : n.pkg);
  const missing = needs.filter((n) => !present(n));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((n) => n.pkg))];
  const list = missing.map((n) => `${what(n)} (${n.why})`).join(', ');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = !isRoot && hasCommand('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!hasCommand('apt-get') || (!isRoot && !sudo)) {
    fail(`Missing: ${list}.\n  Install with:  sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}\n  then run this command again.`);
  }
  say(`Installing Debian packages: ${pkgs.join(' ')} (for ${list}) …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = (args) => (isRoot ? run('apt-get', args, { env }) : run('sudo', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]));
  aptGet(['update', '-qq']);
  aptGet(['install', '-y', '-qq', ...pkgs]);
  const still = missing.filter((n) => !present(n));
  if (still.length > 0) fail(`Still missing after apt-get: ${still.map(what).join(', ')}`);
}

/** Newest modification time under the given files or folders. */
function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== 'node_modules' && e !== 'dist') visit(path.join(p, e));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(visit);
  return newest;
}

/** Compiles the TypeScript workspaces (incremental) and the web app when its sources changed. */
export function build({ quiet = false } = {}) {
  if (!quiet) say('Building (TypeScript workspaces) …');
  run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
  const webIndex = path.join(ROOT, 'web', 'dist', 'index.html');
  const webSources = ['web/src', 'web/index.html', 'web/vite.config.ts', 'web/package.json', 'protocol/src'].map((p) => path.join(ROOT, p));
  if (!existsSync(webIndex) || statSync(webIndex).mtimeMs < newestMtime(webSources)) {
    say('Building the web app (vite build) …');
    run('npm', ['run', 'build', '-w', 'web', '--silent']);
  }
}

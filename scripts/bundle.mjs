#!/usr/bin/env node
// @ts-check
// `npm run bundle:gateway` / `npm run bundle:server`: offline bundles for site boxes.
//
//   node scripts/bundle.mjs gateway|server [--arch x64,arm64] [--out DIR] [--no-build]
//
// Builds, then stages the part's built JavaScript and @park/protocol as npm tarballs (`npm pack`)
// in .tmp/bundle/<part>/, installs them there with production dependencies only
// (`npm install --omit=dev`, which writes the bundle's own package-lock.json; the registry is
// needed now, never on the box), and packs one tarball per architecture:
//
//   dist-bundles/park-gateway-<version>-linux-x64.tar.gz   (and -linux-arm64)
//   dist-bundles/park-server-<version>-linux-x64.tar.gz
//
// holding bin/park-<part> (runs the box's Node.js 20.19+), app/ (node_modules, lockfile),
// deploy/ (systemd unit, commented sample config), install.sh, docs/, and for the server web/
// (the built control-room app). Native code: the only addon in the gateway's tree is the serial
// port binding (@serialport/bindings-cpp), which ships prebuilt binaries for linux-x64 and
// linux-arm64 (glibc and musl) in its prebuilds/ folder; each bundle keeps its architecture's.
// Any other addon found in the tree without a prebuilt binary for the target stops the bundle.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, checkNode, ensureNpmDependencies, fail, ROOT, run, say } from './lib/setup.mjs';

const PARTS = {
  gateway: { workspace: 'gateway', arches: ['x64', 'arm64'], samples: ['scripts/deploy/gateway.yaml'], docs: ['docs/deploy.md', 'docs/gateway.md', 'docs/configuration.md'] },
  server: { workspace: 'server', arches: ['x64'], samples: ['scripts/deploy/server.yaml'], docs: ['docs/deploy.md', 'docs/server.md', 'docs/configuration.md', 'docs/alarms.md'] },
};
/** Native addons known to ship prebuilt binaries: package → prebuilds/ folder name per architecture. */
const PREBUILT = { '@serialport/bindings-cpp': { x64: 'linux-x64', arm64: 'linux-arm64' } };

const argv = process.argv.slice(2);
const part = /** @type {keyof typeof PARTS | undefined} */ (argv[0]);
if (!part || !(part in PARTS)) fail(`usage: node scripts/bundle.mjs ${Object.keys(PARTS).join('|')} [--arch x64,arm64] [--out DIR] [--no-build]`, 2);
const spec = PARTS[/** @type {keyof typeof PARTS} */ (part)];
let arches = spec.arches;
let outDir = path.join(ROOT, 'dist-bundles');
let doBuild = true;
for (let i = 1; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--arch') {
    arches = String(argv[++i] ?? '').split(',').filter(Boolean);
    const unknown = arches.filter((x) => !spec.arches.includes(x));
    if (arches.length === 0 || unknown.length > 0) fail(`--arch: ${part} bundles exist for ${spec.arches.join(', ')}`, 2);
  } else if (a === '--out') outDir = path.resolve(String(argv[++i] ?? ''));
  else if (a === '--no-build') doBuild = false;
  else fail(`unknown argument ${a}`, 2);
}

checkNode();
ensureNpmDependencies();
if (doBuild) {
  if (part === 'server') build();
  else {
    say('Building (TypeScript workspaces) …');
    run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
  }
}

const NAME = `park-${part}`;
const version = /** @type {{version: string}} */ (readJson(path.join(ROOT, spec.workspace, 'package.json'))).version;
const stage = path.join(ROOT, '.tmp', 'bundle', part);
rmSync(stage, { recursive: true, force: true });
mkdirSync(path.join(stage, 'pkgs'), { recursive: true });

// 1. The workspaces as npm tarballs: package.json without the "source" condition, dev fields and scripts; dist/ without build info.
const deps = /** @type {Record<string, string>} */ ({});
for (const ws of ['protocol', spec.workspace]) {
  const src = path.join(ROOT, ws);
  const dst = path.join(stage, 'src', ws);
  if (!existsSync(path.join(src, 'dist'))) fail(`${ws}/dist is missing: build first (npx tsc -b)`);
  mkdirSync(dst, { recursive: true });
  const pkg = /** @type {Record<string, any>} */ (readJson(path.join(src, 'package.json')));
  delete pkg.scripts;
  delete pkg.devDependencies;
  pkg.files = ['dist'];
  for (const entry of Object.values(pkg.exports ?? {})) if (entry && typeof entry === 'object') delete entry.source;
  writeFileSync(path.join(dst, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  cpSync(path.join(src, 'dist'), path.join(dst, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.tsbuildinfo') && !f.endsWith('.d.ts.map') });
  const packed = npm(['pack', '--silent', '--pack-destination', path.join(stage, 'pkgs')], dst).trim().split('\n').pop() ?? '';
  deps[pkg.name] = `file:../pkgs/${packed}`;
}

// 2. Production install with a lockfile of its own.
const app = path.join(stage, 'app');
mkdirSync(app, { recursive: true });
writeFileSync(
  path.join(app, 'package.json'),
  `${JSON.stringify({ name: `${NAME}-bundle`, version, private: true, type: 'module', description: `${NAME} ${version}: production dependencies (installed by scripts/bundle.mjs)`, dependencies: deps }, null, 2)}\n`,
);
say(`Installing production dependencies of ${NAME} into ${path.relative(ROOT, app)} (npm install --omit=dev) …`);
npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--install-links', '--loglevel=error'], app);
// The tarballs are inside node_modules now; the lockfile keeps their integrity. Relative file: links are no use on the box.
const lock = /** @type {Record<string, any>} */ (readJson(path.join(app, 'package-lock.json')));

// 3. Native addons: each must have a prebuilt binary for every target architecture.
const addons = findAddons(path.join(app, 'node_modules'));
for (const a of addons) {
  const known = PREBUILT[/** @type {keyof typeof PREBUILT} */ (a.name)];
  for (const arch of arches) {
    const folder = known?.[/** @type {'x64'|'arm64'} */ (arch)];
    const dir = folder ? path.join(a.dir, 'prebuilds', folder) : '';
    if (!folder || !existsSync(dir) || readdirSync(dir).filter((f) => f.endsWith('.node')).length === 0) {
      fail(`${a.name} (${path.relative(app, a.dir)}) is a native addon without a prebuilt binary for linux-${arch}: the bundle could not run on that box`);
    }
  }
}

// 4. One folder and tarball per architecture.
mkdirSync(outDir, { recursive: true });
const made = [];
for (const arch of arches) {
  const base = `${NAME}-${version}-linux-${arch}`;
  const dir = path.join(stage, 'out', base);
  mkdirSync(dir, { recursive: true });
  cpSync(app, path.join(dir, 'app'), { recursive: true, verbatimSymlinks: true });
  const bindings = [];
  for (const a of addons) {
    const rel = path.relative(app, a.dir);
    const prebuilds = path.join(dir, 'app', rel, 'prebuilds');
    const keep = PREBUILT[/** @type {keyof typeof PREBUILT} */ (a.name)]?.[/** @type {'x64'|'arm64'} */ (arch)];
    for (const p of readdirSync(prebuilds)) if (p !== keep) rmSync(path.join(prebuilds, p), { recursive: true, force: true });
    bindings.push(...readdirSync(path.join(prebuilds, String(keep))).map((f) => `${rel}/prebuilds/${keep}/${f}`));
  }
  // bin/park-<part>: the box's node runs the bundled entry point (symlinks followed, so /usr/local/bin works).
  mkdirSync(path.join(dir, 'bin'));
  const wrapper = path.join(dir, 'bin', NAME);
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      `# ${NAME} ${version} (linux-${arch}): runs the bundled ${part} with this machine's Node.js 20.19+ (PARK_NODE overrides).`,
      'HERE=$(dirname "$(readlink -f "$0")")',
      `exec "\${PARK_NODE:-node}" "$HERE/../app/node_modules/@park/${spec.workspace}/dist/main.js" "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  mkdirSync(path.join(dir, 'deploy'));
  copyFileSync(path.join(ROOT, 'scripts', 'deploy', `${NAME}.service`), path.join(dir, 'deploy', `${NAME}.service`));
  for (const s of spec.samples) copyFileSync(path.join(ROOT, s), path.join(dir, 'deploy', path.basename(s)));
  if (part === 'server') {
    copyFileSync(path.join(ROOT, 'seeds', 'park.yaml'), path.join(dir, 'deploy', 'park.yaml'));
    const web = path.join(ROOT, 'web', 'dist');
    if (!existsSync(path.join(web, 'index.html'))) fail('web/dist/index.html is missing: npm run build');
    cpSync(web, path.join(dir, 'web'), { recursive: true });
  }
  copyFileSync(path.join(ROOT, 'scripts', 'deploy', 'install.sh'), path.join(dir, 'install.sh'));
  chmodSync(path.join(dir, 'install.sh'), 0o755);
  mkdirSync(path.join(dir, 'docs'));
  for (const d of spec.docs) if (existsSync(path.join(ROOT, d))) copyFileSync(path.join(ROOT, d), path.join(dir, 'docs', path.basename(d)));
  writeFileSync(path.join(dir, 'bundle.env'), `PART=${part}\nVERSION=${version}\nARCH=${arch}\n`);
  const packages = Object.keys(lock.packages ?? {}).filter((k) => k.startsWith('node_modules/')).length;
  writeFileSync(
    path.join(dir, 'README.txt'),
    [
      `${NAME} ${version} for linux-${arch}, built ${new Date().toISOString()}`,
      '',
      'Needs Node.js 20.19 or newer on the box; nothing is downloaded during installation.',
      '  sudo ./install.sh            install (or upgrade) to /opt/' + NAME + ', config in /etc/' + NAME,
      '  sudo ./install.sh --enable   … and start the service',
      'Step by step: docs/deploy.md',
      '',
      `Production dependencies: ${packages} packages, pinned in app/package-lock.json.`,
      `Native code: ${bindings.length > 0 ? bindings.join(', ') : 'none'}.`,
      '',
    ].join('\n'),
  );
  const tarball = path.join(outDir, `${base}.tar.gz`);
  const tar = spawnSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', tarball, '-C', path.join(stage, 'out'), base], { stdio: 'inherit' });
  if (tar.status !== 0) fail(`tar failed for ${tarball}`);
  made.push({ tarball, bindings, mb: statSync(tarball).size / 1e6 });
}
for (const m of made) {
  say(`${path.relative(process.cwd(), m.tarball)}  ${m.mb.toFixed(1)} MB  (serial bindings: ${m.bindings.length > 0 ? m.bindings.map((b) => path.basename(b)).join(', ') : 'none'})`);
}

/** @param {string} file */
function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Runs npm in `cwd` and returns its stdout; stops with its output on failure. @param {string[]} args @param {string} cwd */
function npm(args, cwd) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, npm_config_workspaces: 'false' } });
  if (r.error) fail(`npm could not run: ${r.error.message}`);
  if (r.status !== 0) fail(`npm ${args.join(' ')} failed in ${path.relative(ROOT, cwd)} (exit ${r.status}):\n${r.stdout}`);
  return r.stdout;
}

/** Packages with a binding.gyp or a compiled .node file. @param {string} nodeModules */
function findAddons(nodeModules) {
  /** @type {{name: string, dir: string}[]} */
  const found = [];
  /** @param {string} dir */
  const visitPackage = (dir) => {
    const pkgFile = path.join(dir, 'package.json');
    if (!existsSync(pkgFile)) return;
    const name = /** @type {{name?: string}} */ (readJson(pkgFile)).name ?? path.basename(dir);
    if (existsSync(path.join(dir, 'binding.gyp')) || hasNodeFile(dir, 0)) found.push({ name, dir });
    if (existsSync(path.join(dir, 'node_modules'))) visitModules(path.join(dir, 'node_modules'));
  };
  /** @param {string} dir */
  const visitModules = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      if (e.name.startsWith('@')) for (const s of readdirSync(path.join(dir, e.name), { withFileTypes: true })) s.isDirectory() && visitPackage(path.join(dir, e.name, s.name));
      else visitPackage(path.join(dir, e.name));
    }
  };
  /** @param {string} dir @param {number} depth @returns {boolean} */
  const hasNodeFile = (dir, depth) => {
    if (depth > 4) return false;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.node')) return true;
      if (e.isDirectory() && e.name !== 'node_modules' && hasNodeFile(path.join(dir, e.name), depth + 1)) return true;
    }
    return false;
  };
  visitModules(nodeModules);
  return found;
}

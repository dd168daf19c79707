import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile, parkSchema, type ParkConfig } from '@park/protocol/config';
import { loadEmergency, type EmergencyData } from '../../../server/src/emergency/emergency.js';
import { tempDir } from '../../harness/temp-dir.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const PARK_FILE = path.join(REPO_ROOT, 'seeds', 'park.yaml');
export const CARDS_DIR = path.join(REPO_ROOT, 'seeds', 'cards');
export const MAP_FILE = path.join(REPO_ROOT, 'seeds', 'park-map.yaml');

let parkCache: ParkConfig | undefined;
export function park(): ParkConfig {
  parkCache ??= loadConfigFile(PARK_FILE, parkSchema).value;
  return parkCache;
}

export function seedData(): EmergencyData {
  return loadEmergency(park(), CARDS_DIR, MAP_FILE);
}

/** The one-line messages of the ConfigError `fn` throws. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Replaces exactly one occurrence of `from`. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one "${from}" in the text`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** A copy of seeds/cards in a temp folder with `edit` applied to one file; returns the folder. */
export function editedCards(file: string, edit: (text: string) => string): { dir: string; remove(): void } {
  const dir = tempDir('cards');
  cpSync(CARDS_DIR, dir.path, { recursive: true });
  const target = path.join(dir.path, file);
  writeFileSync(target, edit(readFileSync(target, 'utf8')));
  return { dir: dir.path, remove: () => dir.remove() };
}

export function seedCardFiles(): string[] {
  return readdirSync(CARDS_DIR).filter((f) => f.endsWith('.yaml')).sort();
}

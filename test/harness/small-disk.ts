import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A small tmpfs mounted on a folder: a disk that can be filled up in a test.
 * Mounting needs root; the project's machines run the tests as root, and a
 * test that needs it fails (it is not skipped) when it is not.
 */
export interface SmallDisk {
  readonly path: string;
  /** Bytes still free for files. */
  free(): number;
  /** Another program takes the disk's space, leaving about `leaveBytes` free (whole pages). */
  fill(leaveBytes: number): void;
  /** That program gives the space back. */
  release(): void;
  unmount(): void;
}

export function mountSmallDisk(folder: string, sizeBytes: number): SmallDisk {
  mkdirSync(folder, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', folder], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`mounting a ${sizeBytes}-byte tmpfs on ${folder} needs root (as on the project's machines): ${(err as Error).message}`);
  }
  const filler = path.join(folder, 'filler');
  let mounted = true;
  const free = (): number => {
    const s = statfsSync(folder);
    return s.bavail * s.bsize;
  };
  return {
    path: folder,
    free,
    fill: (leaveBytes) => {
      const n = free() - leaveBytes;
      if (n > 0) writeFileSync(filler, Buffer.alloc(n));
    },
    release: () => rmSync(filler, { force: true }),
    unmount: () => {
      if (!mounted) return;
      execFileSync('umount', [folder], { stdio: 'pipe' });
      mounted = false;
    },
  };
}

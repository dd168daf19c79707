import { useSyncExternalStore } from 'react';
import type { AlarmPriority } from '@park/protocol';

// The audible alarm: a tone for each newly annunciated critical or high
// alarm, made with Web Audio (no sound files to load or to fail). Outside
// React, like the socket.
//
// Browsers start audio only after a user gesture on the page. A listener on
// the first pointer or key event unlocks it (the login click counts), and the
// banner says so in words while it is still locked: a silent alarm display
// must never look like a working one.
//
// Mute lasts MUTE_MS and then ends by itself (a console muted and forgotten
// for a twelve-hour shift is a hazard); the banner shows it is muted and
// until when.

export const MUTE_MS = 15 * 60_000;

export type AudioReadiness =
  /** No AudioContext in this browser. */
  | 'unsupported'
  /** Waiting for a user gesture (click or key) on the page. */
  | 'locked'
  | 'ready';

export interface AlarmSoundState {
  readonly readiness: AudioReadiness;
  /** While muted: when mute ends (wall clock, ms); else null. */
  readonly mutedUntilWallMs: number | null;
  /** Tones played since the page loaded (for tests and diagnostics). */
  readonly played: number;
  /** Tones that could not be played (locked or unsupported) or were muted. */
  readonly missed: number;
  readonly lastPriority: AlarmPriority | null;
}

let state: AlarmSoundState = { readiness: 'locked', mutedUntilWallMs: null, played: 0, missed: 0, lastPriority: null };
const listeners = new Set<() => void>();
let context: AudioContext | null = null;
let muteTimer: ReturnType<typeof setTimeout> | undefined;
let installed = false;

function commit(next: AlarmSoundState): void {
  state = next;
  for (const listener of listeners) listener();
}

function audioContextClass(): typeof AudioContext | null {
  return typeof window !== 'undefined' && typeof window.AudioContext === 'function' ? window.AudioContext : null;
}

function refreshReadiness(): void {
  const readiness: AudioReadiness = !audioContextClass() ? 'unsupported' : context?.state === 'running' ? 'ready' : 'locked';
  if (readiness !== state.readiness) commit({ ...state, readiness });
}

/** Creates or resumes the audio context; call from a user gesture. */
export function unlockAudio(): void {
  const Ctor = audioContextClass();
  if (!Ctor) {
    refreshReadiness();
    return;
  }
  try {
    if (!context) {
      context = new Ctor();
      context.addEventListener('statechange', refreshReadiness);
    }
    if (context.state !== 'running') void context.resume().then(refreshReadiness, refreshReadiness);
  } catch {
    // Refused (policy): stays locked, and the banner says so.
  }
  refreshReadiness();
}

/** Listens for the first gestures of the page; idempotent. */
export function installAudioUnlock(): void {
  if (installed || typeof document === 'undefined') return;
  installed = true;
  const onGesture = (): void => {
    unlockAudio();
    if (context?.state === 'running') {
      document.removeEventListener('pointerdown', onGesture, true);
      document.removeEventListener('keydown', onGesture, true);
    }
  };
  document.addEventListener('pointerdown', onGesture, true);
  document.addEventListener('keydown', onGesture, true);
  refreshReadiness();
}

function isMuted(): boolean {
  return state.mutedUntilWallMs !== null && Date.now() < state.mutedUntilWallMs;
}

export function setMuted(muted: boolean): void {
  clearTimeout(muteTimer);
  if (!muted) {
    commit({ ...state, mutedUntilWallMs: null });
    return;
  }
  const until = Date.now() + MUTE_MS;
  commit({ ...state, mutedUntilWallMs: until });
  muteTimer = setTimeout(() => commit({ ...state, mutedUntilWallMs: null }), MUTE_MS);
}

/** Pulses (frequency Hz, start s, length s): critical is longer, higher and more urgent than high. */
const PATTERNS: Readonly<Record<'critical' | 'high', ReadonlyArray<readonly [number, number, number]>>> = {
  critical: [
    [988, 0, 0.18],
    [740, 0.22, 0.18],
    [988, 0.44, 0.18],
    [740, 0.66, 0.18],
    [988, 0.88, 0.18],
    [740, 1.1, 0.18],
  ],
  high: [
    [660, 0, 0.25],
    [660, 0.4, 0.25],
  ],
};

/** Sounds the tone for a newly annunciated alarm of `priority`; medium and low are silent. */
export function playAlarmTone(priority: AlarmPriority): void {
  if (priority !== 'critical' && priority !== 'high') return;
  if (isMuted() || !context || context.state !== 'running') {
    commit({ ...state, missed: state.missed + 1, lastPriority: priority });
    return;
  }
  const start = context.currentTime + 0.02;
  for (const [frequency, offset, length] of PATTERNS[priority]) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'square';
    oscillator.frequency.value = frequency;
    const t0 = start + offset;
    // Short ramps: no clicks.
    gain.gain.setValueAtTime(0, t0);
    gain.gain.linearRampToValueAtTime(0.18, t0 + 0.01);
    gain.gain.setValueAtTime(0.18, t0 + length - 0.02);
    gain.gain.linearRampToValueAtTime(0, t0 + length);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(t0);
    oscillator.stop(t0 + length + 0.01);
  }
  commit({ ...state, played: state.played + 1, lastPriority: priority });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useAlarmSound(): AlarmSoundState {
  return useSyncExternalStore(subscribe, () => state);
}

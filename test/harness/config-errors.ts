import { ConfigError } from '@park/protocol/config';

/** The one-line messages of the ConfigError `fn` throws; fails the test if it throws nothing or something else. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

import { describe, expect, it } from 'vitest';
import { ALARM_STATES, type AlarmState } from '@park/protocol';
import { LIFECYCLE_EVENTS, transition, type Lifecycle, type LifecycleEvent } from '../../../server/src/alarms/lifecycle.js';

/**
 * The pure state machine, every consistent starting point × every event.
 * A start is `state` plus the condition (`+` active, `-` inactive) plus `S`
 * when suppression is remembered under out-of-service. A result is the new
 * start in the same notation, `=` for "nothing happens", or `! reason`.
 */
const TABLE = `
normal-          raise           unack+
normal-          clear           =
normal-          ack             ! nothing to acknowledge: the alarm is normal
normal-          shelve          shelved-
normal-          unshelve        ! not shelved (state normal)
normal-          shelve-expired  ! not shelved (state normal)
normal-          suppress        suppressed-
normal-          unsuppress      ! not suppressed (state normal)
normal-          out-of-service  out-of-service-
normal-          in-service      ! not out of service (state normal)
unack+           raise           =
unack+           clear           rtn-unack-
unack+           ack             acked+
unack+           shelve          shelved+
unack+           unshelve        ! not shelved (state unack)
unack+           shelve-expired  ! not shelved (state unack)
unack+           suppress        suppressed+
unack+           unsuppress      ! not suppressed (state unack)
unack+           out-of-service  out-of-service+
unack+           in-service      ! not out of service (state unack)
acked+           raise           =
acked+           clear           normal-
acked+           ack             ! already acknowledged
acked+           shelve          shelved+
acked+           unshelve        ! not shelved (state acked)
acked+           shelve-expired  ! not shelved (state acked)
acked+           suppress        suppressed+
acked+           unsuppress      ! not suppressed (state acked)
acked+           out-of-service  out-of-service+
acked+           in-service      ! not out of service (state acked)
rtn-unack-       raise           unack+
rtn-unack-       clear           =
rtn-unack-       ack             normal-
rtn-unack-       shelve          shelved-
rtn-unack-       unshelve        ! not shelved (state rtn-unack)
rtn-unack-       shelve-expired  ! not shelved (state rtn-unack)
rtn-unack-       suppress        suppressed-
rtn-unack-       unsuppress      ! not suppressed (state rtn-unack)
rtn-unack-       out-of-service  out-of-service-
rtn-unack-       in-service      ! not out of service (state rtn-unack)
shelved-         raise           shelved+
shelved-         clear           =
shelved-         ack             ! nothing to acknowledge: the alarm is shelved
shelved-         shelve          ! already shelved
shelved-         unshelve        normal-
shelved-         shelve-expired  normal-
shelved-         suppress        suppressed-
shelved-         unsuppress      ! not suppressed (state shelved)
shelved-         out-of-service  out-of-service-
shelved-         in-service      ! not out of service (state shelved)
shelved+         raise           =
shelved+         clear           shelved-
shelved+         ack             ! nothing to acknowledge: the alarm is shelved
shelved+         shelve          ! already shelved
shelved+         unshelve        unack+
shelved+         shelve-expired  unack+
shelved+         suppress        suppressed+
shelved+         unsuppress      ! not suppressed (state shelved)
shelved+         out-of-service  out-of-service+
shelved+         in-service      ! not out of service (state shelved)
suppressed-      raise           suppressed+
suppressed-      clear           =
suppressed-      ack             ! nothing to acknowledge: the alarm is suppressed by design
suppressed-      shelve          ! cannot shelve: the alarm is suppressed by design
suppressed-      unshelve        ! not shelved (state suppressed)
suppressed-      shelve-expired  ! not shelved (state suppressed)
suppressed-      suppress        ! already suppressed by design
suppressed-      unsuppress      normal-
suppressed-      out-of-service  out-of-service-S
suppressed-      in-service      ! not out of service (state suppressed)
suppressed+      raise           =
suppressed+      clear           suppressed-
suppressed+      ack             ! nothing to acknowledge: the alarm is suppressed by design
suppressed+      shelve          ! cannot shelve: the alarm is suppressed by design
suppressed+      unshelve        ! not shelved (state suppressed)
suppressed+      shelve-expired  ! not shelved (state suppressed)
suppressed+      suppress        ! already suppressed by design
suppressed+      unsuppress      unack+
suppressed+      out-of-service  out-of-service+S
suppressed+      in-service      ! not out of service (state suppressed)
out-of-service-  raise           out-of-service+
out-of-service-  clear           =
out-of-service-  ack             ! nothing to acknowledge: the alarm is out of service
out-of-service-  shelve          ! cannot shelve: the alarm is out of service
out-of-service-  unshelve        ! not shelved (state out-of-service)
out-of-service-  shelve-expired  ! not shelved (state out-of-service)
out-of-service-  suppress        out-of-service-S
out-of-service-  unsuppress      ! not suppressed (state out-of-service)
out-of-service-  out-of-service  ! already out of service
out-of-service-  in-service      normal-
out-of-service+  raise           =
out-of-service+  clear           out-of-service-
out-of-service+  ack             ! nothing to acknowledge: the alarm is out of service
out-of-service+  shelve          ! cannot shelve: the alarm is out of service
out-of-service+  unshelve        ! not shelved (state out-of-service)
out-of-service+  shelve-expired  ! not shelved (state out-of-service)
out-of-service+  suppress        out-of-service+S
out-of-service+  unsuppress      ! not suppressed (state out-of-service)
out-of-service+  out-of-service  ! already out of service
out-of-service+  in-service      unack+
out-of-service-S raise           out-of-service+S
out-of-service-S clear           =
out-of-service-S ack             ! nothing to acknowledge: the alarm is out of service
out-of-service-S shelve          ! cannot shelve: the alarm is out of service
out-of-service-S unshelve        ! not shelved (state out-of-service)
out-of-service-S shelve-expired  ! not shelved (state out-of-service)
out-of-service-S suppress        ! already suppressed by design
out-of-service-S unsuppress      out-of-service-
out-of-service-S out-of-service  ! already out of service
out-of-service-S in-service      suppressed-
out-of-service+S raise           =
out-of-service+S clear           out-of-service-S
out-of-service+S ack             ! nothing to acknowledge: the alarm is out of service
out-of-service+S shelve          ! cannot shelve: the alarm is out of service
out-of-service+S unshelve        ! not shelved (state out-of-service)
out-of-service+S shelve-expired  ! not shelved (state out-of-service)
out-of-service+S suppress        ! already suppressed by design
out-of-service+S unsuppress      out-of-service+
out-of-service+S out-of-service  ! already out of service
out-of-service+S in-service      suppressed+
`;

function parseStart(text: string): Lifecycle {
  const m = /^([a-z-]+?)([+-])(S?)$/.exec(text);
  if (!m) throw new Error(`bad start ${text}`);
  const state = m[1] as AlarmState;
  if (!ALARM_STATES.includes(state)) throw new Error(`bad state ${state}`);
  return { state, active: m[2] === '+', suppressed: m[3] === 'S' || state === 'suppressed' };
}

const rows = TABLE.trim()
  .split('\n')
  .map((line) => {
    const m = /^(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
    if (!m) throw new Error(`bad row ${line}`);
    return { start: m[1] as string, event: m[2] as LifecycleEvent, expected: (m[3] as string).trim() };
  });

describe('lifecycle transition(): every consistent start × every event', () => {
  it('the table has one row per start and event', () => {
    const starts = new Set(rows.map((r) => r.start));
    expect(starts.size).toBe(12);
    expect(rows.length).toBe(12 * LIFECYCLE_EVENTS.length);
    for (const s of starts) expect(rows.filter((r) => r.start === s).map((r) => r.event)).toEqual(LIFECYCLE_EVENTS);
  });

  it.each(rows.map((r) => [`${r.start} + ${r.event} → ${r.expected}`, r] as const))('%s', (_name, { start, event, expected }) => {
    const from = parseStart(start);
    const result = transition(from, event);
    if (expected === '=') {
      expect(result).toEqual({ ok: true, next: from });
      if (result.ok) expect(result.next).toBe(from);
    } else if (expected.startsWith('!')) {
      expect(result).toEqual({ ok: false, error: expected.slice(1).trim() });
    } else {
      expect(result).toEqual({ ok: true, next: parseStart(expected) });
    }
  });
});

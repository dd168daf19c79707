import type { AlarmEvent, RiskColour, RiskWarningEvent } from '@park/protocol';
import type { AlarmRule } from '../alarms/rules.js';
import { DEFAULT_RISK_RULES, riskOf, type RiskRule } from './risk-rules.js';

/**
 * Keeps the risk early-warning colour of every major hazard installation in
 * step with its active alarms. A change is journalled and announced; the
 * first computation (after alarms are restored at start) announces nothing,
 * because the alarms that cause it were journalled before.
 */
export interface RiskMonitorOptions {
  rules: readonly AlarmRule[];
  hazardSources: readonly { id: string; site: string }[];
  /** GB 18218 level per installation, null when not graded or not a major hazard. */
  majorLevel: (hazardSource: string) => number | null;
  onChange: (event: RiskWarningEvent) => void;
  riskRules?: readonly RiskRule[];
}

export class RiskMonitor {
  private readonly ruleById: Map<string, AlarmRule>;
  private readonly current = new Map<string, RiskWarningEvent>();
  private started = false;

  constructor(private readonly o: RiskMonitorOptions) {
    for (const h of o.hazardSources) this.current.set(h.id, { hazardSource: h.id, site: h.site, colour: 'none', previous: 'none', reasons: [], ts: 0 });
    // Only the rules an installation's colour can depend on: the others are skipped in update() anyway, and a park's every tag has two rules.
    this.ruleById = new Map();
    for (const r of o.rules) if (r.hazardSource !== null && this.current.has(r.hazardSource)) this.ruleById.set(r.id, r);
  }

  /** Recomputes every installation from the active alarms; cheap enough to run after each batch of transitions. */
  update(active: readonly AlarmEvent[], nowMs: number): void {
    const byHs = new Map<string, { event: AlarmEvent; rule: AlarmRule }[]>();
    for (const event of active) {
      const rule = this.ruleById.get(event.id);
      const hs = rule?.hazardSource;
      if (!rule || !hs || !this.current.has(hs)) continue;
      let list = byHs.get(hs);
      if (!list) byHs.set(hs, (list = []));
      list.push({ event, rule });
    }
    for (const [hs, prev] of this.current) {
      const verdict = riskOf(byHs.get(hs) ?? [], this.o.majorLevel(hs), this.o.riskRules ?? DEFAULT_RISK_RULES);
      if (verdict.colour === prev.colour && sameReasons(verdict.reasons, prev.reasons)) continue;
      const event: RiskWarningEvent = { hazardSource: hs, site: prev.site, colour: verdict.colour, previous: prev.colour, reasons: verdict.reasons, ts: nowMs };
      this.current.set(hs, event);
      if (this.started && verdict.colour !== prev.colour) this.o.onChange(event);
    }
    this.started = true;
  }

  colour(hazardSource: string): RiskColour | undefined {
    return this.current.get(hazardSource)?.colour;
  }

  all(): RiskWarningEvent[] {
    return [...this.current.values()];
  }
}

function sameReasons(a: RiskWarningEvent['reasons'], b: RiskWarningEvent['reasons']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

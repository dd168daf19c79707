import type { AlarmEvent, AlarmPriority, RiskColour } from '@park/protocol';
import type { AlarmRule } from '../alarms/rules.js';

/**
 * The rules that turn an installation's active alarms into its risk
 * early-warning colour (DOMAIN.md §4, issue 7). Data, not code scattered
 * around: the first colour (most severe) whose rule matches wins. Each rule
 * is a predicate over one active alarm and its rule; `onlyMajorLevels`
 * restricts it to installations of GB 18218 level 1 or 2.
 */
export interface RiskRule {
  /** Shown to people as the reason. */
  name: string;
  colour: Exclude<RiskColour, 'none'>;
  onlyMajorLevels?: readonly number[];
  matches(alarm: AlarmEvent, rule: AlarmRule): boolean;
}

const ACTIVE_CONDITION = new Set(['unack', 'acked', 'shelved', 'suppressed']);
const isActive = (a: AlarmEvent): boolean => ACTIVE_CONDITION.has(a.state);
const tagEndsWith = (a: AlarmEvent, suffix: string): boolean => a.tagId.endsWith(`.${suffix}`) || a.tagId.endsWith(`_${suffix}`);
const priorityIs = (a: AlarmEvent, ...p: AlarmPriority[]): boolean => p.includes(a.priority);

export const DEFAULT_RISK_RULES: readonly RiskRule[] = [
  { name: 'SIS trip', colour: 'red', matches: (a, r) => r.firstOutTrigger && isActive(a) },
  { name: 'gas level 2 (GB/T 50493)', colour: 'red', matches: (a, r) => r.gdsLevel === 2 && isActive(a) },
  { name: 'critical alarm unacknowledged', colour: 'red', matches: (a) => priorityIs(a, 'critical') && (a.state === 'unack' || a.state === 'rtn-unack') },
  { name: 'gas level 1 (GB/T 50493)', colour: 'orange', matches: (a, r) => r.gdsLevel === 1 && isActive(a) },
  { name: 'SIS bypass in force', colour: 'orange', matches: (a) => a.kind === 'discrete' && tagEndsWith(a, 'bypass') && isActive(a) },
  { name: 'instrument lost on a level 1–2 installation', colour: 'orange', onlyMajorLevels: [1, 2], matches: (a) => (a.kind === 'bad-quality' || a.kind === 'stale' || a.kind === 'frozen') && isActive(a) },
  { name: 'critical or high alarm', colour: 'yellow', matches: (a) => priorityIs(a, 'critical', 'high') && isActive(a) },
  { name: 'instrument lost or data stale', colour: 'yellow', matches: (a) => (a.kind === 'bad-quality' || a.kind === 'stale' || a.kind === 'frozen') && isActive(a) },
  { name: 'deviation', colour: 'blue', matches: (a) => isActive(a) },
];

export interface RiskVerdict {
  colour: RiskColour;
  reasons: { rule: string; alarms: string[] }[];
}

/**
 * The colour of one installation from its active alarms. Every rule of the
 * winning colour that matched is given as a reason, with its alarm ids.
 */
export function riskOf(alarms: readonly { event: AlarmEvent; rule: AlarmRule }[], majorLevel: number | null, rules: readonly RiskRule[] = DEFAULT_RISK_RULES): RiskVerdict {
  let colour: RiskColour = 'none';
  const reasons = new Map<string, string[]>();
  for (const r of rules) {
    if (colour !== 'none' && r.colour !== colour) break;
    if (r.onlyMajorLevels && (majorLevel === null || !r.onlyMajorLevels.includes(majorLevel))) continue;
    const hits = alarms.filter((a) => r.matches(a.event, a.rule)).map((a) => a.event.id);
    if (hits.length === 0) continue;
    colour = r.colour;
    reasons.set(r.name, hits.sort());
  }
  return { colour, reasons: [...reasons].map(([rule, ids]) => ({ rule, alarms: ids })) };
}

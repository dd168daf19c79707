import type { LocalizedText } from '@park/protocol/config';
import { Ratio, shown, type ShownNumber } from './exact.js';
import type { AlphaBand, GradingRules, LevelBand } from './gb18218-catalogue.js';
import type { BetaStep, QStep } from './classify.js';

/**
 * GB 18218-2018 identification and grading of one unit, as a pure function
 * of its inventory, the enterprise's exposed population and the dataset's
 * rules. No I/O. Every intermediate value is returned with the text a
 * regulator checks by hand:
 *
 *   per item   q/Q and β·q/Q
 *   式1        S = Σ q/Q; S ≥ threshold (inclusive) → major hazard
 *   Table 5    α from the permanent residents within 500 m of the plant boundary
 *   式2        R = α · Σ β·q/Q
 *   Table 6    level: the highest level whose inclusive lower bound R reaches
 *
 * Only major hazards are graded: for S below the threshold `grading` is null.
 * Arithmetic is exact (see exact.ts); the shown values round to 4 decimals.
 */

/** One inventory item with its Q and β already chosen (classify.ts). */
export interface GradingItem {
  id: string;
  substance: SubstanceLabel;
  /** Design maximum quantity q, t, and how it was obtained. */
  q: { valueT: number; basis: LocalizedText };
  Q: QStep;
  beta: BetaStep;
}

export interface SubstanceLabel {
  name: LocalizedText;
  cas: readonly string[];
  /** Table 1 row number, when the substance is listed there. */
  table1Row?: number | undefined;
}

/** One term of 式1 and 式2. */
export interface ItemTerm {
  id: string;
  substance: SubstanceLabel;
  q: ShownNumber;
  qBasis: LocalizedText;
  Q: ShownNumber;
  QStep: QStep;
  qOverQ: ShownNumber;
  beta: ShownNumber;
  betaStep: BetaStep;
  betaQOverQ: ShownNumber;
}

export interface AlphaStep {
  residents: number;
  alpha: ShownNumber;
  band: LocalizedText;
  reason: LocalizedText;
}

export interface LevelStep {
  level: number;
  name: LocalizedText;
  /** The band R fell into, e.g. `50 ≤ R < 100`. */
  rule: string;
}

export interface Identification {
  S: ShownNumber;
  /** `S = 21.168 + 5.185 = 26.353`. */
  formula: string;
  threshold: ShownNumber;
  isMajorHazard: boolean;
  conclusion: LocalizedText;
}

export interface Grading {
  alpha: AlphaStep;
  sumBetaQOverQ: ShownNumber;
  R: ShownNumber;
  /** `R = α × Σβq/Q = 1.2 × (4 × 21.168) = 1.2 × 84.672 = 101.6064`. */
  formula: string;
  level: LevelStep;
  conclusion: LocalizedText;
}

export interface UnitCalculation {
  standard: string;
  terms: ItemTerm[];
  identification: Identification;
  /** Null when the unit is not a major hazard (grading applies to major hazards only). */
  grading: Grading | null;
  notGraded?: LocalizedText;
}

const r = (x: number): Ratio => Ratio.fromNumber(x);

export function gradeUnit(input: { items: readonly GradingItem[]; residentsWithin500m: number }, rules: GradingRules): UnitCalculation {
  const exactTerms = input.items.map((item) => {
    const q = r(item.q.valueT);
    const Q = r(item.Q.valueT);
    const beta = r(item.beta.value);
    const qOverQ = q.div(Q);
    return { item, q, Q, beta, qOverQ, betaQOverQ: beta.mul(qOverQ) };
  });
  const terms: ItemTerm[] = exactTerms.map((t) => ({
    id: t.item.id,
    substance: t.item.substance,
    q: shown(t.q),
    qBasis: t.item.q.basis,
    Q: shown(t.Q),
    QStep: t.item.Q,
    qOverQ: shown(t.qOverQ),
    beta: shown(t.beta),
    betaStep: t.item.beta,
    betaQOverQ: shown(t.betaQOverQ),
  }));

  const S = Ratio.sum(exactTerms.map((t) => t.qOverQ));
  const threshold = r(rules.identificationThreshold);
  const isMajorHazard = S.cmp(threshold) >= 0;
  const sText = shown(S).text;
  const tText = shown(threshold).text;
  const identification: Identification = {
    S: shown(S),
    formula: terms.length > 1 ? `S = ${terms.map((t) => t.qOverQ.text).join(' + ')} = ${sText}` : `S = ${sText}`,
    threshold: shown(threshold),
    isMajorHazard,
    conclusion: isMajorHazard
      ? { zh: `S = ${sText} ≥ ${tText}，构成重大危险源`, en: `S = ${sText} ≥ ${tText}: a major hazard installation` }
      : { zh: `S = ${sText} < ${tText}，不构成重大危险源`, en: `S = ${sText} < ${tText}: not a major hazard installation` },
  };

  if (!isMajorHazard) {
    return {
      standard: rules.standard,
      terms,
      identification,
      grading: null,
      notGraded: { zh: '不构成重大危险源，不分级', en: 'not a major hazard installation: not graded' },
    };
  }

  const alpha = alphaFor(input.residentsWithin500m, rules);
  const alphaR = r(alpha.band.alpha);
  const sum = Ratio.sum(exactTerms.map((t) => t.betaQOverQ));
  const R = alphaR.mul(sum);
  const level = levelFor(R, rules);
  const aText = shown(alphaR).text;
  const sumText = shown(sum).text;
  const RText = shown(R).text;
  const products = terms.map((t) => `${t.beta.text} × ${t.qOverQ.text}`).join(' + ');
  return {
    standard: rules.standard,
    terms,
    identification,
    grading: {
      alpha: alpha.step,
      sumBetaQOverQ: shown(sum),
      R: shown(R),
      formula: `R = α × Σβq/Q = ${aText} × (${products}) = ${aText} × ${sumText} = ${RText}`,
      level,
      conclusion: { zh: `R = ${RText}，${level.rule}，${level.name.zh}重大危险源`, en: `R = ${RText}, ${level.rule}: ${level.name.en} major hazard installation` },
    },
  };
}

/** Table 5: the band whose start the number of residents reaches, highest first. */
export function alphaFor(residents: number, rules: GradingRules): { band: AlphaBand; step: AlphaStep } {
  if (!Number.isInteger(residents) || residents < 0) throw new RangeError(`residents must be a whole number ≥ 0, got ${residents}`);
  const band = rules.alphaBands.find((b) => residents >= b.minPeople);
  if (!band) throw new RangeError(`no Table 5 band for ${residents} residents`);
  const a = shown(r(band.alpha)).text;
  return {
    band,
    step: {
      residents,
      alpha: shown(r(band.alpha)),
      band: band.label,
      reason: {
        zh: `${rules.alphaBasis.zh}：${residents}人，属表5“${band.label.zh}”档，α = ${a}`,
        en: `${rules.alphaBasis.en}: ${residents}; Table 5 band "${band.label.en}", α = ${a}`,
      },
    },
  };
}

/** Table 6: the first level (from level 1 down) whose inclusive lower bound R reaches; the lowest level otherwise. */
export function levelFor(R: Ratio | number, rules: GradingRules): LevelStep {
  const value = typeof R === 'number' ? r(R) : R;
  const levels = rules.levels;
  const i = levels.findIndex((l) => l.minR !== undefined && value.cmp(r(l.minR)) >= 0);
  const at = i >= 0 ? i : levels.length - 1;
  const band = levels[at] as LevelBand;
  return { level: band.level, name: band.name, rule: levelRule(levels, at) };
}

/** `R ≥ 100`, `50 ≤ R < 100`, `R < 10`: the band of level `levels[i]`. */
export function levelRule(levels: readonly LevelBand[], i: number): string {
  const band = levels[i];
  const upper = i > 0 ? levels[i - 1]?.minR : undefined;
  const lower = band?.minR;
  if (lower !== undefined && upper !== undefined) return `${lower} ≤ R < ${upper}`;
  if (lower !== undefined) return `R ≥ ${lower}`;
  if (upper !== undefined) return `R < ${upper}`;
  return 'any R';
}

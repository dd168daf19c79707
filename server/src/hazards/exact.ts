/**
 * Exact rational arithmetic for the GB 18218 calculation.
 *
 * Identification and grading compare sums against inclusive bounds (S ≥ 1,
 * R ≥ 10/50/100). In binary floating point 0.7 + 0.2 + 0.1 is
 * 0.9999999999999999, so a unit a regulator computes by hand as S = 1 would
 * come out "not a major hazard". Every input here is a decimal written in a
 * YAML file, so each is taken as the exact decimal it was written as and
 * the arithmetic is done on fractions of BigInts; only the display rounds.
 */
export class Ratio {
  /** Always reduced, denominator > 0. */
  private constructor(
    readonly num: bigint,
    readonly den: bigint,
  ) {}

  static readonly ZERO = new Ratio(0n, 1n);
  static readonly ONE = new Ratio(1n, 1n);

  static of(num: bigint, den = 1n): Ratio {
    if (den === 0n) throw new RangeError('division by zero');
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcd(num < 0n ? -num : num, den);
    return g > 1n ? new Ratio(num / g, den / g) : new Ratio(num, den);
  }

  /**
   * The decimal a number was written as: JavaScript prints the shortest
   * decimal that reads back to the same double, which for a value parsed
   * from YAML such as `1.47` is `1.47` itself.
   */
  static fromNumber(x: number): Ratio {
    if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(x));
    if (!m) throw new RangeError(`cannot read ${String(x)} as a decimal`);
    const [, sign = '', int = '0', frac = '', exp = '0'] = m;
    let num = BigInt(int + frac);
    let den = 10n ** BigInt(frac.length);
    const e = Number(exp);
    if (e > 0) num *= 10n ** BigInt(e);
    if (e < 0) den *= 10n ** BigInt(-e);
    return Ratio.of(sign === '-' ? -num : num, den);
  }

  add(o: Ratio): Ratio {
    return Ratio.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  sub(o: Ratio): Ratio {
    return Ratio.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }

  mul(o: Ratio): Ratio {
    return Ratio.of(this.num * o.num, this.den * o.den);
  }

  div(o: Ratio): Ratio {
    if (o.num === 0n) throw new RangeError('division by zero');
    return Ratio.of(this.num * o.den, this.den * o.num);
  }

  /** -1, 0 or 1. */
  cmp(o: Ratio): number {
    const d = this.num * o.den - o.num * this.den;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }

  abs(): Ratio {
    return this.num < 0n ? new Ratio(-this.num, this.den) : this;
  }

  static sum(values: readonly Ratio[]): Ratio {
    return values.reduce((a, b) => a.add(b), Ratio.ZERO);
  }

  static max(values: readonly Ratio[]): Ratio | undefined {
    return values.reduce<Ratio | undefined>((m, v) => (m === undefined || v.cmp(m) > 0 ? v : m), undefined);
  }

  /** True when the decimal expansion ends within `places` decimals. */
  terminatesWithin(places: number): boolean {
    return (this.num * 10n ** BigInt(places)) % this.den === 0n;
  }

  /** Rounded half away from zero to `places` decimals, trailing zeros dropped. */
  toDecimal(places: number): string {
    const scale = 10n ** BigInt(places);
    const neg = this.num < 0n;
    const n = neg ? -this.num : this.num;
    const scaled = (n * scale * 2n + this.den) / (this.den * 2n);
    const int = scaled / scale;
    const frac = (scaled % scale).toString().padStart(places, '0').replace(/0+$/, '');
    const text = frac ? `${int}.${frac}` : `${int}`;
    return neg && scaled !== 0n ? `-${text}` : text;
  }

  /** The nearest double (for JSON and charts; decisions use `cmp`). */
  toNumber(): number {
    return Number(this.toDecimal(17));
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Decimals shown in reports; a value that needs more is shown rounded with "≈". */
export const REPORT_DECIMALS = 4;

/** A number as the report shows it: the value, its text, and whether the text is exact. */
export interface ShownNumber {
  /** The nearest double, for machines. */
  value: number;
  /** As printed: exact (`21.168`) or rounded to REPORT_DECIMALS with a leading `≈` (`≈133.3333`). */
  text: string;
  exact: boolean;
}

export function shown(r: Ratio, places = REPORT_DECIMALS): ShownNumber {
  const exact = r.terminatesWithin(places);
  return { value: r.toNumber(), text: exact ? r.toDecimal(places) : `≈${r.toDecimal(places)}`, exact };
}

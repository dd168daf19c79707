import type { CatalogueTag } from '@park/protocol';
import { liveStore } from '../live/live-instance';
import { SPARK_WINDOW_MS, type SparkPoint } from '../live/live-store';

// The last minutes of one tag as an inline SVG polyline: a glance at the
// direction of a value (rising, steady, falling), not a trend to read
// numbers from. Drawn from the live store's small per-tag ring; no chart
// library, and only for tiles in view (the wall renders nothing else).
// Neutral grey whatever the state: colour stays with the alarm.

const WIDTH = 100;
const HEIGHT = 24;
/** A flat line still gets this share of the instrument span as its height, so noise is not magnified into drama. */
const MIN_SPAN_SHARE = 0.02;

/** Runs of consecutive usable points; a bad reading (NaN) breaks the line. */
function runs(points: readonly SparkPoint[]): SparkPoint[][] {
  const out: SparkPoint[][] = [];
  let current: SparkPoint[] = [];
  for (const p of points) {
    if (Number.isNaN(p.v)) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push(p);
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function Sparkline({ tag, label }: { tag: CatalogueTag; label: string }) {
  const serverNow = liveStore.serverNowMs();
  const all = liveStore.recentValues(tag.id, serverNow - SPARK_WINDOW_MS);
  const usable = all.filter((p) => !Number.isNaN(p.v));
  if (usable.length < 2) return <svg className="tile__spark" data-testid="tile-spark" data-points={usable.length} aria-hidden="true" />;

  const end = Math.max(serverNow, usable[usable.length - 1]?.ts ?? serverNow);
  const startMs = end - SPARK_WINDOW_MS;
  let low = Infinity;
  let high = -Infinity;
  for (const p of usable) {
    low = Math.min(low, p.v);
    high = Math.max(high, p.v);
  }
  const instrumentSpan = tag.range ? Math.abs(tag.range[1] - tag.range[0]) : Math.abs(high) || 1;
  const minSpan = instrumentSpan * MIN_SPAN_SHARE;
  if (high - low < minSpan) {
    const mid = (high + low) / 2;
    low = mid - minSpan / 2;
    high = mid + minSpan / 2;
  }
  const x = (ts: number): number => ((ts - startMs) / SPARK_WINDOW_MS) * WIDTH;
  const y = (v: number): number => HEIGHT - 1 - ((v - low) / (high - low)) * (HEIGHT - 2);
  return (
    <svg className="tile__spark" data-testid="tile-spark" data-points={usable.length} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={label}>
      {runs(all).map((run) =>
        run.length === 1 ? (
          <circle key={run[0]?.ts} cx={x(run[0]?.ts ?? 0)} cy={y(run[0]?.v ?? 0)} r={1} />
        ) : (
          <polyline key={run[0]?.ts} points={run.map((p) => `${x(p.ts).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')} vectorEffect="non-scaling-stroke" />
        ),
      )}
    </svg>
  );
}

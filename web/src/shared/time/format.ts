// Date and time as operators read them: ISO-like order, 24 h, ASCII digits,
// and always the zone, so a screenshot or a phone in another zone is never
// ambiguous. The same format in every interface language.

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const cacheKey = timeZone ?? '';
  let formatter = zoneFormatters.get(cacheKey);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
      numberingSystem: 'latn',
    });
    zoneFormatters.set(cacheKey, formatter);
  }
  return formatter;
}

function parts(date: Date, timeZone: string | undefined): Partial<Record<Intl.DateTimeFormatPartTypes, string>> {
  const out: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatterFor(timeZone).formatToParts(date)) out[part.type] = part.value;
  return out;
}

// formatToParts is slow (tens of µs) and a live wall formats the same few
// seconds for every tile it redraws (a gateway stamps a whole batch alike):
// the text of a second is kept, per zone, until the cache is full.
const DATE_TIME_CACHE_LIMIT = 512;
const dateTimeCache = new Map<string, Map<number, string>>();

function dateTimeText(date: Date, timeZone: string | undefined): string {
  const p = parts(date, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** `2026-11-29 23:04:05 GMT+8` in the browser's zone (or `timeZone`). */
export function formatDateTimeWithZone(date: Date, timeZone?: string): string {
  const second = Math.floor(date.getTime() / 1000);
  if (!Number.isFinite(second)) return dateTimeText(date, timeZone);
  const zoneKey = timeZone ?? '';
  let cache = dateTimeCache.get(zoneKey);
  if (!cache) {
    cache = new Map();
    dateTimeCache.set(zoneKey, cache);
  }
  let text = cache.get(second);
  if (text === undefined) {
    text = dateTimeText(date, timeZone);
    if (cache.size >= DATE_TIME_CACHE_LIMIT) cache.clear();
    cache.set(second, text);
  }
  return text;
}

/** `23:04:05 GMT+8`: for "last updated" on a live display, where the date is today. */
export function formatTimeWithZone(date: Date, timeZone?: string): string {
  const p = parts(date, timeZone);
  return `${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** The IANA name of the browser's zone, e.g. `Asia/Shanghai`. */
export function localTimeZoneName(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export type Age = { unit: 'seconds' | 'minutes' | 'hours'; value: number };

/** How long ago, in the largest unit that keeps the number readable. */
export function splitAge(ageMs: number): Age {
  const seconds = Math.max(0, Math.floor(ageMs / 1000));
  if (seconds < 120) return { unit: 'seconds', value: seconds };
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return { unit: 'minutes', value: minutes };
  return { unit: 'hours', value: Math.floor(minutes / 60) };
}

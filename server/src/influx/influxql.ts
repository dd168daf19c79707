/**
 * An InfluxQL string literal. The `influx` package's `escape.stringLit`
 * escapes `'` but not `\`, so a value ending in a backslash would close the
 * literal early and let the rest of the value shape the query. Every value
 * that reaches a query goes through here.
 */
export function influxString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** Where an InfluxDB 1.x is and which database to use, from `http://host:8086/park`. */
export interface InfluxTarget {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  database: string;
  username?: string;
  password?: string;
}

export const DEFAULT_DATABASE = 'park';

/** Parses an InfluxDB URL; the path names the database (default `park`). Throws with a reason a person can act on. */
export function parseInfluxUrl(text: string): InfluxTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(text)} (expected e.g. http://127.0.0.1:8086/park)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`InfluxDB URL must start with http:// or https://, got ${JSON.stringify(text)}`);
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || DEFAULT_DATABASE;
  if (database.includes('/')) throw new Error(`InfluxDB URL path must be just the database name, got ${JSON.stringify(url.pathname)}`);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return {
    protocol,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 8086,
    database,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

import type { FastifyInstance } from 'fastify';
import type { Ingest } from '../ingest/ingest.js';
import type { AuditLog } from '../audit/audit-log.js';

/** `GET /metrics`: Prometheus text format, counters named with units and `_total`. */
export function registerMetrics(app: FastifyInstance, d: { ingest: Ingest; audit: AuditLog; socketClients: () => number }): void {
  app.get('/metrics', async (_req, reply) => {
    const c = d.ingest.counters;
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('park_ingest_messages_total', 'counter', 'Data messages accepted.', [['', c.messages]]);
    metric('park_ingest_readings_total', 'counter', 'Readings accepted.', [['', c.readings]]);
    metric('park_ingest_readings_written_total', 'counter', 'Readings written to InfluxDB.', [['', c.written]]);
    metric('park_ingest_readings_dropped_total', 'counter', 'Readings dropped because the disk spool was full.', [['', d.ingest.dropped()]]);
    metric('park_ingest_readings_refused_total', 'counter', 'Readings InfluxDB refused for good (unparsable, field type conflict, series limit).', [['', c.refused]]);
    metric('park_ingest_consumer_errors_total', 'counter', 'Messages the live table, alarm engine or incidents failed on (a bug: see the log).', [['', c.consumerErrors]]);
    metric('park_ingest_write_errors_total', 'counter', 'Failed InfluxDB writes (retried).', [['', c.writeErrors]]);
    metric('park_ingest_backlog_readings', 'gauge', 'Readings accepted and not yet written.', [['', d.ingest.backlog()]]);
    metric('park_ingest_rollup_points_total', 'counter', '1-minute rollup points written by the server from the readings it ingested.', [['', d.ingest.liveRollupCounters.points]]);
    metric('park_ingest_rollup_write_failures_total', 'counter', 'Rollup writes of the server that failed (their minutes are recomputed from the stored readings).', [['', d.ingest.liveRollupCounters.failedWrites]]);
    metric('park_ingest_rollup_late_ranges_total', 'counter', 'Time ranges of readings stored late rolled up by the server.', [['', d.ingest.rollups.counters.ranges]]);
    metric('park_ingest_rollup_late_failures_total', 'counter', 'Rollup queries of late readings that failed (tried again).', [['', d.ingest.rollups.counters.failures]]);
    metric('park_ingest_rollup_late_pending', 'gauge', '1 while late readings wait to be rolled up.', [['', d.ingest.rollups.hasPending() ? 1 : 0]]);
    metric('park_ingest_rejected_total', 'counter', 'Messages rejected, by reason.', Object.entries(c.rejected).map(([code, n]) => [`{code="${code}"}`, n ?? 0]));
    const gws = [...d.ingest.perGateway].map(([gw, g]) => ({ label: `{gateway="${gw}"}`, g }));
    metric('park_ingest_gateway_messages_total', 'counter', 'Data messages accepted, per gateway (replays included).', gws.map(({ label, g }) => [label, g.messages]));
    metric('park_ingest_seq_gaps_total', 'counter', 'Data messages missing from a gateway\'s sequence.', gws.map(({ label, g }) => [label, g.gaps]));
    metric('park_ingest_seq_gaps_filled_total', 'counter', 'Replayed messages that filled a gap (gaps minus filled: still missing).', gws.map(({ label, g }) => [label, g.gapsFilled]));
    metric('park_ingest_seq_duplicates_total', 'counter', 'Repeated data messages (by seq), per gateway.', gws.map(({ label, g }) => [label, g.duplicates]));
    metric('park_audit_dropped_total', 'counter', 'Audit entries dropped while InfluxDB was away too long.', [['', d.audit.dropped]]);
    metric('park_socket_clients', 'gauge', 'Connected Socket.IO clients.', [['', d.socketClients()]]);
    const mem = process.memoryUsage();
    metric('park_process_resident_memory_bytes', 'gauge', 'Resident memory of the server process.', [['', mem.rss]]);
    metric('park_process_heap_used_bytes', 'gauge', 'JavaScript heap in use (V8).', [['', mem.heapUsed]]);
    metric('park_process_heap_total_bytes', 'gauge', 'JavaScript heap reserved (V8).', [['', mem.heapTotal]]);
    metric('park_process_external_memory_bytes', 'gauge', 'Memory outside the JavaScript heap held by it (Buffers and the like).', [['', mem.external]]);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
  });
}

/**
 * UTF-8 text written in place into a byte buffer that grows when needed. The
 * encoders of the hot paths (a gateway's data messages, the server's InfluxDB
 * request bodies) write here instead of building strings that are copied
 * into bytes afterwards: at 100,000 readings a second those strings were
 * most of what either process allocated. Ids, numbers and qualities are
 * ASCII, written a byte per character; anything else goes through
 * TextEncoder.
 */
export class ByteWriter {
  buf: Uint8Array;
  /** Bytes written so far. */
  at = 0;
  private static encoder: InstanceType<typeof TextEncoder> | undefined;

  constructor(
    size: number,
    /** Allocates the buffer (Node: `Buffer.allocUnsafe`, so that `buf` is a Buffer). */
    protected readonly alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n),
  ) {
    this.buf = alloc(Math.max(64, size));
  }

  text(s: string): void {
    const n = s.length;
    if (this.at + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.at = at;
        this.utf8(i === 0 ? s : s.slice(i));
        return;
      }
      buf[at++] = c;
    }
    this.at = at;
  }

  byte(c: number): void {
    if (this.at >= this.buf.length) this.grow(1);
    (this.buf as Uint8Array)[this.at++] = c;
  }

  /** Any text, encoded as UTF-8. */
  utf8(s: string): void {
    this.ensure(3 * s.length);
    ByteWriter.encoder ??= new TextEncoder();
    this.at += ByteWriter.encoder.encodeInto(s, this.buf.subarray(this.at)).written;
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.at + n > this.buf.length) this.grow(n);
  }

  /** What was written (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  protected grow(need: number): void {
    const next = this.alloc(Math.max(2 * this.buf.length, this.at + need));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }
}

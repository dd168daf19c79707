import { encodeMetaMessage, MAX_MESSAGE_BYTES, MAX_TAGS_PER_META, type MetaMessage } from '@park/protocol';

export interface FittedMeta {
  message: MetaMessage;
  /** Tags left out of the catalogue to keep within the contract's limits. */
  omitted: number;
}

/**
 * The catalogue is one retained message per gateway, and the server rejects
 * one with more than MAX_TAGS_PER_META tags or MAX_MESSAGE_BYTES bytes: it
 * would then know none of them. A gateway past the limit therefore announces
 * the tags that fit, in configuration order, and says how many it left out;
 * their readings still flow, named by the park model on the server.
 */
export function fitMetaToContract(meta: MetaMessage): FittedMeta {
  let tags = meta.tags.length > MAX_TAGS_PER_META ? meta.tags.slice(0, MAX_TAGS_PER_META) : meta.tags;
  const bytes = (m: MetaMessage): number => Buffer.byteLength(encodeMetaMessage(m), 'utf8');
  if (bytes({ ...meta, tags }) > MAX_MESSAGE_BYTES) {
    // Largest prefix that fits, by bisection: one encode per step, not per tag.
    let lo = 0;
    let hi = tags.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (bytes({ ...meta, tags: tags.slice(0, mid) }) <= MAX_MESSAGE_BYTES) lo = mid;
      else hi = mid - 1;
    }
    tags = tags.slice(0, lo);
  }
  return { message: tags === meta.tags ? meta : { ...meta, tags }, omitted: meta.tags.length - tags.length };
}

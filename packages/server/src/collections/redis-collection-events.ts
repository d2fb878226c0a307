import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LocalCollectionEvents, type CollectionChange, type CollectionEvents } from './collection-events.js';

export interface RedisCollectionEventsOptions {
  /** Redis URL; two connections are opened (a subscriber cannot publish). Required. */
  url: string;
  /** Channel prefix, shared by every process of a deployment. Default `face-encode`. */
  prefix?: string;
}

/** One message on the channel: the sending process, its running count of messages, the change. */
interface Envelope {
  origin: string;
  seq: number;
  change: CollectionChange;
}

const KINDS = new Set(['faces-added', 'faces-removed', 'dropped', 'everything']);

function parseEnvelope(raw: string): Envelope | null {
  try {
    const m = JSON.parse(raw) as Partial<Envelope>;
    const ok =
      typeof m.origin === 'string' &&
      Number.isSafeInteger(m.seq) &&
      typeof m.change === 'object' &&
      m.change !== null &&
      KINDS.has(m.change.kind);
    return ok ? (m as Envelope) : null;
  } catch {
    return null;
  }
}

/**
 * Collection changes across API processes over Redis pub/sub. Pub/sub drops messages while a
 * subscriber is disconnected, so each process numbers what it sends: a receiver that sees a gap
 * in a sender's numbers (or a sender first met mid-sequence, or a message it cannot read, or its
 * own reconnect) reports `everything`, and the index drops every copy rather than serve one that
 * missed a change.
 */
export class RedisCollectionEvents implements CollectionEvents {
  readonly #local = new LocalCollectionEvents();
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #subscribed: Promise<unknown>;
  /** Who we are on the channel: our own messages come back and are skipped (applied already). */
  readonly #origin = randomUUID();
  #seq = 0;
  /** The last number seen from each other process. */
  readonly #lastSeen = new Map<string, number>();

  constructor(options: RedisCollectionEventsOptions) {
    this.#channel = `${options.prefix ?? 'face-encode'}:collection-changes`;
    this.#pub = new Redis(options.url, { maxRetriesPerRequest: 3 });
    this.#sub = new Redis(options.url);
    this.#pub.on('error', () => {});
    this.#sub.on('error', () => {});
    this.#sub.on('message', (_channel: string, raw: string) => this.#receive(raw));
    let connected = false;
    this.#sub.on('ready', () => {
      if (connected) this.#emit({ kind: 'everything' });
      connected = true;
    });
    this.#subscribed = this.#sub.subscribe(this.#channel);
  }

  /** Resolves once the subscription is live. */
  ready(): Promise<unknown> {
    return this.#subscribed;
  }

  async publish(change: CollectionChange): Promise<void> {
    // Our own process first, so it never serves its stale copy while the message travels. The
    // number is taken even if the publish fails: peers then see the gap and reload.
    // Sent in call order (no await before the publish), so the numbers go out in order.
    const envelope: Envelope = { origin: this.#origin, seq: ++this.#seq, change };
    const local = this.#local.publish(change);
    const sent = this.#pub.publish(this.#channel, JSON.stringify(envelope));
    await local;
    await sent;
  }

  onChange(listener: (change: CollectionChange) => void): void {
    this.#local.onChange(listener);
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#sub.disconnect();
    await this.#pub.quit().catch(() => {});
  }

  #receive(raw: string): void {
    const envelope = parseEnvelope(raw);
    if (!envelope) return this.#emit({ kind: 'everything' });
    if (envelope.origin === this.#origin) return;
    const last = this.#lastSeen.get(envelope.origin);
    this.#lastSeen.set(envelope.origin, envelope.seq);
    // A sender first met mid-sequence may have sent changes before our subscription was live.
    const expected = (last ?? 0) + 1;
    this.#emit(envelope.seq === expected ? envelope.change : { kind: 'everything' });
  }

  #emit(change: CollectionChange): void {
    void this.#local.publish(change);
  }
}

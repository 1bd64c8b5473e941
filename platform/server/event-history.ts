/**
 * Lifecycle events of every container of a platform: numbered, kept (the last 200 per name,
 * so a client that connects late still sees the start) and emitted as `"event"` to live
 * subscribers (the SSE route, tests).
 */
import { EventEmitter } from "node:events";
import type { LifecycleEvent, LifecycleEventType } from "../client/types.ts";

const HISTORY_PER_NAME = 200;

export type EventDetails = Partial<Omit<LifecycleEvent, "seq" | "name" | "type" | "at" | "containerId">>;

export class EventHistory extends EventEmitter<{ event: [LifecycleEvent] }> {
  private readonly byName = new Map<string, LifecycleEvent[]>();
  private seq = 0;

  constructor() {
    super();
    // Subscribers come and go per SSE client; the default cap of 10 would warn on a busy dev box.
    this.setMaxListeners(0);
  }

  /** Numbers, keeps and emits one event; details left undefined are not part of it. */
  record(name: string, containerId: string | undefined, type: LifecycleEventType, details: EventDetails = {}): LifecycleEvent {
    const event: LifecycleEvent = {
      seq: ++this.seq,
      name,
      type,
      at: new Date().toISOString(),
      ...(containerId ? { containerId } : {}),
      ...Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined)),
    };
    const list = this.byName.get(name) ?? [];
    list.push(event);
    if (list.length > HISTORY_PER_NAME) list.splice(0, list.length - HISTORY_PER_NAME);
    this.byName.set(name, list);
    this.emit("event", event);
    return event;
  }

  /** Recorded events of a name, oldest first, optionally only those after `since`. */
  of(name: string, since = 0): LifecycleEvent[] {
    return (this.byName.get(name) ?? []).filter((event) => event.seq > since);
  }
}

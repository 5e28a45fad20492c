/**
 * The EventSink contract: every adapter (local JSON lines, Kafka through the outbox against the
 * real test broker) runs these same tests. `readBack` returns what a consumer would see,
 * deduplicated by id.
 */
import type { EventSink, ShutterEvent } from '../../core/ports/event-sink.js';
import { renditionEvent } from '../helpers/events.js';

export interface SinkUnderTest {
  sink: EventSink;
  readBack(expected: number): Promise<ShutterEvent[]>;
  close(): Promise<void>;
}

/**
 * `keepsOrder: false` for a sink whose readers get no order to keep: the lake's objects are
 * named and sorted by content so a retry rewrites the same bytes, and Athena orders by `time`.
 */
export function eventSinkContract(name: string, setup: () => Promise<SinkUnderTest>, { keepsOrder = true }: { keepsOrder?: boolean } = {}): void {
  describe(`EventSink contract: ${name}`, () => {
    test(`published events are all delivered once${keepsOrder ? ', each image’s events in publish order' : ''}`, async () => {
      const under = await setup();
      const events = Array.from({ length: 60 }, (_, n) => renditionEvent(n));
      for (let start = 0; start < events.length; start += 7) await under.sink.publish(events.slice(start, start + 7));
      await under.sink.flush();
      const seen = await under.readBack(events.length);
      expect(seen.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
      expect(seen).toHaveLength(events.length);
      for (const subject of keepsOrder ? new Set(events.map((event) => event.subject)) : []) {
        const order = (list: ShutterEvent[]) => list.filter((event) => event.subject === subject).map((event) => event.id);
        expect(order(seen)).toEqual(order(events));
      }
      expect(seen[0]).toEqual(events.find((event) => event.id === seen[0]!.id));
      await under.close();
    });

    test('concurrent publishes are all delivered', async () => {
      const under = await setup();
      const events = Array.from({ length: 40 }, (_, n) => renditionEvent(n));
      await Promise.all(events.map((event) => under.sink.publish([event])));
      await under.sink.flush();
      expect((await under.readBack(events.length)).map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
      await under.close();
    });

    test('publish with awaitDelivery resolves once the events are delivered, without a flush', async () => {
      const under = await setup();
      const events = Array.from({ length: 12 }, (_, n) => renditionEvent(n));
      await Promise.all([under.sink.publish(events.slice(0, 5), { awaitDelivery: true }), under.sink.publish(events.slice(5), { awaitDelivery: true })]);
      expect((await under.readBack(events.length)).map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
      await under.close();
    });

    test('an invalid event is refused with InvalidEvent and nothing of its batch is published', async () => {
      const under = await setup();
      const good = renditionEvent(1);
      const bad = { ...renditionEvent(2), data: { image: { bucket: 'images' } } } as ShutterEvent;
      await expect(under.sink.publish([good, bad])).rejects.toMatchObject({ code: 'InvalidEvent', status: 400 });
      const marker = renditionEvent(3);
      await under.sink.publish([marker]);
      await under.sink.flush();
      expect((await under.readBack(1)).map((event) => event.id)).toEqual([marker.id]);
      await under.close();
    });
  });
}

import { fold } from './replay';
import { anEvent, erasureRequested, SUBJECT, T0 } from './testing/events';

const shredded = (eventId: string, requestId: string, at = T0) =>
  anEvent({ type: 'KeyShredded', request_id: requestId, cause: 'ERASURE_COMPLETED' }, { event_id: eventId, recorded_at: at, source: 'SYSTEM' });

describe('evolve: KeyShredded', () => {
  it('records the shred in the state, and nothing else changes', () => {
    const before = fold([erasureRequested('e1', 'req-1', ['sql'])], SUBJECT);
    const after = fold([erasureRequested('e1', 'req-1', ['sql']), shredded('e2', 'req-1', T0 + 5)], SUBJECT);
    expect(after.keyShredded).toEqual({ requestId: 'req-1', at: T0 + 5, eventId: 'e2' });
    expect(after.erasureRequests).toEqual(before.erasureRequests);
    expect(after.version).toBe(2);
  });

  it('keeps the first shred when another one follows', () => {
    const state = fold([shredded('e1', 'req-1'), shredded('e2', 'req-2', T0 + 9)], SUBJECT);
    expect(state.keyShredded).toEqual({ requestId: 'req-1', at: T0, eventId: 'e1' });
  });

  it('leaves the field absent for a subject never shredded, as states stored before it existed', () => {
    expect(Object.keys(fold([erasureRequested('e1', 'req-1', ['sql'])], SUBJECT))).not.toContain('keyShredded');
  });
});

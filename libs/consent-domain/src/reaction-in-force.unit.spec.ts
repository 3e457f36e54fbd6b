import { reactionInForce } from './queries';
import { fold } from './replay';
import { granted, objected, optedOut, SUBJECT, withdrawn } from './testing/events';

// A system catching up on history acts on a past withdrawal, objection or opt-out only if it is
// still in force now; when in doubt (the state has not reached the event), it acts.

describe('reactionInForce', () => {
  const withdrawal = withdrawn('e2', ['ads', 'email']);

  it('keeps a withdrawal in force until the purpose is granted again, purpose by purpose', () => {
    const regranted = fold([granted('e1', ['ads', 'email']), withdrawal, granted('e3', ['ads'])], SUBJECT);
    expect(reactionInForce(regranted, withdrawal, 'ads')).toBe(false);
    expect(reactionInForce(regranted, withdrawal, 'email')).toBe(true);
    expect(reactionInForce(fold([granted('e1', ['ads']), withdrawal], SUBJECT), withdrawal, 'ads')).toBe(true);
  });

  it('leaves a withdrawal to a later one of the same purpose, so history is acted on once', () => {
    const again = withdrawn('e4', ['ads']);
    const state = fold([granted('e1', ['ads']), withdrawal, granted('e3', ['ads']), again], SUBJECT);
    expect(reactionInForce(state, withdrawal, 'ads')).toBe(false);
    expect(reactionInForce(state, again, 'ads')).toBe(true);
    // A withdrawal of every purpose (none named) stands for each purpose it withdrew.
    const everything = withdrawn('e5', []);
    expect(reactionInForce(fold([granted('e1', ['ads', 'email']), everything], SUBJECT), everything, 'email')).toBe(true);
  });

  it('acts when the state has not reached the event yet, or there is none', () => {
    const before = fold([granted('e1', ['ads'])], SUBJECT);
    expect(reactionInForce(before, withdrawal, 'ads')).toBe(true);
    expect(reactionInForce(null, withdrawal, 'ads')).toBe(true);
  });

  it('never lifts an objection or an opt-out', () => {
    const objection = objected('e2', ['ads']);
    const optOut = optedOut('e3', ['SALE']);
    const later = fold([objection, optOut, granted('e4', ['email'])], SUBJECT);
    expect(reactionInForce(later, objection, 'ads')).toBe(true);
    expect(reactionInForce(later, optOut, 'SALE')).toBe(true);
  });
});

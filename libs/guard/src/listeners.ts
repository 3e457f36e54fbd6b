import type { Logger } from 'kafkajs';
import type { OptOutNotice, ProcessingChange } from '@lethe/contracts';

export type NoticeListener = (notice: OptOutNotice) => void;

/** Who hears of RESTRICTED and ALLOWED notices. A listener that throws is logged (without the notice) and the others still run. */
export class Listeners {
  private readonly byChange: Record<ProcessingChange, Set<NoticeListener>> = { RESTRICTED: new Set(), ALLOWED: new Set() };

  add(change: ProcessingChange, listener: NoticeListener): () => void {
    // Wrapped, so the same function added twice is two listeners and each unsubscribe removes one.
    const entry: NoticeListener = (notice) => listener(notice);
    this.byChange[change].add(entry);
    return () => void this.byChange[change].delete(entry);
  }

  fire(notice: OptOutNotice, log: Logger): void {
    for (const listener of this.byChange[notice.change]) {
      try {
        listener(notice);
      } catch (error) {
        log.error(`an on${notice.change === 'RESTRICTED' ? 'Restricted' : 'Allowed'} listener threw ${(error as Error)?.name ?? 'an error'}; the guard goes on`);
      }
    }
  }
}

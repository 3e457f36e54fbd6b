/**
 * The newsletter's own Kafka names (it is a demo service, not part of Lethe, so they live here
 * rather than in libs/contracts), under the same LETHE_TOPIC_PREFIX as the installation.
 */
export function newsletterNames(prefix: string) {
  return {
    /** Send jobs, one per subject and issue: `{ subjectId, issue }` as JSON, keyed by subject id. */
    jobsTopic: `${prefix}newsletter.jobs`,
    /** The senders' consumer group on the jobs topic. */
    sendersGroup: `${prefix}newsletter.senders`,
  };
}

/** The consent purpose a newsletter needs. */
export const NEWSLETTER_PURPOSE = 'marketing';

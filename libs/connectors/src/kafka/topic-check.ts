import { Admin, ConfigResourceTypes } from 'kafkajs';
import { ConnectorError } from '../connector';

/**
 * Refuses topics a tombstone would not erase from: missing ones (auto creation would make an
 * empty topic and report success), and ones without `cleanup.policy=compact`, where a tombstone
 * is one more record and every earlier value stays until retention deletes it. Both are
 * configuration faults, so neither is retryable. Topic names are configuration, safe to quote.
 */
export async function checkTopics(admin: Admin, topics: string[], system: string): Promise<void> {
  const wanted = [...new Set(topics)];
  const prefix = `kafka connector "${system}"`;
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((topic) => !existing.has(topic));
  if (missing.length > 0) throw new ConnectorError(`${prefix}: topic(s) ${quoted(missing)} do not exist`, false);

  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: wanted.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['cleanup.policy'] })),
  });
  const notCompacted = wanted.filter((topic) => {
    const resource = resources.find((r) => r.resourceName === topic);
    const policy = resource?.configEntries.find((entry) => entry.configName === 'cleanup.policy')?.configValue ?? 'delete';
    return !policy.split(',').map((part) => part.trim()).includes('compact');
  });
  if (notCompacted.length > 0) {
    throw new ConnectorError(
      `${prefix}: topic(s) ${quoted(notCompacted)} are not compacted (cleanup.policy must include "compact"); a tombstone would erase nothing there`,
      false,
    );
  }
}

function quoted(topics: string[]): string {
  return topics.map((topic) => `"${topic}"`).join(', ');
}

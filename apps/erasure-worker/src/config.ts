import {
  ConfigError,
  databaseSchemaFrom,
  Endpoints,
  endpointsFrom,
  Env,
  integer,
  LogLevel,
  logLevelsFrom,
  masterKeyFrom,
  MetricsEndpoint,
  metricsEndpointFrom,
  startupTimeoutMsFrom,
  TopicSettings,
  topicSettingsFrom,
} from '@lethe/config';
import { readSystemsFile, SystemEntry, SystemsFile } from '@lethe/connectors';

export interface WorkerConfig {
  endpoints: Endpoints;
  topics: TopicSettings;
  /** How long start-up waits for a broker that is still starting (LETHE_STACK_TIMEOUT). */
  startupTimeoutMs: number;
  systemsFile: SystemsFile;
  /** The systems this process runs: all of the file, or those named in LETHE_WORKER_SYSTEMS. */
  systems: SystemEntry[];
  /** How often each system looks for retries that are due. */
  retryPollMs: number;
  /** Partitions of consent.log each system works on at once. */
  partitionsAtOnce: number;
  /** Records of a partition taken per round; the subjects among them are worked on at once (each in order). */
  stepsAtOnce: number;
  masterKey: Buffer;
  developmentMasterKey: boolean;
  databaseSchema?: string;
  logLevels: LogLevel[];
  metrics?: MetricsEndpoint;
}

/** Reads and checks the configuration once, at boot; a bad value stops the process, saying which. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  const path = env.LETHE_SYSTEMS_FILE;
  if (!path) throw new ConfigError('LETHE_SYSTEMS_FILE must name the downstream systems file (YAML or JSON; see the README)');
  const systemsFile = readSystemsFile(path);
  const master = masterKeyFrom(env);
  return {
    endpoints: endpointsFrom(env),
    topics: topicSettingsFrom(env),
    startupTimeoutMs: startupTimeoutMsFrom(env),
    systemsFile,
    systems: selectSystems(systemsFile, env.LETHE_WORKER_SYSTEMS),
    retryPollMs: integer(env, 'LETHE_WORKER_RETRY_POLL_MS', 1_000, 50, 600_000),
    partitionsAtOnce: integer(env, 'LETHE_WORKER_PARTITIONS_AT_ONCE', 6, 1, 64),
    stepsAtOnce: integer(env, 'LETHE_WORKER_STEPS_AT_ONCE', 100, 1, 1_000),
    masterKey: master.key,
    developmentMasterKey: master.development,
    databaseSchema: databaseSchemaFrom(env),
    logLevels: logLevelsFrom(env),
    metrics: metricsEndpointFrom(env),
  };
}

/** One process may run every system, or only some (same build, scaled per system). */
function selectSystems(file: SystemsFile, selection: string | undefined): SystemEntry[] {
  if (!selection?.trim()) return file.systems;
  return selection.split(',').map((raw) => {
    const name = raw.trim();
    const entry = file.systems.find((system) => system.name === name);
    if (!entry) throw new ConfigError(`LETHE_WORKER_SYSTEMS: "${name}" is not declared in the systems file`);
    return entry;
  });
}

export { DEFAULT_TIMEOUT_MS, KafkaConnector } from './kafka-connector';
export { KafkaConfigError, validateKafkaConfig } from './kafka-config';
export type { KafkaConnectorConfig, KafkaTopicConfig } from './kafka-config';

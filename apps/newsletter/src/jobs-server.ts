import { ServerKafka } from '@nestjs/microservices';
import { Kafka, Partitioners } from 'kafkajs';

/**
 * The @nestjs/microservices Kafka transport on the service's own kafkajs client (made by
 * libs/kafka's createKafka, like every client here), instead of one the transport builds.
 * Each @EventPattern(topic) handler's message is committed once the handler has returned.
 */
export class JobsServer extends ServerKafka {
  constructor(
    private readonly kafka: Kafka,
    groupId: string,
  ) {
    // postfixId '': the group is named as given, not `<group>-server`. A new group starts at the
    // oldest job, so jobs queued before the first start are sent (or skipped) too.
    // Its producer (replies to @MessagePattern requests; none here) partitions as Lethe's do.
    super({
      postfixId: '',
      consumer: { groupId, maxWaitTimeInMs: 100 },
      subscribe: { fromBeginning: true },
      producer: { createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false },
    });
  }

  override createClient<T = Kafka>(): T {
    return this.kafka as T;
  }
}

// TEMPORARY stand-in of the guard core (libs/guard/src, written on h/guard) with the agreed
// API's signatures, so the NestJS part can be built and tested before the core lands.
// Deleted once the real core is merged; nothing outside libs/guard/src/nest/core.ts imports it.
import { randomUUID } from 'node:crypto';
import type { Consumer, EachMessageHandler, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import { Counter, Gauge, register, Registry } from 'prom-client';
import { compileDecisions, CompiledDecisions, ConsentStateCodec, Decision, isRestriction, OptOutNotice, OptOutNoticeCodec, subjectsFor, topicsFor } from '@lethe/contracts';

export interface ConsentGuardOptions {
  kafka: Kafka;
  schemaRegistryUrl: string;
  topicPrefix?: string;
  service: string;
  beforeReady?: 'deny' | 'allow';
  whenNoRecord?: 'deny' | 'allow';
  maxStalenessMs?: number;
  whenStale?: 'deny' | 'answer';
  metrics?: Registry | false;
}
export type DecisionReason = Decision | 'not_ready' | 'stale';
export interface ConsentDecision {
  allowed: boolean;
  reason: DecisionReason;
  version: number | null;
  stale: boolean;
}

export class ConsentGuard {
  private consumer: Consumer | null = null;
  private readonly states = new Map<string, CompiledDecisions>();
  private readonly restrictedListeners = new Set<(notice: OptOutNotice) => void>();
  private readonly allowedListeners = new Set<(notice: OptOutNotice) => void>();
  private readonly topics;
  private targets = new Map<string, bigint>();
  private readyResolve!: () => void;
  private readonly readyPromise = new Promise<void>((resolve) => (this.readyResolve = resolve));
  private ready_ = false;
  private readonly skipped?: Counter<'service' | 'purpose'>;
  private readonly subjects?: Gauge<'service'>;

  private constructor(private readonly options: ConsentGuardOptions) {
    this.topics = topicsFor(options.topicPrefix ?? '');
    const registry = options.metrics === false ? null : options.metrics ?? register;
    if (registry) {
      this.skipped = new Counter({ name: 'lethe_guard_skipped_messages_total', help: 'skips', labelNames: ['service', 'purpose'], registers: [registry] });
      new Counter({ name: 'lethe_guard_decisions_total', help: 'decisions', labelNames: ['service', 'purpose', 'outcome'], registers: [registry] });
      new Gauge({ name: 'lethe_guard_staleness_seconds', help: 'staleness', labelNames: ['service'], registers: [registry] });
      this.subjects = new Gauge({ name: 'lethe_guard_subjects', help: 'subjects', labelNames: ['service'], registers: [registry] });
    }
  }

  static create(options: ConsentGuardOptions): ConsentGuard {
    return new ConsentGuard(options);
  }

  get isReady(): boolean {
    return this.ready_;
  }

  async start(): Promise<void> {
    const subjects = subjectsFor(this.topics);
    const stateCodec = ConsentStateCodec.forRegistry(this.options.schemaRegistryUrl, subjects.consentStateValue);
    const noticeCodec = OptOutNoticeCodec.forRegistry(this.options.schemaRegistryUrl, subjects.optOutsValue);
    const admin = this.options.kafka.admin();
    await admin.connect();
    for (const topic of [this.topics.consentState, this.topics.optOuts]) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) if (BigInt(high) > 0n) this.targets.set(`${topic}:${partition}`, BigInt(high));
    }
    await admin.disconnect();
    this.consumer = this.options.kafka.consumer({ groupId: `${this.options.topicPrefix ?? ''}lethe.guard.${this.options.service}.${randomUUID()}`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topics.consentState, this.topics.optOuts], fromBeginning: true });
    this.checkReady();
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (topic === this.topics.consentState && message.value) {
          const state = await stateCodec.decode(message.value);
          this.states.set(state.subject_id, compileDecisions(state));
          this.subjects?.set({ service: this.options.service }, this.states.size);
        } else if (topic === this.topics.optOuts && message.value) {
          const notice = await noticeCodec.decode(message.value);
          for (const listener of notice.change === 'RESTRICTED' ? this.restrictedListeners : this.allowedListeners) listener(notice);
        }
        const key = `${topic}:${partition}`;
        if ((this.targets.get(key) ?? 0n) <= BigInt(message.offset) + 1n) this.targets.delete(key);
        this.checkReady();
      },
    });
  }

  private checkReady(): void {
    if (this.targets.size === 0 && !this.ready_) {
      this.ready_ = true;
      this.readyResolve();
    }
  }

  ready(timeoutMs = 60_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the consent guard did not catch up within ${timeoutMs} ms`)), timeoutMs)));
    return Promise.race([this.readyPromise, timeout]).finally(() => clearTimeout(timer));
  }

  allowed(subjectId: string, purpose: string): ConsentDecision {
    if (!this.ready_) return { allowed: this.options.beforeReady === 'allow', reason: 'not_ready', version: null, stale: false };
    const state = this.states.get(subjectId);
    const decision: Decision = state ? state.names.get(purpose) ?? state.others : 'no_record';
    const allowed = decision === 'no_record' ? this.options.whenNoRecord === 'allow' : !isRestriction(decision);
    return { allowed, reason: decision, version: state?.version ?? null, stale: false };
  }

  isAllowed(subjectId: string, purpose: string): boolean {
    return this.allowed(subjectId, purpose).allowed;
  }

  onRestricted(listener: (notice: OptOutNotice) => void): () => void {
    this.restrictedListeners.add(listener);
    return () => this.restrictedListeners.delete(listener);
  }

  onAllowed(listener: (notice: OptOutNotice) => void): () => void {
    this.allowedListeners.add(listener);
    return () => this.allowedListeners.delete(listener);
  }

  stalenessMs(): number {
    return 0;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.skipped?.reset();
  }
}

export function guardedEachMessage(
  _guard: ConsentGuard,
  _options: { purpose: string; subjectOf: (message: KafkaMessage) => string | null | undefined; onSkipped?: (payload: EachMessagePayload, decision: ConsentDecision) => void },
  handler: EachMessageHandler,
): EachMessageHandler {
  return handler;
}

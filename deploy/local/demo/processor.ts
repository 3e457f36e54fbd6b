/**
 * `npm start`'s demo marketing processor: a third party that takes Lethe's signed OpenDSR
 * requests, answers 202, and confirms a moment later through the signed callback.
 */
import { FakeProcessor } from '@lethe/testing';
import { DEMO } from './seed';

const processor = new FakeProcessor(DEMO.processorSecret, 1_000);
processor
  .start(DEMO.processorPort)
  .then((url) => console.log(`[demo] marketing processor takes erasure requests at ${url}`))
  .catch((error: Error) => {
    console.error(`[demo] marketing processor failed to start: ${error.message}`);
    process.exit(1);
  });
const stop = () => void processor.stop().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

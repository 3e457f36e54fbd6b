import { readFileSync } from 'node:fs';
import { citedPositions, NoteError, type NoteVerifier, parseVerifierKey, verifyCertificate, verifyCitedCheckpoint, type VerifiedCertificate } from '@lethe/certificates';

// npm run verify-certificate -- <certificate.json | -> [--public-key <pem file>] [--checkpoint-key <vkey | file>]
// Offline: reads files only, never the network.

/**
 * Exit codes. Only VALID means "Lethe issued this": without a pinned key the signature can only
 * be checked against the key the document carries, which anyone forging it would also embed.
 */
const EXIT = {
  /** Intact, and signed by the pinned key. */
  VALID: 0,
  /** Changed, malformed, or signed by another key than the pinned one. */
  INVALID: 1,
  USAGE: 2,
  /**
   * Intact against its own embedded key; no --public-key, so who signed it is not known. Or, for
   * a certificate that cites a checkpoint (v3), no --checkpoint-key to check that checkpoint with.
   */
  ISSUER_UNVERIFIED: 3,
} as const;

const USAGE = 'usage: npm run verify-certificate -- <certificate.json | -> [--public-key <public key PEM file>] [--checkpoint-key <verifier key | file>]';

interface Args {
  file: string;
  publicKeyFile?: string;
  checkpointKey?: string;
}

function parseArgs(args: string[]): Args | null {
  let file: string | undefined;
  let publicKeyFile: string | undefined;
  let checkpointKey: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '--public-key') publicKeyFile = args[++i] ?? '';
    else if (args[i] === '--checkpoint-key') checkpointKey = args[++i] ?? '';
    else if (file === undefined) file = args[i];
    else return null;
  }
  if (!file || publicKeyFile === '' || checkpointKey === '') return null;
  return { file, publicKeyFile, checkpointKey };
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.error(USAGE);
    return EXIT.USAGE;
  }
  let document: unknown;
  let expectedKey: string | undefined;
  try {
    const text = read(args.file, 'certificate');
    expectedKey = args.publicKeyFile ? read(args.publicKeyFile, 'public key file') : undefined;
    try {
      document = JSON.parse(text);
    } catch {
      throw new Error('the certificate is not JSON');
    }
  } catch (error) {
    console.error(`invalid: ${(error as Error).message}`);
    return EXIT.INVALID;
  }
  const result = verifyCertificate(document, expectedKey);
  if (!result.valid) {
    console.error(`invalid: ${result.problem}`);
    return EXIT.INVALID;
  }
  const { requestId, systems, completedAt } = result.certificate;
  const summary = `erasure request ${requestId} completed ${completedAt}, ${systems.length} system(s) (${systems.map((s) => s.system).join(', ')})`;
  if (!result.pinned) {
    console.log(`unverified: ${summary}, signed by ${result.keyId} (the key inside the certificate, not a pinned one)`);
    console.error(
      'issuer unverified: the signature is self-consistent, which shows the document is intact, not who signed it; ' +
        "pin Lethe's key (GET /v1/certificates/public-key) and pass it with --public-key.",
    );
    return EXIT.ISSUER_UNVERIFIED;
  }
  return checkCheckpoint(result.certificate, args.checkpointKey, `${summary}, signed by ${result.keyId} (the pinned key)`);
}

/**
 * A v3 certificate cites the checkpoint of consent.log that covers its events: signed by the
 * checkpoint key (docs/adr/0017), which `lethe verify-log` checks the log against.
 */
function checkCheckpoint(certificate: VerifiedCertificate, checkpointKey: string | undefined, summary: string): number {
  const { checkpoint } = certificate;
  if (!checkpoint) {
    console.log(`valid: ${summary}; issued before certificates cited a checkpoint`);
    return EXIT.VALID;
  }
  if (checkpointKey === undefined) {
    console.log(`unverified: ${summary}; its checkpoint (${checkpoint.auditTopic} offset ${checkpoint.auditOffset}) is not checked`);
    console.error('checkpoint unverified: pass the checkpoint verifier key (the checkpointer logs it at start) with --checkpoint-key.');
    return EXIT.ISSUER_UNVERIFIED;
  }
  let verifier: NoteVerifier;
  try {
    verifier = parseVerifierKey(checkpointKey.includes('+') ? checkpointKey : read(checkpointKey, 'checkpoint key file'));
  } catch (error) {
    console.error(`invalid: --checkpoint-key: ${(error as Error).message}`);
    return error instanceof NoteError ? EXIT.USAGE : EXIT.INVALID;
  }
  const cited = verifyCitedCheckpoint(checkpoint, citedPositions(certificate), verifier);
  if (!cited.valid) {
    console.error(`invalid: ${cited.problem}`);
    return EXIT.INVALID;
  }
  console.log(`valid: ${summary}; its events are covered by checkpoint ${cited.origin} size ${cited.size} (${checkpoint.auditTopic} offset ${checkpoint.auditOffset}), signed by ${verifier.name} (the pinned checkpoint key)`);
  return EXIT.VALID;
}

process.exitCode = main();

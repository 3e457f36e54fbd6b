import { readFileSync } from 'node:fs';
import { verifyCertificate } from '@lethe/certificates';

// npm run verify-certificate -- <certificate.json | -> [--public-key <pem file>]
// Offline: reads files only, never the network. Exit 0 when valid, 1 when not, 2 on bad usage.

const USAGE = 'usage: npm run verify-certificate -- <certificate.json | -> [--public-key <public key PEM file>]';

function parseArgs(args: string[]): { file: string; publicKeyFile?: string } | null {
  let file: string | undefined;
  let publicKeyFile: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '--public-key') publicKeyFile = args[++i] ?? '';
    else if (file === undefined) file = args[i];
    else return null;
  }
  if (!file || publicKeyFile === '') return null;
  return { file, publicKeyFile };
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
    return 2;
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
    return 1;
  }
  const result = verifyCertificate(document, expectedKey);
  if (!result.valid) {
    console.error(`invalid: ${result.problem}`);
    return 1;
  }
  const { requestId, systems, completedAt } = result.certificate;
  if (!result.pinned) {
    console.error(
      'warning: checked against the public key inside the certificate only. That shows the document is intact, not who signed it; ' +
        'pin Lethe\'s key (GET /v1/certificates/public-key) and pass it with --public-key.',
    );
  }
  const names = systems.map((s) => s.system).join(', ');
  console.log(`valid: erasure request ${requestId} completed ${completedAt}, ${systems.length} system(s) (${names}), signed by ${result.keyId}${result.pinned ? ' (the pinned key)' : ' (embedded key, not pinned)'}`);
  return 0;
}

process.exitCode = main();

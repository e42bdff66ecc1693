// Builds a DSSE bundle WITHOUT Hallmark code, as an independent signer would, from the
// formats documented in docs/formats.md: node assembles the statement, PAE and bundle;
// the signature comes from the openssl CLI.
//   node foreign_bundle.js KEY.pem PUB.pem PRODUCT VERSION OUT.json ARTIFACT... [--urlsafe]
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const args = process.argv.slice(2);
const urlsafe = args.includes('--urlsafe');
const [keyPath, pubPath, product, version, outPath, ...artifacts] = args.filter((a) => a !== '--urlsafe');
const digest = (alg, data) => crypto.createHash(alg).update(data).digest('hex');
const subjects = artifacts.map((a) => {
  const data = fs.readFileSync(a);
  return { name: path.basename(a), digest: { sha256: digest('sha256', data), sha512: digest('sha512', data) } };
});
const statement = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: subjects,
  predicateType: 'https://hallmark.dev/attestation/release/v1',
  predicate: {
    product, channel: 'stable', version,
    artifacts: artifacts.map((a, i) => ({ name: subjects[i].name, size: fs.statSync(a).size,
                                          digest: subjects[i].digest })),
    signedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  },
};
const payload = Buffer.from(JSON.stringify(statement, null, 2)); // pretty: any bytes are fine
const type = 'application/vnd.in-toto+json';
const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
const tmp = fs.mkdtempSync('/tmp/hm-foreign-');
fs.writeFileSync(path.join(tmp, 'pae'), pae);
const sig = execFileSync('openssl', ['dgst', '-sha256', '-sign', keyPath, path.join(tmp, 'pae')]);
fs.rmSync(tmp, { recursive: true });
const spki = crypto.createPublicKey(fs.readFileSync(pubPath)).export({ type: 'spki', format: 'der' });
const hint = crypto.createHash('sha256').update(spki).digest('base64');
const b64 = (b) => (urlsafe ? b.toString('base64url') : b.toString('base64'));
const bundle = {
  mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
  dsseEnvelope: { payload: b64(payload), payloadType: type, signatures: [{ sig: b64(sig), keyid: hint }] },
};
fs.writeFileSync(outPath, JSON.stringify(bundle));

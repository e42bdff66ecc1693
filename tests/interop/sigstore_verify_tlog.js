// Verifies a Hallmark bundle *with its transparency-log entry* using npm's @sigstore/verify
// (tlogThreshold 1), given a Hallmark trust root:
//   node sigstore_verify_tlog.js ROOT.json BUNDLE.json [pss|as-is]
// Exit 0 when verified, 1 with the verifier's error code and message.
//
// The Sigstore TrustedRoot is built from the Hallmark root's own lists: every log becomes a
// tlog whose baseUrl is "https://" + origin (@sigstore/verify matches the checkpoint
// signature's key name against baseUrl, and the first 4 bytes of logId.keyId against the
// signature's key hint) and whose public key is the log key; every signing key becomes a
// trusted public key under its key id (the bundle's publicKey.hint).  With "pss" (the
// default) RSA keys go through a KeyFinder with PSS padding and salt length 32, as in
// sigstore_verify.js; with "as-is" every key is handed out as a plain KeyObject, as a
// TrustedRoot's public key would be used without a custom finder: sigstore-js then checks RSA
// with PKCS#1 v1.5 (docs/formats.md §1, §7.4).
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [rootPath, bundlePath, rsaMode = 'pss'] = process.argv.slice(2);
if (!rootPath || !bundlePath || (rsaMode !== 'pss' && rsaMode !== 'as-is')) {
  console.error('usage: node sigstore_verify_tlog.js ROOT.json BUNDLE.json [pss|as-is]');
  process.exit(2);
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const DETAILS = { 'ec-p256': 'PKIX_ECDSA_P256_SHA_256', 'ec-p384': 'PKIX_ECDSA_P384_SHA_384',
                  'ed25519': 'PKIX_ED25519', 'rsa-3072': 'PKIX_RSA_PSS_3072_SHA256' };

function spkiOf(pem) {
  return crypto.createPublicKey(pem).export({ type: 'spki', format: 'der' });
}

// A log's key as SPKI DER, from its PEM or from its vkey (type byte || key).
function logSpki(log) {
  if (log.pem) {
    return spkiOf(log.pem);
  }
  const raw = Buffer.from(log.vkey.split('+')[2], 'base64');
  return raw[0] === 0x01 ? Buffer.concat([ED25519_SPKI_PREFIX, raw.subarray(1)]) : raw.subarray(1);
}

function trustMaterial(root) {
  const tlogs = (root.logs || []).map((log) => ({
    baseUrl: `https://${log.origin}`,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: logSpki(log), keyDetails: DETAILS[log.algorithm],
                 validFor: { start: new Date(0) } },
    logId: { keyId: Buffer.from(log.logId, 'base64') },
  }));
  const keys = {};
  for (const k of root.keys) {
    keys[k.keyid] = k;
  }
  const finder = (hint) => {
    const k = keys[hint];
    if (!k) {
      const e = new Error(`key not found: ${hint}`);
      e.code = 'PUBLIC_KEY_ERROR';
      throw e;
    }
    const key = crypto.createPublicKey(k.pem);
    const publicKey = k.algorithm === 'rsa-3072' && rsaMode === 'pss'
      ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : key;
    return { publicKey, validFor: () => true };
  };
  return toTrustMaterial({ tlogs, certificateAuthorities: [], ctlogs: [],
                           timestampAuthorities: [] }, finder);
}

try {
  const env = JSON.parse(fs.readFileSync(rootPath, 'utf8'));
  const root = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const verifier = new Verifier(trustMaterial(root),
                                { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));
  const entry = bundle.verificationMaterial.tlogEntries[0];
  console.log(`sigstore-js: verified ${bundlePath} with its tlog entry ` +
              `(index ${entry.logIndex}, kind ${entry.kindVersion.kind} ` +
              `${entry.kindVersion.version}, tlogThreshold 1)`);
} catch (e) {
  console.log(`sigstore-js: REJECTED ${bundlePath}: ${e.code || e.name}: ${e.message}`);
  process.exit(1);
}

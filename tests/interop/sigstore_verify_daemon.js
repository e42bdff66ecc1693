// tests/interop/sigstore_verify_daemon.js: like sigstore_verify_tlog.js (npm's @sigstore/verify,
// tlogThreshold 1, a TrustedRoot made from a Hallmark trust root), with a choice of how the
// key finder hands out RSA keys:
//   node sigstore_verify_daemon.js ROOT.json BUNDLE.json pss|as-is
// "pss" gives RSA keys with PSS padding and salt length 32 (what sigstore_verify_tlog.js does);
// "as-is" gives every key as a plain KeyObject, as a TrustedRoot's public key would be used
// without a custom finder: sigstore-js then checks RSA with PKCS#1 v1.5 (docs/formats.md §1,
// §7.4).  Exit 0 when verified, 1 with the verifier's error code and message.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [rootPath, bundlePath, rsaMode] = process.argv.slice(2);
if (!rootPath || !bundlePath || (rsaMode !== 'pss' && rsaMode !== 'as-is')) {
  console.error('usage: node sigstore_verify_daemon.js ROOT.json BUNDLE.json pss|as-is');
  process.exit(2);
}
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const DETAILS = { 'ec-p256': 'PKIX_ECDSA_P256_SHA_256', 'ed25519': 'PKIX_ED25519' };

function logSpki(log) {
  if (log.pem) {
    return crypto.createPublicKey(log.pem).export({ type: 'spki', format: 'der' });
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
  console.log(`sigstore-js: verified ${bundlePath} with its tlog entry (index ${entry.logIndex}, ` +
              `tlogThreshold 1, RSA keys ${rsaMode})`);
} catch (e) {
  console.log(`sigstore-js: REJECTED ${bundlePath}: ${e.code || e.name}: ${e.message}`);
  process.exit(1);
}

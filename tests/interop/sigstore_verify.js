// Verifies Hallmark bundles with npm's @sigstore/verify (sigstore-js), as an independent
// Sigstore client would: `node sigstore_verify.js PUB.pem ALG BUNDLE.json [ARTIFACT]`.
// ALG is ec-p256, ed25519 or rsa-3072.  Exit 0 when verified, 1 with the verifier's error.
//
// EC and Ed25519 keys go through toTrustMaterial, the library's own path from a trusted
// root.  For RSA-PSS, sigstore-js 3.1 builds an 'rsa' KeyObject from the SPKI and calls
// crypto.verify() without padding options, i.e. PKCS#1 v1.5: it ignores the PSS key
// details.  So for RSA the key is handed over through a KeyFinder with PSS options
// (SHA-256, MGF1-SHA-256, salt 32), which crypto.verify() honours (docs/formats.md).
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [pubPath, alg, bundlePath] = process.argv.slice(2);
if (!pubPath || !alg || !bundlePath) {
  console.error('usage: node sigstore_verify.js PUB.pem ALG BUNDLE.json');
  process.exit(2);
}
const pem = fs.readFileSync(pubPath, 'utf8');
const key = crypto.createPublicKey(pem);
const spki = key.export({ type: 'spki', format: 'der' });
const details = { 'ec-p256': 'PKIX_ECDSA_P256_SHA_256', 'ed25519': 'PKIX_ED25519',
                  'rsa-3072': 'PKIX_RSA_PSS_3072_SHA256' }[alg];
if (!details) {
  console.error(`unsupported algorithm ${alg}`);
  process.exit(2);
}
try {
  const json = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
  const bundle = bundleFromJSON(json);
  const hint = bundle.verificationMaterial.content.publicKey.hint;
  let tm;
  if (alg === 'rsa-3072') {
    tm = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [],
           publicKey: (h) => {
             if (h !== crypto.createHash('sha256').update(spki).digest('base64')) {
               throw new Error(`key not found: ${h}`);
             }
             return { publicKey: { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
                                   saltLength: 32 },
                      validFor: () => true };
           } };
  } else {
    const keys = {};
    keys[crypto.createHash('sha256').update(spki).digest('base64')] =
        { rawBytes: spki, keyDetails: details, validFor: { start: new Date(0) } };
    tm = toTrustMaterial({ tlogs: [], certificateAuthorities: [], ctlogs: [],
                           timestampAuthorities: [] }, keys);
  }
  const verifier = new Verifier(tm, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));
  console.log(`sigstore-js: verified ${bundlePath} (${details}, hint ${hint})`);
} catch (e) {
  console.log(`sigstore-js: REJECTED ${bundlePath}: ${e.code || e.name}: ${e.message}`);
  process.exit(1);
}

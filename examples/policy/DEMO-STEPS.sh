# DEMO-STEPS.sh: the release policy in the demo: one release refused with its reasons
# printed, then signed once the causes are fixed.  A bash fragment for ci/demo, to run in
# place of its step 4 ("the CI job signs release $P $V through the daemon").
#
# It expects what ci/demo sets up: $HM (the hallmark CLI), $ROOT, $D (the current folder,
# holding $P-$V.bin and $P-$V.cdx.json), P=acme-thermostat V=1.4.2, $URL and the TLS
# arguments array TLS=(--server "$URL" --cacert pki/ca.pem --tls-cert pki/ci-acme.pem
# --tls-key pki/ci-acme.key), the functions say and die; and hallmarkd's config naming the
# example policy and the key label it binds ("firmware-p256", as ci/demo creates it):
#     "policy": "$ROOT/examples/policy.json",
# (add that line to the hallmarkd.json that ci/demo writes, before --check-config).
# The policy reads its advisory feed from examples/advisories/ (OSV, CISA KEV, VEX).
#
# Only the firmware image is an artifact: the SBOM travels in the request and its SHA-256
# is bound into the release statement (an SBOM cannot carry its own digest, and the
# policy's sbom.describes_artifacts asks that the SBOM describe every artifact).  So step 5
# of ci/demo verifies "$P-$V.bin" alone.

say "4a. release $P $V, built with a stale SBOM (zlib 1.2.12) and no support period"
cp "$ROOT/examples/policy/$P-$V.zlib-1.2.12.cdx.json" .
echo "the dry run a release manager can do offline (exit 1: denied):"
python3 - "$P" "$V" "$P-$V.bin" "$P-$V.zlib-1.2.12.cdx.json" >stale-request.json <<'PY'
import hashlib, json, os, sys
product, version, art, sbom = sys.argv[1:5]
data = open(art, "rb").read()
print(json.dumps({"product": product, "version": version,
                  "artifacts": [{"name": os.path.basename(art), "size": len(data),
                                 "digest": {"sha256": hashlib.sha256(data).hexdigest(),
                                            "sha512": hashlib.sha512(data).hexdigest()}}],
                  "sbom": json.load(open(sbom))}))
PY
"$HM" policy check --policy "$ROOT/examples/policy.json" --request stale-request.json \
  --identity cn:ci-acme || true
echo "the CI job asks the daemon anyway; it refuses, lists every failing rule and signs nothing:"
if "$HM" sign "${TLS[@]}" --product "$P" --version "$V" --channel stable \
  --sbom "$P-$V.zlib-1.2.12.cdx.json" --out refused.bundle.json "$P-$V.bin"; then
  die "the daemon signed a release with zlib 1.2.12 and no support period"
fi
[ ! -e refused.bundle.json ] || die "a bundle was written for a refused release"

say "4b. fixed: rebuilt with zlib 1.3.1 (the real SBOM), support declared until 2031-12-31"
"$HM" sign "${TLS[@]}" --product "$P" --version "$V" --channel stable --support-end 2031-12-31 \
  --sbom "$P-$V.cdx.json" --out "$P-$V.bundle.json" --vsa-out "$P-$V.vsa.bundle.json" "$P-$V.bin"
echo "the daemon also signed a SLSA VSA recording the decision and the policy's digest:"
python3 - "$P-$V.vsa.bundle.json" "$ROOT/examples/policy.json" <<'PY'
import base64, hashlib, json, sys
stmt = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["dsseEnvelope"]["payload"]))
p = stmt["predicate"]
want = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert p["policy"]["digest"]["sha256"] == want, "the VSA names another policy"
print(f'  {stmt["predicateType"]}: {p["verificationResult"]} {p["verifiedLevels"]}')
print(f'  policy {p["policy"]["uri"]} sha256 {want[:16]}...')
print(f'  inputs: {", ".join(i["name"] for i in p.get("inputAttestations", []))}')
PY
echo "a second request for the same version is refused (anti-rollback):"
if "$HM" sign "${TLS[@]}" --product "$P" --version "$V" --support-end 2031-12-31 \
  --sbom "$P-$V.cdx.json" --out again.json "$P-$V.bin"; then
  die "the daemon signed the same version twice"
fi

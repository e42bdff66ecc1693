# examples/steward/DEMO-STEPS.sh: the steward-attestation part of ci/demo (bash fragment,
# sourced while hallmarkd runs, from var/demo).  Issues one CRA steward attestation (Art. 25)
# for the sample open-source project (zlib 1.3.1, examples/steward), verifies it, shows that
# another project and a later time are refused, prints it with `hallmark show`, and saves
# the daemon's read-only page.
#
# Uses what ci/demo defines: $HM (the hallmark CLI), $URL (the daemon), TLS=(...) (the
# --server/--cacert/--tls-cert/--tls-key arguments), $ROOT, and say/die from ci/lib.sh.
# Through the daemon the policy decides who may attest: the demo's policy needs
#
#   "stewards": [ { "projects": ["pkg:github/madler/zlib"],
#                   "identities": { "mtls": ["cn:ci-acme"] }, "key": "firmware-p256" } ]
#
# (the client of TLS=(...) and a key of the config's products).  Without it the daemon
# refuses (403, audited) and the fragment says so and signs with the token itself
# (`hallmark steward attest --state hsm`), as a steward without a hallmarkd would.
say "steward attestation: zlib 1.3.1 (CRA Art. 25), examples/steward"
STEWARD_IN=$ROOT/examples/steward/zlib-steward-input.json
STEWARD_OUT=zlib-1.3.1.steward.bundle.json
CURL_TLS=() # TLS=(...) in curl's words
for ((i = 0; i < ${#TLS[@]}; i++)); do
  case ${TLS[i]} in
    --cacert) CURL_TLS+=(--cacert "${TLS[i + 1]}") ;;
    --tls-cert) CURL_TLS+=(--cert "${TLS[i + 1]}") ;;
    --tls-key) CURL_TLS+=(--key "${TLS[i + 1]}") ;;
  esac
done
if "$HM" steward attest --input "$STEWARD_IN" "${TLS[@]}" --out "$STEWARD_OUT"; then
  echo "issued by hallmarkd: its policy allows this client for pkg:github/madler/zlib; logged"
  # the signer's public key, from GET /v1/keys, by the bundle's key hint
  curl -sS --fail "${CURL_TLS[@]}" "$URL/v1/keys" -o keys.json
  python3 - "$STEWARD_OUT" keys.json >steward.pub.pem <<'PY'
import json, sys
hint = json.load(open(sys.argv[1]))["verificationMaterial"]["publicKey"]["hint"]
print([k["pem"] for k in json.load(open(sys.argv[2]))["keys"] if k["keyid"] == hint][0], end="")
PY
else
  echo "hallmarkd refused (see above): signing with a steward key in the token instead"
  "$HM" keys create --state hsm --label steward-p256 --alg ec-p256 2>/dev/null || true
  "$HM" keys export --state hsm --key steward-p256 --out steward.pub.pem
  "$HM" steward attest --input "$STEWARD_IN" --state hsm --key steward-p256 --out "$STEWARD_OUT"
fi
"$HM" verify --key steward.pub.pem --bundle "$STEWARD_OUT" --project pkg:github/madler/zlib@1.3.1
if "$HM" verify --key steward.pub.pem --bundle "$STEWARD_OUT" --project pkg:github/madler/zlib-ng; then
  die "an attestation for zlib was accepted for another project"
fi
if "$HM" verify --key steward.pub.pem --bundle "$STEWARD_OUT" --now 2030-01-01T00:00:00Z; then
  die "an expired steward attestation was accepted"
fi
"$HM" show --key steward.pub.pem "$STEWARD_OUT"
curl -sS --fail "${CURL_TLS[@]}" "$URL/" -o page.html &&
  echo "the daemon's read-only page (keys, log entries, steward attestations, checks): var/demo/page.html"

#!/usr/bin/env python3
"""Test CI issuer and DSSE checks for test_daemon_policy.sh (python3-cryptography).

  jwt.py jwks KEY.pem KID                      the issuer's JWKS (stdout)
  jwt.py token KEY.pem KID ALG CLAIMS_JSON     a compact JWT; ALG ES256 signs with KEY,
                                               "none" leaves the signature empty
  jwt.py dsse BUNDLE.json PUB.pem              verifies the bundle's DSSE signature over
                                               the PAE; prints the payload (the statement)
The key is made by openssl in the test; this only does the JOSE/DSSE encodings.
"""
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def load_key(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), password=None)


def jwks(path, kid):
    pub = load_key(path).public_key().public_numbers()
    print(json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
                                "alg": "ES256", "x": b64u(pub.x.to_bytes(32, "big")),
                                "y": b64u(pub.y.to_bytes(32, "big"))}]}))


def token(path, kid, alg, claims):
    head = b64u(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}).encode())
    body = b64u(json.dumps(json.loads(claims)).encode())
    signing = f"{head}.{body}".encode()
    sig = ""
    if alg == "ES256":
        r, s = decode_dss_signature(load_key(path).sign(signing, ec.ECDSA(hashes.SHA256())))
        sig = b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    print(f"{head}.{body}.{sig}")


def dsse(bundle_path, pub_path):
    env = json.load(open(bundle_path))["dsseEnvelope"]
    payload = base64.b64decode(env["payload"])
    ptype = env["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    pub = serialization.load_pem_public_key(open(pub_path, "rb").read())
    pub.verify(base64.b64decode(env["signatures"][0]["sig"]), pae, ec.ECDSA(hashes.SHA256()))
    sys.stdout.write(payload.decode())


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "jwks":
        jwks(sys.argv[2], sys.argv[3])
    elif cmd == "token":
        token(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "dsse":
        dsse(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: see the docstring")

#!/usr/bin/env python3
"""Writes the bundle fixtures of tests/attest/data from the specs, independently of our C code.

The statement and the bundle are built here by hand, following docs/formats.md and the
shape that @sigstore/verify accepts (reference/dependencies.md section 5), and signed with a
fixed Ed25519 test key (deterministic signatures), so running this again gives the same
files.  tests/attest/test_statement.c checks that hm_release_statement and hm_bundle_sign
produce good_release.json byte for byte; test_verify_fixtures.c checks every verdict.

The key is a TEST key, derived from a public string: never trust it anywhere.
Needs python3-cryptography.  Run: python3 make-fixtures.py (in this folder).
"""
import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

HERE = os.path.dirname(os.path.abspath(__file__))
MEDIA = "application/vnd.dev.sigstore.bundle.v0.3+json"
INTOTO = "application/vnd.in-toto+json"
RELEASE = "https://hallmark.dev/attestation/release/v1"
ARTIFACT = "thermostat-1.4.2.bin"


def key(label):
    seed = hashlib.sha256(b"hallmark test key, never for real use: " + label).digest()
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


def keyid(priv):
    spki = priv.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def statement(firmware, product="acme-thermostat", version="1.4.2+build.7",
              subject_name=ARTIFACT, subject_sha256=None, predicate_type=RELEASE):
    s256 = hashlib.sha256(firmware).hexdigest()
    s512 = hashlib.sha512(firmware).hexdigest()
    purl_version = "".join(c if c.isalnum() or c in ".-_~" else "%%%02X" % ord(c) for c in version)
    st = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": subject_name,
                     "digest": {"sha256": subject_sha256 or s256, "sha512": s512}}],
        "predicateType": predicate_type,
        "predicate": {
            "product": product,
            "channel": "stable",
            "version": version,
            "purl": "pkg:generic/%s@%s" % (product, purl_version),
            "artifacts": [{"name": ARTIFACT, "size": len(firmware),
                           "digest": {"sha256": s256, "sha512": s512}}],
            "supportEnd": "2031-12-31",
            "sbom": {"digest": {"sha256": hashlib.sha256(b"sbom").hexdigest()}},
            "signedAt": "2026-11-28T00:00:00Z",
        },
    }
    return dumps(st).encode()


def pae(ptype, body):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def bundle(payload, priv, ptype=INTOTO, sig=None, hint=None, kid=None, media=MEDIA, b64=base64.b64encode):
    if sig is None:
        sig = priv.sign(pae(ptype, payload))
    hint = hint or keyid(priv)
    return {
        "mediaType": media,
        "verificationMaterial": {
            "publicKey": {"hint": hint},
            "tlogEntries": [],
            "timestampVerificationData": {"rfc3161Timestamps": []},
        },
        "dsseEnvelope": {
            "payload": b64(payload).decode(),
            "payloadType": ptype,
            "signatures": [{"sig": b64(sig).decode(), "keyid": kid or hint}],
        },
    }


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else dumps(data).encode())


def main():
    priv, other = key(b"release"), key(b"other")
    firmware = b"hallmark fixture firmware 1.4.2\n" * 64
    write(ARTIFACT, firmware)
    write("release_key.pem", priv.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    write("release_key.pub.pem", priv.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    write("other_key.pub.pem", other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    good_payload = statement(firmware)
    good = bundle(good_payload, priv)
    write("good_release.json", good)
    write("good_release_old_media_type.json",
          bundle(good_payload, priv, media="application/vnd.dev.sigstore.bundle+json;version=0.3"))
    write("good_release_urlsafe_b64.json",
          bundle(good_payload, priv, b64=lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")))
    write("good_statement.json", good_payload)

    sig = priv.sign(pae(INTOTO, good_payload))
    flipped = bytes(sig[:-1]) + bytes([sig[-1] ^ 1])
    # Not signed again: the signature no longer covers what the bundle says.
    write("tampered_payload.json", bundle(statement(firmware, version="1.4.3"), priv, sig=sig))
    write("tampered_subject.json",
          bundle(statement(firmware, subject_sha256="00" * 32), priv, sig=sig))
    write("tampered_sig.json", bundle(good_payload, priv, sig=flipped))
    write("tampered_payload_type.json", bundle(good_payload, priv, ptype="application/json", sig=sig))
    write("tampered_keyid.json", bundle(good_payload, priv, sig=sig, kid=keyid(other)))
    write("tampered_hint.json",
          bundle(good_payload, priv, sig=sig, hint=keyid(other), kid=keyid(priv)))
    write("tampered_hint_and_keyid.json", bundle(good_payload, priv, sig=sig, hint=keyid(other)))
    # Signed by the other key, which names itself: the trusted key is not it.
    write("tampered_other_key.json", bundle(good_payload, other))
    # Signed by the other key but claiming the trusted key's id.
    write("tampered_other_key_claims_ours.json", bundle(good_payload, other, hint=keyid(priv)))
    # Signed properly, but the statement is not what the device wants.
    write("tampered_subject_digest.json",
          bundle(statement(firmware, subject_sha256="11" * 32), priv))
    write("tampered_not_listed.json",
          bundle(statement(b"other firmware", subject_name="other.bin"), priv))
    write("tampered_product.json", bundle(statement(firmware, product="acme-oven"), priv))
    write("tampered_rollback.json", bundle(statement(firmware, version="1.4.1"), priv))
    write("tampered_predicate.json",
          bundle(statement(firmware, predicate_type="https://slsa.dev/provenance/v1"), priv))
    bad_st = json.loads(good_payload)
    bad_st["subject"] = []
    write("tampered_statement.json", bundle(dumps(bad_st).encode(), priv))
    # Structure the profile refuses.
    b = bundle(good_payload, priv)
    b["messageSignature"] = {"messageDigest": {"algorithm": "SHA2_256", "digest": "AA=="},
                             "signature": "AA=="}
    del b["dsseEnvelope"]
    write("tampered_message_signature.json", b)
    b = bundle(good_payload, priv)
    b["dsseEnvelope"]["signatures"].append(dict(b["dsseEnvelope"]["signatures"][0]))
    write("tampered_two_signatures.json", b)
    write("tampered_media_type.json",
          bundle(good_payload, priv, media="application/vnd.dev.sigstore.bundle.v0.2+json"))
    # Two "payload" keys: parsers that keep the first and parsers that keep the last
    # would see different statements.
    text = dumps(bundle(good_payload, priv))
    evil = base64.b64encode(statement(firmware, version="9.9.9")).decode()
    text = text.replace('"dsseEnvelope":{', '"dsseEnvelope":{"payload":"%s",' % evil, 1)
    write("tampered_duplicate_payload.json", text.encode())


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# docs/schemas/steward-attestation-v1.schema.json agrees with the parser: the predicates of
# the example input, the test fixture and the fuzz seeds validate, and predicates the parser
# refuses for their shape (unknown key, bad enum, http URL, bad digest, met without
# evidence, a purl with a version) do not.  The example's evidence digests are those of the
# files in examples/steward/evidence.  Needs python3-jsonschema.
source "$HM_SRC/tests/lib.sh"

if ! python3 -c 'import jsonschema' 2>/dev/null; then
  echo "skip: python3-jsonschema is not installed"
  exit 0
fi
python3 - "$HM_SRC" <<'PY' && ok "the schema agrees with the parser" || not_ok "schema"
import copy, glob, json, sys, jsonschema
src = sys.argv[1]
schema = json.load(open(f"{src}/docs/schemas/steward-attestation-v1.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
good = [json.load(open(f"{src}/examples/steward/zlib-steward-input.json"))["predicate"],
        json.load(open(f"{src}/tests/steward/data/input-base.json"))["predicate"]]
for seed in sorted(glob.glob(f"{src}/tests/fuzz/corpus/steward/*.json")):
    doc = json.load(open(seed))
    if "predicate" in doc and "timeAssessed" in doc["predicate"]:
        good.append(doc["predicate"])
for doc in good:
    errors = list(v.iter_errors(doc))
    assert not errors, errors[0].message
base = good[1]
def bad(fn):
    d = copy.deepcopy(base)
    fn(d)
    assert list(v.iter_errors(d)), d
bad(lambda d: d["steward"].update(fax="1"))
bad(lambda d: d["requirements"][0].update(status="done"))
bad(lambda d: d["requirements"][0].update(id="annexI.partI.2.z"))
bad(lambda d: d["requirements"][0].pop("evidence"))
bad(lambda d: d["requirements"][1].update(evidence=[]))
bad(lambda d: d["steward"].update(cvdPolicy="http://example.org/cvd"))
bad(lambda d: d["cybersecurityPolicy"]["digest"].update(sha256="A" * 64))
bad(lambda d: d["project"].update(purl="pkg:github/example/demo@1.0.0"))
bad(lambda d: d["project"].update(versionsCovered=[">=2.x"]))
bad(lambda d: d["steward"].pop("legalName"))
bad(lambda d: (d["steward"].pop("securityTxt"), d["steward"].pop("cvdPolicy")))
bad(lambda d: d.update(supportPeriod={}))
bad(lambda d: d["assessor"].update(type="auditor"))
bad(lambda d: d["project"].update(name="a\u001bb"))
PY

# The example binds its evidence by digest: each digest is that of the file it names.
python3 - "$HM_SRC/examples/steward" <<'PY' && ok "the example's digests match its evidence files" || not_ok "example digests"
import hashlib, json, os, sys
d = sys.argv[1]
doc = json.load(open(f"{d}/zlib-steward-input.json"))
def sha(name): return hashlib.sha256(open(f"{d}/evidence/{name}", "rb").read()).hexdigest()
pred = doc["predicate"]
files = {os.path.basename(f) for f in os.listdir(f"{d}/evidence")}
uri_file = {"cybersecurity-policy.md": "cybersecurity-policy.md", "cvd-policy": "cvd-policy.md",
            "security.txt": "security.txt"}
assert pred["cybersecurityPolicy"]["digest"]["sha256"] == sha("cybersecurity-policy.md")
for r in pred["requirements"]:
    for e in r.get("evidence", []):
        name = e["uri"].rsplit("/", 1)[1]
        name = uri_file.get(name, name)
        assert name in files, name
        assert e["digest"]["sha256"] == sha(name), name
PY
finish

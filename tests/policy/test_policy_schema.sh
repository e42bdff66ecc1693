#!/usr/bin/env bash
# docs/schemas/policy-v1.schema.json agrees with the parser: the example policies and the
# fuzz seeds the parser accepts validate against it, and policies it refuses for their
# shape (an unknown key, a wrong type) do not.  Needs python3-jsonschema.
source "$HM_SRC/tests/lib.sh"

if ! python3 -c 'import jsonschema' 2>/dev/null; then
  echo "skip: python3-jsonschema is not installed"
  exit 0
fi
python3 - "$HM_SRC" <<'PY' && ok "the schema agrees with the parser" || not_ok "schema"
import json, re, sys, jsonschema
src = sys.argv[1]
schema = json.load(open(f"{src}/docs/schemas/policy-v1.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
md = open(f"{src}/docs/policy.md").read()
docs = re.search(r"<!-- policy-example -->\n```json\n(.*?)\n```", md, re.S).group(1)
good = [json.loads(docs), json.load(open(f"{src}/examples/policy.json"))]
for name in ("full", "minimal", "oidc", "example"):
    good.append(json.load(open(f"{src}/tests/fuzz/corpus/policy/{name}.json")))
for doc in good:
    errors = list(v.iter_errors(doc))
    assert not errors, errors[0].message
bad = [
    {"version": 1, "products": [{"name": "fw", "aprovals": {}}]},
    {"version": 2, "products": [{"name": "fw"}]},
    {"version": 1, "products": [{"name": "fw", "sbom": {"formats": ["cyclonedx-1.4"]}}]},
    {"version": 1, "products": [{"name": "fw", "support": {"minimum_years": 5, "minimum_months": 60}}]},
    {"version": 1, "products": [{"name": "FW"}]},
]
for doc in bad:
    assert list(v.iter_errors(doc)), doc
PY
finish

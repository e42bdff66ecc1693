#!/usr/bin/env bash
# Replays every example of docs/api.md (a fenced "http request" block followed by an
# "http response" block), in order, against a fresh hallmarkd, and checks the status, the
# documented response headers, the "error" code of error replies and the first member of
# the others.
. "$(dirname "$0")/lib.sh"

make_pki
make_token
cat >"$W/docs.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": { "cert": "$W/pki/server.pem", "key": "$W/pki/server.key", "client_ca": "$W/pki/ca.pem" },
  "hsm": { "uri": "$DAEMON_URI", "softhsm2_conf": "$W/state/softhsm2.conf" },
  "store": "sqlite:$W/docs.db",
  "tlog": false,
  "products": [
    { "name": "acme-thermostat", "key": "fw-p256", "clients": ["cn:ci-acme"] },
    { "name": "acme-hub", "key": "fw-p256", "clients": ["cn:ci-other"] }
  ],
  "limits": { "max_body": 65536 }
}
JSON
start_daemon "$W/docs.json"

# Split the examples into $W/ex/N.req and $W/ex/N.resp.
mkdir -p "$W/ex"
awk -v dir="$W/ex" '
    /^```http request$/  { n++; out = dir "/" n ".req"; inb = 1; printf "" > out; next }
    /^```http response$/ { out = dir "/" n ".resp"; inb = 1; printf "" > out; next }
    /^```/ && inb        { inb = 0; close(out); next }
    inb                  { print >> out }
' "$HM_SRC/docs/api.md"
n=$(ls "$W/ex"/*.req | wc -l)
[ "$n" -ge 10 ] && ok "docs/api.md has $n replayable examples" || bad "only $n examples found"

for i in $(seq 1 "$n"); do
    rq=$W/ex/$i.req rs=$W/ex/$i.resp
    [ -f "$rs" ] || { bad "example $i has no response block"; continue; }
    read -r method path _ <"$rq"
    args=()
    # headers: lines 2.. up to the first empty line; the body is what follows
    while IFS= read -r h; do args+=(-H "$h"); done < <(sed -n '2,/^$/p' "$rq" | sed '/^$/d')
    sed '1,/^$/d' "$rq" >"$W/ex/$i.body"
    if [ -s "$W/ex/$i.body" ]; then
        printf '%s' "$(cat "$W/ex/$i.body")" >"$W/ex/$i.bodyn" # no final newline
        args+=(--data-binary @"$W/ex/$i.bodyn")
    fi
    got=$(req ci-acme "$method" "$path" "${args[@]}")
    want=$(head -1 "$rs" | cut -d' ' -f2)
    label="example $i ($method $path)"
    expect "$label: status" "$want" "$got"
    # documented headers must be in the live reply
    while IFS= read -r h; do
        [ -z "$h" ] && continue
        grep -qiF "$h" "$W/headers" && ok "$label: header $h" || bad "$label: no header \"$h\" in $(tr -d '\r' <"$W/headers" | tr '\n' '|')"
    done < <(sed -n '2,/^$/p' "$rs")
    docbody=$(sed '1,/^$/d' "$rs")
    code=$(sed -n 's/^{"error": "\([a-z-]*\)".*/\1/p' <<<"$docbody" | head -1)
    if [ -n "$code" ]; then
        expect "$label: error code" "$code" "$(json_field "$W/body" error)"
    elif [ "${docbody:0:1}" = "{" ]; then
        first=$(sed -n '1s/^{"\([A-Za-z]*\)".*/\1/p' <<<"$docbody")
        live=$(head -c 64 "$W/body" | sed -n 's/^{"\([A-Za-z]*\)".*/\1/p')
        expect "$label: first member" "$first" "$live"
    else
        expect "$label: first line" "$(head -1 <<<"$docbody")" "$(head -1 "$W/body")"
    fi
done
stop_daemon || bad "hallmarkd did not stop cleanly"
finish

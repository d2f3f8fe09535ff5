#!/bin/sh
# Serves examples/quickstart from a local Git repository made on the spot:
# no external server needed. Usage: demo.sh [path/to/sluice]
set -eu
sluice=$(cd "$(dirname "${1:-bin/sluice}")" && pwd)/$(basename "${1:-bin/sluice}")
here=$(cd "$(dirname "$0")" && pwd)
work=${SLUICE_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-demo.XXXXXX")}
repo=$work/routing

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="sluice demo" GIT_AUTHOR_EMAIL=demo@example.com
export GIT_COMMITTER_NAME="sluice demo" GIT_COMMITTER_EMAIL=demo@example.com
if [ ! -d "$repo/.git" ]; then
	git init -q -b main "$repo"
	mkdir -p "$repo/gateways"
	cp "$here/quickstart.yaml" "$repo/gateways/"
	git -C "$repo" add gateways
	git -C "$repo" commit -q -m "Add the Envoy Gateway quickstart"
fi

cat >"$work/sluice.yaml" <<CONFIG
source:
  git:
    url: $repo
    branch: main
    path: gateways/
    interval: 5s
    verify:
      insecureSkipVerify: true   # the demo's commits are not signed
xds: {address: "127.0.0.1:18000"}
admin: {address: "127.0.0.1:19000"}
dataDir: $work/data
CONFIG
"$sluice" bootstrap --gateway default/eg --xds-address 127.0.0.1:18000 >"$work/envoy.yaml"

cat <<INFO
sluice demo in $work
  repository:  $repo (branch main, path gateways/)
  config:      $work/sluice.yaml

Connect an Envoy and send a request through it:
  envoy -c $work/envoy.yaml
  python3 -m http.server 3000
  curl --header "Host: www.example.com" http://127.0.0.1:8888/

Change routing with git, e.g. move the backend to port 3001:
  sed -i 's/port: 3000/port: 3001/' $repo/gateways/quickstart.yaml
  git -C $repo commit -am "Move the backend"

Watch it: http://127.0.0.1:19000/ (dashboard), /api/v1/revisions, /metrics
  $sluice revisions
Ctrl-C stops sluice.

INFO
exec "$sluice" serve --config "$work/sluice.yaml"

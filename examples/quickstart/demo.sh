#!/bin/sh
# Serves examples/quickstart from a local Git repository made on the spot:
# no external server needed. Usage: demo.sh [path/to/sluice]
#
# Ports can be changed: DEMO_XDS_PORT (18000), DEMO_ADMIN_PORT (19000),
# DEMO_ENVOY_PORT (8888, the Gateway's listener), DEMO_ENVOY_ADMIN_PORT
# (19001, Envoy's admin) and DEMO_BACKEND_PORT (3000). SLUICE_DEMO_DIR
# reuses a demo directory (its repository and admin token are kept).
set -eu
sluice=$(cd "$(dirname "${1:-bin/sluice}")" && pwd)/$(basename "${1:-bin/sluice}")
here=$(cd "$(dirname "$0")" && pwd)
work=${SLUICE_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-demo.XXXXXX")}
repo=$work/routing
xds_port=${DEMO_XDS_PORT:-18000}
admin_port=${DEMO_ADMIN_PORT:-19000}
envoy_port=${DEMO_ENVOY_PORT:-8888}
envoy_admin_port=${DEMO_ENVOY_ADMIN_PORT:-19001}
backend_port=${DEMO_BACKEND_PORT:-3000}
for p in "$xds_port" "$admin_port" "$envoy_port" "$envoy_admin_port" "$backend_port"; do
	case $p in
	'' | *[!0-9]*) echo "demo: port '$p' is not a number" >&2; exit 2 ;;
	esac
done

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="sluice demo" GIT_AUTHOR_EMAIL=demo@example.com
export GIT_COMMITTER_NAME="sluice demo" GIT_COMMITTER_EMAIL=demo@example.com
if [ ! -d "$repo/.git" ]; then
	git init -q -b main "$repo"
	mkdir -p "$repo/gateways"
	sed -e "s/port: 8888/port: $envoy_port/" -e "s/port: 3000/port: $backend_port/" \
		"$here/quickstart.yaml" >"$repo/gateways/quickstart.yaml"
	git -C "$repo" add gateways
	git -C "$repo" commit -q -m "Add the Envoy Gateway quickstart"
fi

# The admin token lets rollback, unpin and sync work from the dashboard
# and the CLI. It is made once per demo directory and printed only then.
token_file=$work/admin.token
new_token=""
if [ ! -s "$token_file" ]; then
	umask 077
	new_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$new_token" >"$token_file"
	umask 022
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
xds: {address: "127.0.0.1:$xds_port"}
admin: {address: "127.0.0.1:$admin_port", tokenFile: $token_file}
dataDir: $work/data
CONFIG
"$sluice" bootstrap --gateway default/eg --xds-address "127.0.0.1:$xds_port" \
	--admin-address "127.0.0.1:$envoy_admin_port" >"$work/envoy.yaml"

if [ -n "$new_token" ]; then
	token_line="admin token: $new_token (shown once; kept in $token_file)"
else
	token_line="admin token: in $token_file"
fi
cat <<INFO
sluice demo in $work
  repository:  $repo (branch main, path gateways/)
  config:      $work/sluice.yaml
  $token_line

Connect an Envoy and send a request through it:
  envoy -c $work/envoy.yaml
  python3 -m http.server $backend_port
  curl --header "Host: www.example.com" http://127.0.0.1:$envoy_port/

Change routing with git, e.g. move the backend to another port:
  sed -i 's/port: $backend_port/port: 3001/' $repo/gateways/quickstart.yaml
  git -C $repo commit -am "Move the backend"

Watch it: http://127.0.0.1:$admin_port/ (dashboard; Roll back, Unpin and
Sync ask for the admin token), /api/v1/revisions, /metrics
  export SLUICE_SERVER=http://127.0.0.1:$admin_port SLUICE_TOKEN_FILE=$token_file
  $sluice status
  $sluice revisions
  $sluice rollback HEAD~1      # pin the commit before the tip
  $sluice unpin
Ctrl-C stops sluice.

INFO
exec "$sluice" serve --config "$work/sluice.yaml"

#!/bin/sh
# Installs this bundle (park-gateway or park-server) on a Debian/Ubuntu-like box with systemd and
# Node.js 20.19+. Needs no network. Run from the unpacked bundle as root:
#
#   sudo ./install.sh            install or upgrade; config files that exist are never overwritten
#   sudo ./install.sh --enable   … and enable + start the service
#   ./install.sh --root DIR      lay the files out under DIR instead of / (no user, no systemctl; for tests and images)
#
# What it does: creates the system user park-<part> (gateway: also in dialout, for serial ports),
# copies the software to /opt/park-<part>/<version> and points /opt/park-<part>/current at it (the
# previous versions stay for rollback), links /usr/local/bin/park-<part>, puts the sample config in
# /etc/park-<part>/ if none is there, installs the systemd unit and reloads systemd.
# Guide: docs/deploy.md.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/bundle.env"            # PART, VERSION, ARCH
NAME="park-$PART"
ROOT=""
ENABLE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || { echo "$0: --root needs a folder" >&2; exit 2; }; ROOT=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --enable) ENABLE=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "$0: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '» %s\n' "$*"; }

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh needs root to create the user $NAME and write /opt, /etc and the systemd unit." >&2
  echo "Please run:  sudo $0 $*" >&2
  exit 1
fi

# Node.js 20.19 or newer (the bundle carries no Node.js of its own).
NODE_OK=0
if command -v node >/dev/null 2>&1; then
  if node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then NODE_OK=1; fi
fi
if [ "$NODE_OK" -ne 1 ]; then
  msg="Node.js 20.19 or newer is needed (found: $(node --version 2>/dev/null || echo none)). Install the distribution's nodejs package or an offline Node.js tarball first."
  if [ -z "$ROOT" ]; then echo "$msg" >&2; exit 1; else echo "warning: $msg" >&2; fi
fi
case "$(uname -m)" in
  x86_64) MACHINE=x64 ;;
  aarch64|arm64) MACHINE=arm64 ;;
  *) MACHINE=$(uname -m) ;;
esac
if [ "$MACHINE" != "$ARCH" ]; then
  echo "warning: this bundle is for linux-$ARCH, this machine is $MACHINE (serial bindings will not load)" >&2
fi

# 1. The service user.
if [ -z "$ROOT" ]; then
  if ! getent passwd "$NAME" >/dev/null; then
    say "creating system user $NAME"
    useradd --system --user-group --home-dir "/var/lib/$NAME" --no-create-home --shell /usr/sbin/nologin --comment "Park safety platform $PART" "$NAME"
  fi
  if [ "$PART" = gateway ] && getent group dialout >/dev/null; then usermod -a -G dialout "$NAME"; fi
fi

# 2. The software, side by side with earlier versions.
DEST="$ROOT/opt/$NAME/$VERSION"
say "installing $NAME $VERSION ($ARCH) to $DEST"
mkdir -p "$ROOT/opt/$NAME"
rm -rf "$DEST.new"
mkdir -p "$DEST.new"
for item in bin app deploy docs bundle.env install.sh README.txt web; do
  if [ -e "$HERE/$item" ]; then cp -a "$HERE/$item" "$DEST.new/"; fi
done
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
PREVIOUS=$(readlink "$ROOT/opt/$NAME/current" 2>/dev/null || true)
ln -sfn "$VERSION" "$ROOT/opt/$NAME/current"
if [ -n "$PREVIOUS" ] && [ "$PREVIOUS" != "$VERSION" ]; then say "previous version kept: /opt/$NAME/$PREVIOUS (rollback: docs/deploy.md)"; fi
mkdir -p "$ROOT/usr/local/bin"
ln -sfn "/opt/$NAME/current/bin/$NAME" "$ROOT/usr/local/bin/$NAME"

# 3. Configuration: the samples, only where nothing exists yet.
CONF="$ROOT/etc/$NAME"
mkdir -p "$CONF"
for sample in "$HERE"/deploy/*.yaml; do
  if [ ! -e "$sample" ]; then continue; fi
  target="$CONF/$(basename "$sample")"
  if [ -e "$target" ]; then
    say "kept $target (the new sample is $DEST/deploy/$(basename "$sample"))"
  else
    say "sample config written to $target: edit it"
    install -m 640 "$sample" "$target"
    if [ -z "$ROOT" ]; then chown "root:$NAME" "$target"; fi
  fi
done
if [ -z "$ROOT" ]; then chown "root:$NAME" "$CONF"; chmod 750 "$CONF"; fi

# 4. The systemd unit.
mkdir -p "$ROOT/etc/systemd/system"
install -m 644 "$HERE/deploy/$NAME.service" "$ROOT/etc/systemd/system/$NAME.service"
if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$ENABLE" -eq 1 ]; then
    say "enabling and starting $NAME"
    systemctl enable --now "$NAME"
  elif systemctl is-active --quiet "$NAME"; then
    say "restarting $NAME (upgrade)"
    systemctl restart "$NAME"
  fi
fi

say "done. Next:"
if [ "$PART" = gateway ]; then
  echo "    1. edit /etc/$NAME/gateway.yaml (gateway id, broker, devices)"
  echo "    2. sudo -u $NAME $NAME check --config /etc/$NAME/gateway.yaml"
  echo "    3. sudo systemctl enable --now $NAME && journalctl -u $NAME -f"
else
  echo "    1. edit /etc/$NAME/server.yaml and /etc/$NAME/park.yaml (and /etc/$NAME/server.env for secrets)"
  echo "    2. sudo systemctl enable --now $NAME && journalctl -u $NAME -f"
fi
